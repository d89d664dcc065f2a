import type { Payload, QueueName } from '../queues/index.ts';
import { dispatchChannels } from './channel-dispatch.ts';
import { pollChannels } from './channel-poll.ts';
import type { AgentDeps } from './deps.ts';
import { emitOrLog } from './emit-or-log.ts';
import { hunt } from './hunter.ts';
import { dispatchHunter } from './hunter-dispatch.ts';
import { runJanitor } from './janitor.ts';
import { paint } from './painter.ts';
import { scribe } from './scribe.ts';
import { track } from './tracker.ts';
import { dispatchTracker } from './tracker-dispatch.ts';
import { runVaultFlush } from './vault-flush.ts';
import { ingestAnnounced, subscribeChannels } from './websub.ts';

type Processor<Q extends QueueName> = (deps: AgentDeps, data: Payload<Q>) => Promise<unknown>;

/** Which function processes each queue's jobs: one processor file per agent. */
export const processors: { [Q in QueueName]: Processor<Q> } = {
  'hunter-dispatch': (deps) => dispatchHunter(deps),
  hunter: hunt,
  'tracker-dispatch': (deps) => dispatchTracker(deps),
  tracker: track,
  janitor: runJanitor,
  painter: paint,
  scribe,
  'channel-dispatch': (deps) => dispatchChannels(deps),
  'channel-poll': pollChannels,
  'websub-subscribe': (deps) => subscribeChannels(deps),
  'websub-ingest': ingestAnnounced,
  'vault-flush': async (deps, data) => {
    const t0 = Date.now();
    try {
      const r = await runVaultFlush(deps, data);
      if (r.files > 0)
        await deps.emit('vault.flushed', [
          { rows: r.rows, files: r.files, provider: deps.config.VAULT_PROVIDER, durationMs: Date.now() - t0 },
        ]);
      return r;
    } catch (err) {
      await emitOrLog(deps, 'vault.flush_failed', {
        error: (err as Error).message.slice(0, 500),
        provider: deps.config.VAULT_PROVIDER,
      });
      throw err;
    }
  },
  'vault-compact': async (deps, data) => {
    const merged = await deps.vault.compact(deps.pool, {
      clock: deps.clock,
      ...(data.date ? { date: data.date } : {}),
    });
    return { partitions: merged.length };
  },
};

/** Concurrency per queue in one worker process: API-bound queues run many jobs at once. */
export function defaultConcurrency(name: QueueName, workerConcurrency: number): number {
  if (name === 'tracker') return workerConcurrency;
  if (name === 'hunter' || name === 'channel-poll') return Math.max(1, Math.ceil(workerConcurrency / 4));
  return 1;
}
