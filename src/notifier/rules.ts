import type { Events } from '../events/bus.ts';
import { createStateStore, type StateStore } from '../events/state.ts';
import type { Notifier } from './notifier.ts';

/**
 * The built-in alert rules: each subscribes the `alerts` group to an event and raises alerts
 * through the notifier. The streak and the moving average they keep live in Postgres (the bus's
 * state store), so a restart forgets nothing; every handler is idempotent (redeliveries are
 * recognised by event time), and the stateful ones run on `singleton` group queues, one event at a
 * time across all processes. docs/events.md lists every alert.
 */

export interface AlertRuleOptions {
  /** Subscriber group of the rules (default `alerts`). */
  group?: string;
  /** Vault flush failures in a row before alerting (default 3). */
  vaultFailuresInARow?: number;
  janitor?: {
    /** Runs averaged before the rule judges (default 5). */
    minRuns?: number;
    /** "Far more": above average × highFactor (default 3). */
    highFactor?: number;
    /** "Far less": below average × lowFactor (default 1/3). */
    lowFactor?: number;
    /** Differences smaller than this many rows are never anomalies (default 100). */
    minDelta?: number;
    /** Weight of the newest run in the exponential moving average (default 0.2). */
    alpha?: number;
  };
  /** Handler polling interval, seconds (default: the bus's). */
  pollingIntervalSeconds?: number;
}

interface VaultState {
  lastSuccessAt: string | null;
  /** Failures after the last success, by event id and time. */
  failures: { id: string; at: string }[];
}

interface JanitorState {
  runs: number;
  average: number;
  lastAt: string | null;
}

export const VAULT_STATE_KEY = 'alerts/vault-flush';
export const JANITOR_STATE_KEY = 'alerts/janitor';

