import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { type Db, type JobResult, type JobWithMetadata, PgBoss, type Queue } from 'pg-boss';
import { type Clock, systemClock } from '../clock.ts';
import type { Queryable } from '../db/pool.ts';
import { EventBusError, ValidationError } from '../errors/index.ts';
import type { Logger } from '../log.ts';
import { scrubAlertText as scrubText } from '../notifier/scrub.ts';
import { type EventData, type EventName, type EventPayload, isEventName, parseEvent } from './schemas.ts';

/**
 * The events bus: durable, at-least-once events in pg-boss, in the same Postgres as the data.
 *
 * Design: one pg-boss queue per (event, subscriber group), named `ev/<event>/<group>`. The queue IS
 * the subscription: it is created by the group's first `on()` and outlives its processes, so events
 * emitted while every replica of a group is down wait for it. `emit` inserts one job per group queue
 * of the event (one INSERT per group for a whole batch of payloads), so each group gets each event
 * once, and any number of processes may work a group's queue: pg-boss hands each job to one of them
 * (SKIP LOCKED). A handler that throws is retried with backoff; delivery is at-least-once, so
 * handlers must be idempotent (`meta.eventId` is the same for every group and every retry).
 *
 * Why not pg-boss's publish/subscribe: it looks subscribers up and sends one job per queue and per
 * payload; this bus needs a page of payloads in one statement per group, inside the caller's
 * transaction. The list of group queues is read through pg-boss's public getQueues() and cached
 * for `subscriberCacheMs` (default 5 s): a brand-new group receives the events emitted from at most
 * that long after its first `on()`.
 *
 * Transactional emit: with `tx`, the INSERTs run on the caller's client, so the events exist if and
 * only if the caller's transaction commits. Without `tx`, the inserts for all groups share a
 * transaction of their own.
 *
 * Retention: a finished event job (completed or failed) is deleted after `keepFinishedSeconds`
 * (default 1 day), one never picked up after `maxWaitSeconds` (default 7 days), by pg-boss's
 * maintenance, which any process started with `supervise: true` runs (pg-boss serialises it with an
 * advisory lock). `video.discovered` queues get a table of their own (pg-boss `partition`), so their
 * volume does not bloat the shared job table.
 */

export const DEFAULT_EVENTS_SCHEMA = 'pgboss';
const QUEUE_PREFIX = 'ev/';
const GROUP_RE = /^[A-Za-z0-9_.-]{1,60}$/;
/** Events heavy enough to deserve their own pg-boss table per group. */
const PARTITIONED: ReadonlySet<EventName> = new Set(['video.discovered']);

export const eventQueueName = (event: EventName, group: string): string => `${QUEUE_PREFIX}${event}/${group}`;

/**
 * pg-boss shares the `pg` module with src/db/pool.ts, which parses int8 as BigInt process-wide;
 * pg-boss expects pg's default (a string), so its own pool gets its own type parsers.
 */
const pgBossTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 && format !== 'binary'
      ? (v: string) => v
      : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

export interface EventMeta {
  /** The event's id: the same for every group and every retry. Use it to make a handler idempotent. */
  eventId: string;
  event: EventName;
  group: string;
  /** The pg-boss job id (one per event and group). */
  jobId: string;
  /** 1 on the first delivery, 2 on the first retry… */
  attempt: number;
  /** True when this is the last attempt before the event is given up on. */
  lastAttempt: boolean;
}

export type EventHandler<N extends EventName> = (payload: EventData<N>, meta: EventMeta) => Promise<void>;

export interface GroupOptions {
  /** Events fetched per poll (default 10, 50 for video.discovered); handled one after another. */
  batchSize?: number;
  /** Batches handled at once in this process (default 1). */
  concurrency?: number;
  /** Retries after the first attempt (default 8), with exponential backoff from `retryDelaySeconds`. */
  retryLimit?: number;
  retryDelaySeconds?: number;
  retryDelayMaxSeconds?: number;
  /** Seconds a handler may run before its event is retried elsewhere (default 300). */
  expireInSeconds?: number;
  /** Seconds a completed or failed event is kept for inspection (default 86,400). */
  keepFinishedSeconds?: number;
  /** Seconds an event waits for its group before it is dropped (default 7 days). */
  maxWaitSeconds?: number;
  /** `singleton`: one event of this group queue handled at a time across all processes. */
  policy?: 'standard' | 'singleton';
  /** Seconds between polls when idle (default: the bus's `pollingIntervalSeconds`). */
  pollingIntervalSeconds?: number;
}

