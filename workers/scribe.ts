import type { Payload } from '../queues/index.ts';
import { earlyViewsFromStaging, storeFeatures, updateEarlyVelocity } from '../src/dao/features.ts';
import { fetchScribeTargets } from '../src/dao/videos.ts';
import { extractFeatures } from '../src/features.ts';
import type { AgentDeps } from './deps.ts';

/**
 * Computes ML features of hot videos that have none yet, then folds the snapshots staged since the last
 * run into the early velocity of videos under a day old (docs/features.md). Idempotent; the Scribe runs
 * more often than the vault flush empties staging, so it sees a young video's snapshots.
 */
export async function scribe(
  deps: AgentDeps,
  job: Payload<'scribe'>,
): Promise<{ computed: number; velocity: number }> {
  const { pool, clock } = deps;
  const now = new Date(clock.now());
  const videos = await fetchScribeTargets(pool, job.limit ?? 1000);
  const computed = await storeFeatures(pool, videos.map(extractFeatures), now);
  const early = await earlyViewsFromStaging(pool, now, job.limit ?? 1000);
  const velocity = await updateEarlyVelocity(pool, early);
  return { computed, velocity };
}
