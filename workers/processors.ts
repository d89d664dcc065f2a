import type { Payload, QueueName } from '../queues/index.ts';
import type { AgentDeps } from './deps.ts';
import { emitOrLog } from './emit-or-log.ts';

type Processor<Q extends QueueName> = (deps: AgentDeps, data: Payload<Q>) => Promise<unknown>;

/**
 * A processor whose module is loaded at its first job: a worker process loads only the agents of the
 * queues it works (a tracker replica never parses the hunter, the painter or the vault's writers,
 * which is memory: docs/architecture.md, "Memory").
 */
function lazy<M, Q extends QueueName>(load: () => Promise<M>, pick: (m: M) => Processor<Q>): Processor<Q> {
  let fn: Processor<Q> | undefined;
  return async (deps, data) => {
    fn ??= pick(await load());
    return fn(deps, data);
  };
}

/** Which function processes each queue's jobs: one processor file per agent. */
export const processors: { [Q in QueueName]: Processor<Q> } = {
  'hunter-dispatch': lazy(
    () => import('./hunter-dispatch.ts'),
    (m) => (deps) => m.dispatchHunter(deps),
  ),
  hunter: lazy(
    () => import('./hunter.ts'),
    (m) => m.hunt,
  ),
  'tracker-dispatch': lazy(
    () => import('./tracker-dispatch.ts'),
    (m) => (deps) => m.dispatchTracker(deps),
  ),
  tracker: lazy(
    () => import('./tracker.ts'),
    (m) => m.track,
  ),
  janitor: lazy(
    () => import('./janitor.ts'),
    (m) => m.runJanitor,
  ),
  painter: lazy(
    () => import('./painter.ts'),
    (m) => m.paint,
  ),
  scribe: lazy(
    () => import('./scribe.ts'),
    (m) => m.scribe,
  ),
  'channel-dispatch': lazy(
    () => import('./channel-dispatch.ts'),
    (m) => (deps) => m.dispatchChannels(deps),
  ),
  'channel-poll': lazy(
    () => import('./channel-poll.ts'),
    (m) => m.pollChannels,
  ),
  'websub-subscribe': lazy(
    () => import('./websub.ts'),
    (m) => (deps) => m.subscribeChannels(deps),
  ),
  'websub-ingest': lazy(
    () => import('./websub.ts'),
    (m) => m.ingestAnnounced,
  ),
  'vault-flush': async (deps, data) => {
    const t0 = Date.now();
    try {
      const { runVaultFlush } = await import('./vault-flush.ts');
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
