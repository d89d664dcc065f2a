import { z } from 'zod';
import { ValidationError } from '../errors/index.ts';
import { VIDEO_ID_RE } from '../video-id.ts';

/**
 * One zod schema per event name: what an emitter may publish and what a handler receives. Unknown
 * fields are stripped (a stray `key: "AIza…"` never reaches pg-boss's tables), times are stored as
 * ISO strings, and API keys are named only by their fingerprint (`k_` + 12 hex, `@pleiades/youtube-simulator/fingerprint`).
 * Every payload carries `at`, the time the event happened; `emit` fills it from its clock when absent.
 */

/** A time given as ms since the epoch, a Date or an ISO string; stored as an ISO string. */
const time = z
  .union([z.number().finite(), z.date(), z.iso.datetime({ offset: true })])
  .transform((v) => new Date(v).toISOString());

const count = z.number().int().min(0);
const videoId = z.string().regex(VIDEO_ID_RE, { message: 'expected an 11-character YouTube video id' });
/** Postgres int8 ids arrive as bigint, string or number; JSON carries them as strings. */
const int8Id = z
  .union([z.bigint(), z.string().regex(/^-?\d+$/), z.number().int()])
  .transform((v) => String(v));
const fingerprint = z
  .string()
  .regex(/^k_[0-9a-f]{12}$/, { message: 'expected a key fingerprint (k_ + 12 hex digits), never a key' });
const pool = z.string().min(1).max(100);
const bucket = z.enum(['search', 'units']);
/** Error text shown in alerts: long stacks are cut; secrets are scrubbed by the notifier. */
const errorText = z
  .string()
  .transform((s) => (s.length > 2000 ? `${s.slice(0, 2000)}…` : s))
  .pipe(z.string());

export const eventSchemas = {
  /** A video id seen for the first time, in the transaction that stored its row. ~100k/day. */
  'video.discovered': z.object({
    videoId,
    channelId: z.string().max(64).nullable().optional(),
    publishedAt: time,
    queryId: int8Id.optional(),
    /** How it was found: `search`, `channel`, `related`… */
    route: z.string().max(32).optional(),
  }),
  /** A tracked video that YouTube no longer returns (deleted or private) after N misses in a row. */
  'video.gone': z.object({ videoId, misses: count }),
  /** New search queries derived from the results of `parent`. */
  'query.snowballed': z.object({
    parentId: int8Id,
    parent: z.string().max(200).optional(),
    queries: z.array(z.string().max(200)).min(1),
    depth: count,
  }),
  /** One key's bucket is spent until `resetAt` (Pacific midnight). */
  'key.exhausted': z.object({
    pool,
    fingerprint,
    bucket,
    resetAt: time,
    /** `count`: our count reached the quota; `youtube`: YouTube said quotaExceeded first. */
    source: z.enum(['count', 'youtube']).optional(),
  }),
  /** YouTube rejected a key (revoked, deleted, API disabled): Hydra stops using it. */
  'key.invalid': z.object({ pool, fingerprint, reason: z.string().max(200).optional() }),
  /** Every key of a pool is spent (or disabled) for a bucket until `resetAt`. */
  'pool.exhausted': z.object({ pool, bucket, resetAt: time, keys: count.optional() }),
  /** A pool's bucket is usable again (the Pacific day turned, or a key came back). */
  'pool.reset': z.object({ pool, bucket }),
  /** A pool's remaining quota in a bucket fell below HYDRA_QUOTA_LOW_FRACTION of its total. */
  'quota.low': z.object({ pool, bucket, remaining: count, quota: count.optional() }),
  /**
   * The capacity check found the watchlist needing more units a day than the tracking pool supplies:
   * now (`inDays` 0) or within the planner's 7-day projection.
   */
  'capacity.short': z.object({
    pool,
    neededUnits: count,
    availableUnits: count,
    inDays: z.number().int().min(0).max(7),
    policy: z.enum(['defer', 'demote']),
    demoteBelowVph: z.number().min(0).optional(),
  }),
  /** One janitor run: how many hot rows it deleted. */
  'janitor.completed': z.object({
    deleted: count,
    batches: count.optional(),
    retentionDays: z.number().min(0).optional(),
    cutoff: time.optional(),
    durationMs: count.optional(),
  }),
  /** Staged snapshots written to the vault. */
  'vault.flushed': z.object({
    rows: count,
    files: count.optional(),
    bytes: count.optional(),
    provider: z.string().max(32).optional(),
    durationMs: count.optional(),
  }),
  /** A vault flush attempt failed (it will be retried by its queue). */
  'vault.flush_failed': z.object({
    error: errorText,
    provider: z.string().max(32).optional(),
    rows: count.optional(),
    attempt: z.number().int().min(1).optional(),
  }),
  /** A job exhausted its retries: BullMQ queues, or an event handler of this bus (`events:<queue>`). */
  'job.failed_permanently': z.object({
    queue: z.string().min(1).max(200),
    jobId: z.string().min(1).max(200),
    jobName: z.string().max(200).optional(),
    attempts: count,
    error: errorText,
  }),
} as const;

export type EventName = keyof typeof eventSchemas;
export const EVENT_NAMES = Object.keys(eventSchemas) as EventName[];
export const isEventName = (s: string): s is EventName => Object.hasOwn(eventSchemas, s);

type Schema<N extends EventName> = (typeof eventSchemas)[N];
/** What an emitter passes: the schema's input, with `at` optional (defaults to the bus clock's now). */
export type EventPayload<N extends EventName> = z.input<Schema<N>> & { at?: number | Date | string };
/** What a handler receives: validated, times as ISO strings, `at` always present. */
export type EventData<N extends EventName> = z.output<Schema<N>> & { at: string };

const withAt = new Map<EventName, z.ZodType>(
  EVENT_NAMES.map((n) => [n, eventSchemas[n].extend({ at: time })] as [EventName, z.ZodType]),
);

/** Validates one payload; `now` fills a missing `at`. Throws ValidationError naming the field. */
export function parseEvent<N extends EventName>(name: N, payload: unknown, now: number): EventData<N> {
  const schema = withAt.get(name);
  if (!schema)
    throw new ValidationError([{ field: 'event', message: `unknown event ${JSON.stringify(name)}` }]);
  const input =
    payload && typeof payload === 'object' && (payload as { at?: unknown }).at === undefined
      ? { ...payload, at: now }
      : payload;
  const r = schema.safeParse(input);
  if (!r.success)
    throw new ValidationError(
      r.error.issues.map((i) => ({
        field: `${name}${i.path.length ? `.${i.path.join('.')}` : ''}`,
        message: i.message,
      })),
    );
  return r.data as EventData<N>;
}