export interface EmitOptions {
  /** The caller's transaction: the events are published if and only if it commits. */
  tx?: Queryable;
}

export interface Events {
  emit<N extends EventName>(name: N, payload: EventPayload<N>, opts?: EmitOptions): Promise<void>;
  /** A batch of one event name: one INSERT per subscriber group, whatever the batch size. */
  emitMany<N extends EventName>(name: N, payloads: EventPayload<N>[], opts?: EmitOptions): Promise<void>;
  /** For callers that hold the name as a string (workers/deps.ts's EventEmitter): checked at run time. */
  emitAny(name: string, payloads: Record<string, unknown>[], opts?: EmitOptions): Promise<void>;
  /** Subscribes `group` to `name` in this process. Every group gets every event once. */
  on<N extends EventName>(
    name: N,
    group: string,
    handler: EventHandler<N>,
    opts?: GroupOptions,
  ): Promise<void>;
  /** Retires a group: deletes its queue and the events waiting in it. */
  removeGroup(name: EventName, group: string): Promise<void>;
  /** The group queues of an event, as `ev/<event>/<group>` (cached, see `subscriberCacheMs`). */
  groupsOf(name: EventName): Promise<string[]>;
  /** The pg-boss instance, for the state store and for tests that inspect queues. */
  readonly boss: PgBoss;
  readonly schema: string;
  stop(): Promise<void>;
}

export interface CreateEventsOptions {
  databaseUrl: string;
  log: Logger;
  schema?: string;
  clock?: Clock;
  /** Connections of pg-boss's own pool (default 4). */
  poolMax?: number;
  /** Run pg-boss maintenance (retention, expiry) from this process too (default true). */
  supervise?: boolean;
  subscriberCacheMs?: number;
  /** Default idle polling interval of handlers, seconds (default 2, minimum 0.5). */
  pollingIntervalSeconds?: number;
  applicationName?: string;
}

const envelopeOf = (data: unknown): { id: string; payload: unknown } | null => {
  const d = data as { id?: unknown; payload?: unknown } | null;
  return d && typeof d.id === 'string' && d.payload && typeof d.payload === 'object'
    ? { id: d.id, payload: d.payload }
    : null;
};

const txDb = (tx: Queryable): Db => ({
  executeSql: async (text, values) => tx.query(text, values as unknown[]),
});

/** Creates pg-boss's schema (or migrates it to this pg-boss version). Run by `pleiades migrate`. */
export async function installEventsSchema(
  databaseUrl: string,
  opts: { schema?: string; log?: Logger } = {},
): Promise<void> {
  const boss = new PgBoss({
    connectionString: databaseUrl,
    schema: opts.schema ?? DEFAULT_EVENTS_SCHEMA,
    max: 2,
    application_name: 'pleiades-migrate',
    migrate: true,
    supervise: false,
    schedule: false,
    registerInstance: false,
    ...{ types: pgBossTypes },
  });
  boss.on('error', (err) =>
    opts.log?.warn({ err: scrubText(err.message) }, 'pg-boss error while installing'),
  );
  try {
    await boss.start();
  } catch (err) {
    throw new EventBusError(`installing the events schema failed: ${scrubText((err as Error).message)}`, {
      cause: err,
    });
  } finally {
    await boss.stop({ graceful: false, timeout: 1000 }).catch(() => {});
  }
  opts.log?.info({ schema: opts.schema ?? DEFAULT_EVENTS_SCHEMA }, 'events schema is installed');
}

/**
 * Connects to pg-boss. Never creates or migrates its schema: that is `installEventsSchema`'s job
 * (`pleiades migrate`); a missing schema is an EventBusError that says so.
 */
