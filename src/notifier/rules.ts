import type { EventHandler, EventMeta, Events } from '../events/bus.ts';
import type { EventData, EventName } from '../events/schemas.ts';
import { createStateStore, type StateStore } from '../events/state.ts';
import type { Notifier } from './notifier.ts';
import type { AlertLevel } from './throttle.ts';

/**
 * The built-in alert rules, as a table (ALERT_RULES) run by one engine (installAlertRules): each rule
 * subscribes the `alerts` group to an event and raises alerts through the notifier. The streak and the moving average they keep live in Postgres (the bus's
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

interface RuleContext {
  notifier: Notifier;
  state: StateStore;
  /** Vault flush failures in a row before alerting. */
  streak: number;
  janitor: Required<NonNullable<AlertRuleOptions['janitor']>>;
  /** Both vault rules update one state key: in one process they take turns. */
  vaultLock: <T>(fn: () => Promise<T>) => Promise<T>;
}

/** One alert rule: the event it reads and what it does with each. */
export interface AlertRule<N extends EventName = EventName> {
  event: N;
  /** Keeps state: one event at a time across all processes (a `singleton` group queue). */
  serial?: boolean;
  handle(e: EventData<N>, meta: EventMeta, ctx: RuleContext): Promise<void>;
}

const rule = <N extends EventName>(r: AlertRule<N>): AlertRule => r as unknown as AlertRule;

/** A stateless rule: every event is one alert, deduplicated by key. */
const notify = <N extends EventName>(
  event: N,
  level: AlertLevel,
  message: (e: EventData<N>) => string,
  metadata: (e: EventData<N>) => object,
  dedupeKey: (e: EventData<N>) => string,
): AlertRule =>
  rule({
    event,
    handle: async (e, _meta, ctx) =>
      ctx.notifier.send(level, message(e), metadata(e), { dedupeKey: dedupeKey(e) }),
  });

const vaultState = async (state: StateStore): Promise<VaultState> =>
  (await state.get<VaultState>(VAULT_STATE_KEY)) ?? { lastSuccessAt: null, failures: [] };

export const ALERT_RULES: readonly AlertRule[] = [
  notify(
    'key.invalid',
    'error',
    (e) => `YouTube rejected API key ${e.fingerprint} of pool ${e.pool}`,
    (e) => ({ pool: e.pool, fingerprint: e.fingerprint, reason: e.reason, at: e.at }),
    (e) => `key.invalid:${e.pool}:${e.fingerprint}`,
  ),
  notify(
    'pool.exhausted',
    'warning',
    (e) => `Every key of pool ${e.pool} is spent for ${e.bucket} until ${e.resetAt}`,
    (e) => ({ pool: e.pool, bucket: e.bucket, resetAt: e.resetAt, keys: e.keys, at: e.at }),
    (e) => `pool:${e.pool}:${e.bucket}`,
  ),
  notify(
    'pool.reset',
    'info',
    (e) => `Pool ${e.pool} has ${e.bucket} quota again`,
    (e) => ({ pool: e.pool, bucket: e.bucket, at: e.at }),
    (e) => `pool:${e.pool}:${e.bucket}`,
  ),
  notify(
    'quota.low',
    'warning',
    (e) => `Pool ${e.pool} is running low on ${e.bucket} quota`,
    (e) => ({ pool: e.pool, bucket: e.bucket, remaining: e.remaining, quota: e.quota, at: e.at }),
    (e) => `quota.low:${e.pool}:${e.bucket}`,
  ),
  rule({
    event: 'capacity.short',
    handle: async (e, _meta, { notifier }) =>
      notifier.send(
        e.inDays === 0 ? 'error' : 'warning',
        e.inDays === 0
          ? `The watchlist needs ${e.neededUnits} units a day; pool ${e.pool} supplies ${e.availableUnits} (${e.policy})`
          : `The watchlist will need more units than pool ${e.pool} supplies within ${e.inDays} days`,
        { ...e },
        { dedupeKey: `capacity:${e.pool}:${e.inDays === 0 ? 'now' : 'soon'}` },
      ),
  }),
  notify(
    'job.failed_permanently',
    'error',
    (e) => `Jobs of queue ${e.queue} are failing permanently`,
    (e) => ({
      queue: e.queue,
      jobId: e.jobId,
      jobName: e.jobName,
      attempts: e.attempts,
      error: e.error,
      at: e.at,
    }),
    (e) => `job.failed:${e.queue}`,
  ),
  rule({
    event: 'vault.flush_failed',
    serial: true,
    handle: (e, meta, { state, notifier, streak, vaultLock }) =>
      vaultLock(async () => {
        const s = await vaultState(state);
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
  }),
  rule({
    event: 'vault.flushed',
    serial: true,
    handle: (e, _meta, { state, notifier, streak, vaultLock }) =>
      vaultLock(async () => {
        const s = await vaultState(state);
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
  }),
  rule({
    event: 'janitor.completed',
    serial: true,
    async handle(e, _meta, { state, notifier, janitor: j }) {
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
  }),
];

/** The engine: subscribes every rule of ALERT_RULES, with the settings and the state they share. */
export async function installAlertRules(
  events: Events,
  notifier: Notifier,
  opts: AlertRuleOptions = {},
): Promise<{ state: StateStore }> {
  const group = opts.group ?? 'alerts';
  const state = await createStateStore(events.boss);
  const base = opts.pollingIntervalSeconds ? { pollingIntervalSeconds: opts.pollingIntervalSeconds } : {};
  const serial = { ...base, policy: 'singleton' as const, batchSize: 1 };
  const ctx: RuleContext = {
    notifier,
    state,
    streak: Math.max(1, opts.vaultFailuresInARow ?? 3),
    janitor: { minRuns: 5, highFactor: 3, lowFactor: 1 / 3, minDelta: 100, alpha: 0.2, ...opts.janitor },
    vaultLock: mutex(),
  };
  for (const r of ALERT_RULES) {
    const handler: EventHandler<EventName> = (e, meta) => r.handle(e, meta, ctx);
    await events.on(r.event, group, handler, r.serial ? serial : base);
  }
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