export async function installAlertRules(
  events: Events,
  notifier: Notifier,
  opts: AlertRuleOptions = {},
): Promise<{ state: StateStore }> {
  const group = opts.group ?? 'alerts';
  const state = await createStateStore(events.boss);
  const base = opts.pollingIntervalSeconds ? { pollingIntervalSeconds: opts.pollingIntervalSeconds } : {};
  const serial = { ...base, policy: 'singleton' as const, batchSize: 1 };
  const streak = Math.max(1, opts.vaultFailuresInARow ?? 3);
  const j = {
    minRuns: 5,
    highFactor: 3,
    lowFactor: 1 / 3,
    minDelta: 100,
    alpha: 0.2,
    ...opts.janitor,
  };
  // Both vault events update one state key: in one process they take turns.
  const vaultLock = mutex();

  await events.on(
    'key.invalid',
    group,
    async (e) => {
      notifier.send(
        'error',
        `YouTube rejected API key ${e.fingerprint} of pool ${e.pool}`,
        { pool: e.pool, fingerprint: e.fingerprint, reason: e.reason, at: e.at },
        { dedupeKey: `key.invalid:${e.pool}:${e.fingerprint}` },
      );
    },
    base,
  );

  await events.on(
    'pool.exhausted',
    group,
    async (e) => {
      notifier.send(
        'warning',
        `Every key of pool ${e.pool} is spent for ${e.bucket} until ${e.resetAt}`,
        { pool: e.pool, bucket: e.bucket, resetAt: e.resetAt, keys: e.keys, at: e.at },
        { dedupeKey: `pool:${e.pool}:${e.bucket}` },
      );
    },
    base,
  );

  await events.on(
    'pool.reset',
    group,
    async (e) => {
      notifier.send(
        'info',
        `Pool ${e.pool} has ${e.bucket} quota again`,
        { pool: e.pool, bucket: e.bucket, at: e.at },
        { dedupeKey: `pool:${e.pool}:${e.bucket}` },
      );
    },
    base,
  );

  await events.on(
    'quota.low',
    group,
    async (e) => {
      notifier.send(
        'warning',
        `Pool ${e.pool} is running low on ${e.bucket} quota`,
        { pool: e.pool, bucket: e.bucket, remaining: e.remaining, quota: e.quota, at: e.at },
        { dedupeKey: `quota.low:${e.pool}:${e.bucket}` },
      );
    },
    base,
  );

  await events.on(
    'job.failed_permanently',
    group,
    async (e) => {
      notifier.send(
        'error',
        `Jobs of queue ${e.queue} are failing permanently`,
        {
          queue: e.queue,
          jobId: e.jobId,
          jobName: e.jobName,
          attempts: e.attempts,
          error: e.error,
          at: e.at,
        },
        { dedupeKey: `job.failed:${e.queue}` },
      );
    },
    base,
  );

  await events.on(
    'vault.flush_failed',
    group,
    (e, meta) =>
      vaultLock(async () => {
        const s = (await state.get<VaultState>(VAULT_STATE_KEY)) ?? { lastSuccessAt: null, failures: [] };
        if (s.lastSuccessAt && e.at <= s.lastSuccessAt) return; // older than the last success
        if (s.failures.some((f) => f.id === meta.eventId)) return; // redelivered
        s.failures = [...s.failures, { id: meta.eventId, at: e.at }].slice(-100);
        await state.set(VAULT_STATE_KEY, s);
        if (s.failures.length >= streak)
          notifier.send(
            'error',
            'Vault flushes keep failing',
            {
              failuresInARow: s.failures.length,
              since: s.failures[0]!.at,
              lastError: e.error,
              provider: e.provider,
              lastSuccessAt: s.lastSuccessAt,
            },
            { dedupeKey: 'vault.flush_failed' },
          );
      }),
    serial,
  );

  await events.on(
    'vault.flushed',
    group,
    (e) =>
      vaultLock(async () => {
        const s = (await state.get<VaultState>(VAULT_STATE_KEY)) ?? { lastSuccessAt: null, failures: [] };
        if (s.lastSuccessAt && e.at <= s.lastSuccessAt) return; // redelivered or out of order
        const before = s.failures.filter((f) => f.at < e.at).length;
        s.failures = s.failures.filter((f) => f.at > e.at);
        s.lastSuccessAt = e.at;
        await state.set(VAULT_STATE_KEY, s);
        if (before >= streak)
          notifier.send(
            'info',
            'Vault flushes work again',
            { failuresInARow: before, rows: e.rows, at: e.at },
            { dedupeKey: 'vault.flush_failed' },
          );
      }),
    serial,
  );

  await events.on(
    'janitor.completed',
    group,
    async (e) => {
      const s = (await state.get<JanitorState>(JANITOR_STATE_KEY)) ?? { runs: 0, average: 0, lastAt: null };
      if (s.lastAt && e.at <= s.lastAt) return; // redelivered
      const avg = s.average;
      if (s.runs >= j.minRuns) {
        const meta = { deleted: e.deleted, average: Math.round(avg), runs: s.runs, at: e.at };
        if (e.deleted > avg * j.highFactor && e.deleted - avg >= j.minDelta)
          notifier.send('warning', 'The janitor deleted far more rows than usual', meta, {
            dedupeKey: 'janitor.anomaly',
          });
        else if (e.deleted < avg * j.lowFactor && avg - e.deleted >= j.minDelta)
          notifier.send('warning', 'The janitor deleted far fewer rows than usual', meta, {
            dedupeKey: 'janitor.anomaly',
          });
      }
      // A plain mean for the first runs, then an exponential moving average that follows a new normal.
      const weight = Math.max(j.alpha, 1 / (s.runs + 1));
      await state.set<JanitorState>(JANITOR_STATE_KEY, {
        runs: s.runs + 1,
        average: avg + weight * (e.deleted - avg),
        lastAt: e.at,
      });
    },
    serial,
  );

  return { state };
}

function mutex(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>) => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => {});
    return run;
  };
}
