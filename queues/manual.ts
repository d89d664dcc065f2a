import { z } from 'zod';
import { followChannels } from '../src/dao/followed-channels.ts';
import { addToSearchQueue, normalizeQuery, type SearchQuery } from '../src/dao/search-queue.ts';
import { getVideos } from '../src/dao/videos.ts';
import { addToWatchlist } from '../src/dao/watchlist.ts';
import type { Pool } from '../src/db/pool.ts';
import { ValidationError } from '../src/errors/index.ts';
import { searchQueryText } from '../src/query-text.ts';
import type { TierPolicy } from '../src/tiers.ts';
import { VIDEO_ID_RE } from '../src/video-id.ts';
import { enqueue, type QueueSet } from './index.ts';

/**
 * Work added by hand, from the CLI (`pleiades enqueue`) and the HTTP API alike: one set of rules for
 * what is acceptable, errors that name the field, and nothing stored when anything is wrong.
 */

/** Manual queries run before snowballed ones (negative priorities) and alongside seeds (10). */
export const DEFAULT_MANUAL_PRIORITY = 10;

/** The rules for a query's text are the seeds' too: src/query-text.ts. */
export const searchQueryInput = searchQueryText;

export const priorityInput = z
  .number({ message: 'expected a number' })
  .int({ message: 'expected a whole number' })
  .min(-1000, { message: 'expected at least -1000' })
  .max(1000, { message: 'expected at most 1000' });

export const videoIdInput = z
  .string({ message: 'expected a string' })
  .regex(VIDEO_ID_RE, { message: 'expected an 11-character YouTube video id' });

/** Jobs a person may start by hand; the dispatchers and trackers are the schedulers' business. */
export const MANUAL_JOB_QUEUES = ['janitor', 'painter', 'scribe', 'vault-flush', 'vault-compact'] as const;
export type ManualJobQueue = (typeof MANUAL_JOB_QUEUES)[number];

function check<T>(schema: z.ZodType<T>, value: unknown, field: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new ValidationError(
    r.error.issues.map((i) => ({ field: [field, ...i.path].join('.'), message: i.message })),
  );
}

/** Queues search queries at `priority`, due at `now`. */
export async function addSearchQueries(
  pool: Pool,
  queries: unknown[],
  priority: unknown = DEFAULT_MANUAL_PRIORITY,
  now: number = Date.now(),
): Promise<{ added: SearchQuery[]; alreadyQueued: string[] }> {
  if (queries.length === 0) throw new ValidationError([{ field: 'queries', message: 'no query given' }]);
  if (queries.length > 1000)
    throw new ValidationError([{ field: 'queries', message: 'at most 1000 queries at once' }]);
  const clean = queries.map((q, i) => check(searchQueryInput, q, `queries.${i}`));
  const p = check(priorityInput, priority, 'priority');
  const added = await addToSearchQueue(
    pool,
    clean.map((query) => ({ query, priority: p, origin: 'manual' as const })),
    new Date(now),
  );
  const addedNorms = new Set(added.map((a) => normalizeQuery(a.query)));
  return { added, alreadyQueued: clean.filter((q) => !addedNorms.has(normalizeQuery(q))) };
}

/**
 * Puts videos on the watchlist, due at once. A video still in the hot table keeps its publication
 * time; any other is taken as published now (its age is unknown until YouTube is asked), so it starts
 * HOURLY.
 */
export async function trackVideos(
  pool: Pool,
  ids: unknown[],
  now: number,
  policy?: TierPolicy,
): Promise<{ added: number; alreadyTracked: number }> {
  if (ids.length === 0) throw new ValidationError([{ field: 'videoIds', message: 'no video id given' }]);
  if (ids.length > 10_000)
    throw new ValidationError([{ field: 'videoIds', message: 'at most 10000 ids at once' }]);
  const clean = [...new Set(ids.map((id, i) => check(videoIdInput, id, `videoIds.${i}`)))];
  const known = new Map((await getVideos(pool, clean)).map((v) => [v.id, v.publishedAt.getTime()]));
  const added = await addToWatchlist(
    pool,
    clean.map((id) => ({ id, publishedAt: known.get(id) ?? now })),
    now,
    policy,
  );
  return { added, alreadyTracked: clean.length - added };
}

export const channelIdInput = z
  .string({ message: 'expected a string' })
  .trim()
  .regex(/^UC[A-Za-z0-9_-]{22}$/, { message: 'expected a YouTube channel id (UC and 22 characters)' });

/**
 * Follows channels by hand: their uploads playlists are polled from the next channel dispatch on (and,
 * with WebSub configured, subscribed to). Returns the ids newly followed and those followed already.
 */
export async function followChannelsByHand(
  pool: Pool,
  ids: unknown[],
  now: number,
): Promise<{ followed: string[]; alreadyFollowed: string[] }> {
  if (ids.length === 0) throw new ValidationError([{ field: 'channelIds', message: 'no channel id given' }]);
  if (ids.length > 1000)
    throw new ValidationError([{ field: 'channelIds', message: 'at most 1000 channels at once' }]);
  const clean = [...new Set(ids.map((id, i) => check(channelIdInput, id, `channelIds.${i}`)))];
  const followed = await followChannels(pool, clean, new Date(now));
  const added = new Set(followed);
  return { followed, alreadyFollowed: clean.filter((id) => !added.has(id)) };
}

export function isManualJobQueue(s: string): s is ManualJobQueue {
  return (MANUAL_JOB_QUEUES as readonly string[]).includes(s);
}

/** Starts one job of a maintenance queue now. */
export async function enqueueManualJob(
  queues: QueueSet,
  queue: string,
  data: unknown = {},
): Promise<string | undefined> {
  if (!isManualJobQueue(queue))
    throw new ValidationError([
      {
        field: 'queue',
        message: `unknown or not startable by hand: ${JSON.stringify(queue)}; choose one of ${MANUAL_JOB_QUEUES.join(', ')}`,
      },
    ]);
  return enqueue(queues, queue, data as never);
}