export async function createEvents(opts: CreateEventsOptions): Promise<Events> {
  const { log } = opts;
  const clock = opts.clock ?? systemClock;
  const schema = opts.schema ?? DEFAULT_EVENTS_SCHEMA;
  const cacheMs = opts.subscriberCacheMs ?? 5000;
  const polling = Math.max(0.5, opts.pollingIntervalSeconds ?? 2);
  const boss = new PgBoss({
    connectionString: opts.databaseUrl,
    schema,
    max: opts.poolMax ?? 4,
    application_name: opts.applicationName ?? 'pleiades-events',
    migrate: false,
    createSchema: false,
    supervise: opts.supervise ?? true,
    schedule: false,
    openTelemetry: { enabled: false },
    ...{ types: pgBossTypes },
  });
  boss.on('error', (err) => log.warn({ err: scrubText(err.message) }, 'events bus: pg-boss error'));
  boss.on('warning', (w) => log.debug({ warning: scrubText(w.message) }, 'events bus: pg-boss warning'));
  try {
    await boss.start();
  } catch (err) {
    await boss.stop({ graceful: false, close: true }).catch(() => {});
    const msg = scrubText((err as Error).message);
    throw new EventBusError(
      /not installed|requires migrations/.test(msg)
        ? `the events schema "${schema}" is missing or old: run \`pleiades migrate\` (${msg})`
        : `the events bus could not start: ${msg}`,
      { cause: err },
    );
  }

  let cache: { until: number; byEvent: Map<string, string[]> } | null = null;
  let loading: Promise<Map<string, string[]>> | null = null;
  const loadGroups = async (): Promise<Map<string, string[]>> => {
    if (cache && cache.until > Date.now()) return cache.byEvent;
    loading ??= (async () => {
      try {
        const queues = await boss.getQueues(undefined, { limit: 100_000 });
        const byEvent = new Map<string, string[]>();
        for (const q of queues) {
          if (!q.name.startsWith(QUEUE_PREFIX)) continue;
          const slash = q.name.lastIndexOf('/');
          const event = q.name.slice(QUEUE_PREFIX.length, slash);
          byEvent.set(event, [...(byEvent.get(event) ?? []), q.name]);
        }
        cache = { until: Date.now() + cacheMs, byEvent };
        return byEvent;
      } finally {
        loading = null;
      }
    })();
    return loading;
  };
  const groupsOf = async (name: EventName) => (await loadGroups()).get(name) ?? [];

  async function insertAll(queues: string[], jobs: { data: object }[], tx?: Queryable): Promise<void> {
    if (tx) {
      const db = txDb(tx);
      for (const q of queues) await boss.insert(q, jobs, { db });
      return;
    }
    const root = boss.getDb();
    if (queues.length === 1 || !root.beginTransaction) {
      for (const q of queues) await boss.insert(q, jobs);
      return;
    }
    const t = await root.beginTransaction();
    try {
      for (const q of queues) await boss.insert(q, jobs, { db: t.db });
      await t.commit();
    } catch (err) {
      await t.rollback();
      throw err;
    }
  }

  async function emitMany<N extends EventName>(name: N, payloads: EventPayload<N>[], o: EmitOptions = {}) {
    if (!isEventName(name))
      throw new ValidationError([{ field: 'event', message: `unknown event ${JSON.stringify(name)}` }]);
    if (!payloads.length) return;
    const now = clock.now();
    const jobs = payloads.map((p) => ({ data: { id: randomUUID(), payload: parseEvent(name, p, now) } }));
    try {
      const queues = await groupsOf(name);
      if (!queues.length) return; // nobody subscribes: like any pub/sub, the event goes nowhere
      await insertAll(queues, jobs, o.tx);
    } catch (err) {
      cache = null; // a group may have been removed meanwhile
      throw new EventBusError(`emitting ${name} failed: ${scrubText((err as Error).message)}`, {
        cause: err,
      });
    }
  }

  const events: Events = {
    boss,
    schema,
    emit: (name, payload, o) => emitMany(name, [payload], o),
    emitMany,
    async emitAny(name, payloads, o) {
      if (!isEventName(name))
        throw new ValidationError([{ field: 'event', message: `unknown event ${JSON.stringify(name)}` }]);
      return emitMany(name, payloads as EventPayload<typeof name>[], o);
    },
    groupsOf,

    async on(name, group, handler, g = {}) {
      if (!isEventName(name))
        throw new ValidationError([{ field: 'event', message: `unknown event ${JSON.stringify(name)}` }]);
      if (!GROUP_RE.test(group))
        throw new ValidationError([{ field: 'group', message: 'expected 1-60 letters, digits, _ . or -' }]);
      const queue = eventQueueName(name, group);
      const settings = {
        retryLimit: g.retryLimit ?? 8,
        retryDelay: g.retryDelaySeconds ?? 5,
        retryBackoff: true,
        retryDelayMax: g.retryDelayMaxSeconds ?? 600,
        expireInSeconds: g.expireInSeconds ?? 300,
        deleteAfterSeconds: g.keepFinishedSeconds ?? 86_400,
        retentionSeconds: g.maxWaitSeconds ?? 7 * 86_400,
      } satisfies Omit<Queue, 'name'>;
      await boss.createQueue(queue, {
        ...settings,
        policy: g.policy ?? 'standard',
        partition: PARTITIONED.has(name),
      });
      await boss.updateQueue(queue, settings); // an existing queue takes changed settings
      cache = null;
      const workOptions = {
        batchSize: g.batchSize ?? (PARTITIONED.has(name) ? 50 : 10),
        localConcurrency: g.concurrency ?? 1,
        pollingIntervalSeconds: g.pollingIntervalSeconds ?? polling,
        // A backlog is fetched batch after batch without waiting out the polling interval.
        burstWhenBatchFull: true,
        includeMetadata: true,
        perJobResults: true,
      } as const;
      await boss.work(queue, workOptions, async (jobs: JobWithMetadata<object>[]) => {
        const results: JobResult[] = [];
        for (const job of jobs) results.push(await handleOne(name, group, queue, handler, job));
        return results;
      });
    },

    async removeGroup(name, group) {
      await boss.offWork(eventQueueName(name, group)).catch(() => {});
      await boss.deleteQueue(eventQueueName(name, group));
      cache = null;
    },

    async stop() {
      await boss.stop({ graceful: true, timeout: 10_000 });
    },
  };

  async function handleOne<N extends EventName>(
    name: N,
    group: string,
    queue: string,
    handler: EventHandler<N>,
    job: JobWithMetadata<object>,
  ): Promise<JobResult> {
    const env = envelopeOf(job.data);
    const lastAttempt = job.retryCount >= job.retryLimit;
    const meta: EventMeta = {
      eventId: env?.id ?? job.id,
      event: name,
      group,
      jobId: job.id,
      attempt: job.retryCount + 1,
      lastAttempt,
    };
    let payload: EventData<N>;
    try {
      if (!env) throw new ValidationError([{ field: 'data', message: 'not an event envelope' }]);
      payload = parseEvent(name, env.payload, clock.now());
    } catch (err) {
      // A malformed event never becomes valid: fail it at once instead of retrying.
      const error = scrubText((err as Error).message);
      log.error({ event: name, group, jobId: job.id, err: error }, 'events bus: malformed event dropped');
      await reportFailure(name, queue, job, error, meta.attempt);
      return { id: job.id, status: 'deadletter', output: { error } };
    }
    try {
      await handler(payload, meta);
      return { id: job.id, status: 'completed' };
    } catch (err) {
      const error = scrubText((err as Error)?.message ?? String(err));
      log[lastAttempt ? 'error' : 'warn'](
        { event: name, group, jobId: job.id, attempt: meta.attempt, err: error },
        lastAttempt ? 'events bus: handler failed for good' : 'events bus: handler failed, will retry',
      );
      if (lastAttempt) await reportFailure(name, queue, job, error, meta.attempt);
      return { id: job.id, status: 'failed', output: { error } };
    }
  }

  async function reportFailure(
    name: EventName,
    queue: string,
    job: { id: string },
    error: string,
    attempts: number,
  ) {
    // A failing handler of job.failed_permanently itself is only logged, or one failure would loop.
    if (name === 'job.failed_permanently') return;
    await emitMany('job.failed_permanently', [
      { queue: `events:${queue}`, jobId: job.id, jobName: name, attempts, error },
    ]).catch((err) =>
      log.error({ err: scrubText((err as Error).message) }, 'events bus: could not report a failed event'),
    );
  }

  return events;
}
