import { fromEpochMinutes, toEpochMinutes } from '../clock.ts';
import type { Queryable } from '../db/pool.ts';
import { type TierCode, type TierName, type TierPolicy, tierForAge, tierName } from '../tiers.ts';
import { bigIntToVideoId, videoIdToBigInt } from '../videoId.ts';

export interface WatchlistEntry {
  videoId: string;
  publishedAt: number;
  nextTrackAt: number;
  lastTrackedAt: number | null;
  tier: TierName;
  misses: number;
}

/** A claimed watchlist row: the tracker must present `leaseMin` back to write its result. */
export interface ClaimedVideo {
  videoId: string;
  publishedMin: number;
  /** When the video was due (epoch minutes): the planned snapshot time. */
  dueMin: number;
  /** The fencing token set by the claim. */
  leaseMin: number;
  tier: TierCode;
  misses: number;
}

/** Adds videos to the watchlist (idempotent), due at once, in the tier of their age. Returns how many were new. */
export async function addToWatchlist(
  db: Queryable,
  videos: { id: string; publishedAt: Date | number }[],
  now: number,
  policy?: TierPolicy,
): Promise<number> {
  if (videos.length === 0) return 0;
  const nowMin = toEpochMinutes(now);
  const r = await db.query(
    `INSERT INTO watchlist (video_id, published_min, next_track_min, tier)
     SELECT * FROM unnest($1::bigint[], $2::int[], $3::int[], $4::smallint[])
     ON CONFLICT (video_id) DO NOTHING`,
    [
      videos.map((v) => videoIdToBigInt(v.id)),
      videos.map((v) => toEpochMinutes(+v.publishedAt)),
      videos.map(() => nowMin),
      videos.map((v) => tierForAge(now - +v.publishedAt, policy)),
    ],
  );
  return r.rowCount ?? 0;
}

/**
 * Claims up to `limit` due videos of one tier, oldest due first, pushing their next track time to the
 * lease's end: concurrent claimers skip each other's rows, and a claim whose job never completes makes
 * the video due again when the lease ends.
 */
export async function fetchTrackingBatch(
  db: Queryable,
  opts: { tier: TierCode; limit: number; now: number; leaseMs: number },
): Promise<ClaimedVideo[]> {
  const nowMin = toEpochMinutes(opts.now);
  const leaseMin = toEpochMinutes(opts.now + opts.leaseMs);
  const r = await db.query(
    `WITH c AS (
       SELECT video_id, next_track_min FROM watchlist
       WHERE tier = $1 AND next_track_min <= $2
       ORDER BY next_track_min
       LIMIT $3
       FOR UPDATE SKIP LOCKED)
     UPDATE watchlist w SET next_track_min = $4
     FROM c WHERE w.video_id = c.video_id
     RETURNING w.video_id, w.published_min, c.next_track_min AS due_min, w.tier, w.misses`,
    [opts.tier, nowMin, opts.limit, leaseMin],
  );
  return r.rows.map((x) => ({
    videoId: bigIntToVideoId(x.video_id),
    publishedMin: x.published_min,
    dueMin: x.due_min,
    leaseMin,
    tier: x.tier,
    misses: x.misses,
  }));
}

export interface ScheduleUpdate {
  videoId: string;
  /** The lease the claim set; the update applies only if the row still carries it. */
  leaseMin: number;
  tier: TierCode;
  nextTrackAt: number;
  /** Snapshot time, or null when the video was missing from YouTube's answer. */
  trackedAt: number | null;
  misses: number;
}

/**
 * Writes a whole batch's schedule in one statement. Returns the ids whose claim was still current:
 * only those may record their snapshot (a stale job, whose lease ran out and was claimed again, may not).
 */
export async function updateWatchlistSchedule(
  db: Queryable,
  updates: ScheduleUpdate[],
): Promise<Set<string>> {
  if (updates.length === 0) return new Set();
  const r = await db.query<{ video_id: bigint }>(
    `UPDATE watchlist w SET tier = u.tier, next_track_min = u.next_min,
            last_tracked_min = coalesce(u.tracked_min, w.last_tracked_min), misses = u.misses
     FROM unnest($1::bigint[], $2::int[], $3::smallint[], $4::int[], $5::int[], $6::smallint[])
       AS u(id, lease_min, tier, next_min, tracked_min, misses)
     WHERE w.video_id = u.id AND w.next_track_min = u.lease_min
     RETURNING w.video_id`,
    [
      updates.map((u) => videoIdToBigInt(u.videoId)),
      updates.map((u) => u.leaseMin),
      updates.map((u) => u.tier),
      updates.map((u) => toEpochMinutes(u.nextTrackAt)),
      updates.map((u) => (u.trackedAt === null ? null : toEpochMinutes(u.trackedAt))),
      updates.map((u) => Math.min(u.misses, 32767)),
    ],
  );
  return new Set(r.rows.map((x) => bigIntToVideoId(x.video_id)));
}

// biome-ignore lint/suspicious/noExplicitAny: row shape from pg
const toEntry = (x: any): WatchlistEntry => ({
  videoId: bigIntToVideoId(x.video_id),
  publishedAt: fromEpochMinutes(x.published_min),
  nextTrackAt: fromEpochMinutes(x.next_track_min),
  lastTrackedAt: x.last_tracked_min ? fromEpochMinutes(x.last_tracked_min) : null,
  tier: tierName(x.tier),
  misses: x.misses,
});

export async function getWatchlistEntries(db: Queryable, ids: string[]): Promise<WatchlistEntry[]> {
  if (ids.length === 0) return [];
  const r = await db.query('SELECT * FROM watchlist WHERE video_id = ANY($1::bigint[])', [
    ids.map(videoIdToBigInt),
  ]);
  return r.rows.map(toEntry);
}

export async function countWatchlistByTier(db: Queryable): Promise<Record<TierName, number>> {
  const r = await db.query<{ tier: number; n: number }>(
    'SELECT tier, count(*)::int AS n FROM watchlist GROUP BY tier',
  );
  const out: Record<TierName, number> = { HOURLY: 0, DAILY: 0, WEEKLY: 0, GONE: 0 };
  for (const x of r.rows) out[tierName(x.tier)] = x.n;
  return out;
}

/** Due (and not leased) videos per tier at `now`: what the dispatcher has to serve. */
export async function countDueByTier(db: Queryable, now: number): Promise<Record<TierName, number>> {
  const r = await db.query<{ tier: number; n: number }>(
    'SELECT tier, count(*)::int AS n FROM watchlist WHERE tier < 3 AND next_track_min <= $1 GROUP BY tier',
    [toEpochMinutes(now)],
  );
  const out: Record<TierName, number> = { HOURLY: 0, DAILY: 0, WEEKLY: 0, GONE: 0 };
  for (const x of r.rows) out[tierName(x.tier)] = x.n;
  return out;
}

/** How late the most overdue video is, in ms (0 when nothing is due). */
export async function oldestDueLagMs(db: Queryable, now: number): Promise<number> {
  const r = await db.query<{ m: number | null }>(
    'SELECT min(next_track_min) AS m FROM watchlist WHERE tier < 3 AND next_track_min <= $1',
    [toEpochMinutes(now)],
  );
  const m = r.rows[0]?.m;
  return m == null ? 0 : Math.max(0, now - fromEpochMinutes(m));
}
