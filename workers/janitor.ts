import type { Payload } from '../queues/index.ts';
import { DAY_MS } from '../src/clock.ts';
import { deleteExpiredVideos } from '../src/dao/videos.ts';
import { ValidationError } from '../src/errors/index.ts';
import type { AgentDeps } from './deps.ts';

/**
 * Deletes hot rows older than the retention, a bounded batch per statement so no lock is held long
 * and the tracker is never starved. The watchlist is not touched: tracking goes on ("ghost tracking").
 */
export async function runJanitor(
  deps: AgentDeps,
  job: Payload<'janitor'>,
): Promise<{ deleted: number; batches: number }> {
  const { config, pool, clock } = deps;
  const retentionDays = job.retentionDays ?? config.JANITOR_RETENTION_DAYS;
  const force = job.force ?? config.JANITOR_FORCE;
  if (retentionDays < 1 && !force)
    throw new ValidationError([
      {
        field: 'retentionDays',
        message: `a retention of ${retentionDays} days is under 1 day: set force to delete anyway`,
      },
    ]);
  const cutoff = new Date(clock.now() - retentionDays * DAY_MS);
  let deleted = 0;
  let batches = 0;
  for (;;) {
    const n = await deleteExpiredVideos(pool, cutoff, config.JANITOR_BATCH_SIZE);
    deleted += n;
    batches++;
    if (n < config.JANITOR_BATCH_SIZE) break;
    await new Promise((r) => setImmediate(r)); // let the tracker's statements in between batches
  }
  await deps.emit('janitor.completed', [{ deleted, batches, retentionDays, cutoff: cutoff.toISOString() }]);
  return { deleted, batches };
}
