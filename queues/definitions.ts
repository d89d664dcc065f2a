import type { JobsOptions } from 'bullmq';
import { z } from 'zod';
import { boundedNumber, LIMITS } from '../src/config/ranges.ts';
import { VIDEO_ID_RE } from '../src/video-id.ts';

/**
 * The one map of queue name → job payload schema → default job options. Enqueuing goes through
 * `enqueue()` (queues/index.ts), which validates the payload against this schema, so a job that
 * reaches a worker always has the shape its processor expects.
 */

const videoId = z.string().regex(VIDEO_ID_RE, { message: 'expected an 11-character YouTube video id' });
const bigintString = z.string().regex(/^\d+$/, { message: 'expected a positive whole number' });

export const trackedVideo = z.object({
  id: videoId,
  /** Epoch minutes: published, due (the planned snapshot time), and the tier/misses at claim time. */
  publishedMin: z.number().int(),
  dueMin: z.number().int(),
  tier: z.number().int().min(0).max(2),
  misses: z.number().int().min(0),
  lastTrackedMin: z.number().int().min(0),
});
export type TrackedVideo = z.infer<typeof trackedVideo>;

export const payloadSchemas = {
  /** Claims due search queries and enqueues one hunter job per query. */
  'hunter-dispatch': z.object({}).strict(),
  /** One search.list page of one query. */
  hunter: z
    .object({
      queryId: bigintString,
      query: z.string().min(1).max(200),
      pageToken: z.string().max(200).nullable(),
      publishedAfter: z.string().datetime().nullable(),
      depth: z.number().int().min(0).max(100),
    })
    .strict(),
  /** Claims due watchlist rows (quota-aware, young tiers first) and enqueues tracker batches. */
  'tracker-dispatch': z.object({}).strict(),
  /**
   * Statistics of up to 50 videos: one videos.list call. The videos come from the claimed schedule
   * batches `batchIds`; `leaseMin` is the claim's fencing token.
   */
  tracker: z
    .object({
      leaseMin: z.number().int(),
      batchIds: z.array(bigintString).min(1).max(50),
      videos: z.array(trackedVideo).min(1).max(50),
      /** The capacity check's word at dispatch (src/capacity/overload.ts); absent: no demotion. */
      capacity: z
        .object({ demoteBelowVph: z.number().min(0), overloaded: z.boolean() })
        .strict()
        .optional(),
    })
    .strict(),
  /** Deletes expired hot rows in batches. */
  janitor: z
    .object({
      retentionDays: boundedNumber(0, LIMITS.days).optional(),
      force: z.boolean().optional(),
    })
    .strict(),
  /** Enriches hot videos with channel data and category names. */
  painter: z.object({ limit: z.number().int().min(1).max(10_000).optional() }).strict(),
  /** Computes ML features for hot videos. */
  scribe: z.object({ limit: z.number().int().min(1).max(10_000).optional() }).strict(),
  /** Follows candidate channels and claims due channels for polling, within the channel budget. */
  'channel-dispatch': z.object({}).strict(),
  /**
   * Reads the uploads playlists of up to 500 claimed channels; `leaseUntil` (epoch ms) is the claim's
   * fencing token.
   */
  'channel-poll': z
    .object({
      leaseUntil: z.number().int(),
      channelIds: z
        .array(z.string().regex(/^UC[A-Za-z0-9_-]{22}$/, { message: 'expected a YouTube channel id (UC…)' }))
        .min(1)
        .max(500),
    })
    .strict(),
  /** Asks the WebSub hub for new and expiring subscriptions of followed channels. */
  'websub-subscribe': z.object({}).strict(),
  /** Fetches and ingests video ids that WebSub announced (videos.list, 50 a call). */
  'websub-ingest': z.object({ limit: z.number().int().min(1).max(10_000).optional() }).strict(),
  /** Writes staged snapshots to the vault as Parquet. */
  'vault-flush': z.object({ force: z.boolean().optional() }).strict(),
  /** Merges each finished day's Parquet files into one (or only `date`'s). */
  'vault-compact': z
    .object({
      date: z
        .string()
        .regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'expected YYYY-MM-DD' })
        .optional(),
    })
    .strict(),
} as const;

export type QueueName = keyof typeof payloadSchemas;
export type Payload<Q extends QueueName> = z.infer<(typeof payloadSchemas)[Q]>;
export const QUEUE_NAMES = Object.keys(payloadSchemas) as QueueName[];

export const isQueueName = (s: string): s is QueueName => Object.hasOwn(payloadSchemas, s);

const keep = {
  removeOnComplete: { count: 1000, age: 24 * 3600 },
  removeOnFail: { count: 5000, age: 7 * 24 * 3600 },
};

/** Retries are Redis-driven (BullMQ's delayed set) with exponential backoff. */
export const defaultJobOptions: Record<QueueName, JobsOptions> = {
  'hunter-dispatch': { attempts: 1, removeOnComplete: { count: 50 }, removeOnFail: { count: 200 } },
  hunter: { attempts: 8, backoff: { type: 'exponential', delay: 5_000 }, ...keep },
  'tracker-dispatch': { attempts: 1, removeOnComplete: { count: 50 }, removeOnFail: { count: 200 } },
  tracker: {
    attempts: 10,
    backoff: { type: 'exponential', delay: 2_000 },
    removeOnComplete: { count: 2000, age: 3600 },
    removeOnFail: keep.removeOnFail,
  },
  janitor: { attempts: 5, backoff: { type: 'exponential', delay: 30_000 }, ...keep },
  painter: { attempts: 5, backoff: { type: 'exponential', delay: 10_000 }, ...keep },
  scribe: { attempts: 5, backoff: { type: 'exponential', delay: 10_000 }, ...keep },
  'channel-dispatch': { attempts: 1, removeOnComplete: { count: 50 }, removeOnFail: { count: 200 } },
  'channel-poll': { attempts: 8, backoff: { type: 'exponential', delay: 5_000 }, ...keep },
  'websub-subscribe': { attempts: 1, removeOnComplete: { count: 50 }, removeOnFail: { count: 200 } },
  'websub-ingest': { attempts: 8, backoff: { type: 'exponential', delay: 5_000 }, ...keep },
  'vault-flush': { attempts: 20, backoff: { type: 'exponential', delay: 5_000 }, ...keep },
  'vault-compact': { attempts: 10, backoff: { type: 'exponential', delay: 60_000 }, ...keep },
};
