import { fromEpochMinutes, toEpochMinutes } from '../clock.ts';
import type { Queryable } from '../db/pool.ts';
import {
  decodeObservation,
  encodeObservation,
  OBS_BYTES,
  type Observation,
  UNKNOWN,
} from '../observations/observation.ts';
import { type TierCode, type TierName, type TierPolicy, tierForAge, tierName } from '../tiers.ts';
import { bigIntToVideoId, videoIdToBigInt } from '../video-id.ts';

/**
 * The watchlist (sql/001_core.sql): `watchlist` holds each video's lasting facts, `watchlist_schedule`
 * holds batches of up to 50 videos due at the same minute. See the migration for why.
 */
export const BATCH_SIZE = 50;

export interface WatchlistEntry {
  videoId: string;
  publishedAt: number;
  /** Null for GONE videos: they are never due again. */
  nextTrackAt: number | null;
  lastTrackedAt: number | null;
  tier: TierName;
  misses: number;
}

/** A claimed schedule batch: the tracker presents `leaseMin` back to write its result. */
export interface ClaimedBatch {
  batchId: string;
  tier: TierCode;
  /** When the batch was due (epoch minutes): the planned snapshot time of its videos, kept across claims. */
  dueMin: number;
  leaseMin: number;
  videos: { id: string; publishedMin: number; tier: TierCode; misses: number; lastTrackedMin: number }[];
}

/**
 * Adds videos to the watchlist (idempotent), in the tier of their age, due at once (or at `dueAt`, for
 * imports and benchmarks that seed a schedule): new ones are put into schedule batches of up to 50 per
 * tier and due minute in the same statement. Returns how many were new.
 */
export async function addToWatchlist(
  db: Queryable,
  /** `tier`: given by whoever seeds a schedule already classified (benchmarks); else the age's. */
  videos: { id: string; publishedAt: Date | number; dueAt?: number; tier?: TierCode }[],
  now: number,
  policy?: TierPolicy,
): Promise<number> {
  if (videos.length === 0) return 0;
  const unique = [...new Map(videos.map((v) => [v.id, v])).values()];
  const dues = new Map(unique.map((v) => [videoIdToBigInt(v.id), toEpochMinutes(v.dueAt ?? now)]));
  const r = await db.query<{ n: number }>(
    `WITH added AS (
       INSERT INTO watchlist (video_id, published_min, tier)
       SELECT * FROM unnest($1::bigint[], $2::int[], $3::smallint[])
       ON CONFLICT (video_id) DO NOTHING
       RETURNING video_id, tier),
     due AS (SELECT * FROM unnest($1::bigint[], $4::int[]) AS d(video_id, due_min)),
     numbered AS (
       SELECT a.video_id, a.tier, d.due_min,
              (row_number() OVER (PARTITION BY a.tier, d.due_min ORDER BY a.video_id) - 1) / ${BATCH_SIZE} AS chunk
       FROM added a JOIN due d USING (video_id)),
     batches AS (
       INSERT INTO watchlist_schedule (tier, due_min, video_ids)
       SELECT tier, due_min, array_agg(video_id) FROM numbered GROUP BY tier, due_min, chunk
       RETURNING cardinality(video_ids) AS n)
     SELECT coalesce(sum(n), 0)::int AS n FROM batches`,
    [
      [...dues.keys()],
      unique.map((v) => toEpochMinutes(+v.publishedAt)),
      unique.map((v) => v.tier ?? tierForAge(now - +v.publishedAt, policy)),
      [...dues.values()],
    ],
  );
  return r.rows[0]!.n;
}

/**
 * Claims up to `limit` due batches of one tier, oldest due first, pushing their due time to the lease's
 * end: concurrent claimers skip each other's rows (SKIP LOCKED), and a claim whose job never completes
 * makes the batch due again when the lease ends.
 */
export async function claimDueBatches(
  db: Queryable,
  opts: { tier: TierCode; limit: number; now: number; leaseMs: number },
): Promise<ClaimedBatch[]> {
  const nowMin = toEpochMinutes(opts.now);
  const leaseMin = toEpochMinutes(opts.now + opts.leaseMs);
  const r = await db.query(
    `WITH c AS (
       SELECT id, due_min FROM watchlist_schedule
       WHERE tier = $1 AND due_min <= $2
       ORDER BY due_min
       LIMIT $3
       FOR UPDATE SKIP LOCKED),
     ${CLAIM_UPDATE}
     SELECT claimed.id, claimed.tier, claimed.due_min, claimed.last_tracked_min,
            ${CLAIMED_VIDEOS}`,
    [opts.tier, nowMin, opts.limit, leaseMin],
  );
  return r.rows.map(toClaimed(leaseMin));
}

const CLAIM_UPDATE = `claimed AS (
       UPDATE watchlist_schedule s SET due_min = $4, planned_min = coalesce(s.planned_min, c.due_min)
       FROM c WHERE s.id = c.id
       RETURNING s.id, s.tier, s.planned_min AS due_min, s.last_tracked_min, s.video_ids)`;

/**
 * A claim's videos in the order of the batch's array (the order of its `obs`), so that a batch can be
 * split at a position (splitClaimedBatches).
 */
const CLAIMED_VIDEOS = `array_agg(w.video_id ORDER BY u.ord) AS ids,
            array_agg(w.published_min ORDER BY u.ord) AS published,
            array_agg(w.tier ORDER BY u.ord) AS tiers,
            array_agg(w.misses ORDER BY u.ord) AS misses
     FROM claimed CROSS JOIN LATERAL unnest(claimed.video_ids) WITH ORDINALITY AS u(video_id, ord)
     JOIN watchlist w ON w.video_id = u.video_id
     GROUP BY claimed.id, claimed.tier, claimed.due_min, claimed.last_tracked_min
     ORDER BY claimed.due_min, claimed.id`;

const toClaimed =
  (leaseMin: number) =>
  // biome-ignore lint/suspicious/noExplicitAny: row shape from pg
  (x: any): ClaimedBatch => ({
    batchId: String(x.id),
    tier: x.tier,
    dueMin: x.due_min,
    leaseMin,
    videos: (x.ids as bigint[]).map((id, i) => ({
      id: bigIntToVideoId(id),
      publishedMin: x.published[i],
      tier: x.tiers[i],
      misses: x.misses[i],
      lastTrackedMin: x.last_tracked_min,
    })),
  });

/**
 * The batches still held by the claim that set `leaseMin`, and the last observation of each of
 * `videoIds` they hold (one statement: the tracker's lease check; a video with none is left out, and
 * reads as UNKNOWN). The statement is a plain index lookup, matched to the ids here: laid out by
 * Postgres in the order of `videoIds` (a join of the unnested arrays), it cost ~0.5 ms a job, most of
 * it planning, which Postgres redid for every job (its generic plan of the join looked dearer), against
 * a few µs to read back a batch's 50 ids. A named statement: every tracker job runs it.
 */
export async function leasedObservations(
  db: Queryable,
  batchIds: string[],
  leaseMin: number,
  videoIds: string[],
): Promise<{ held: Set<string>; observations: Map<string, Observation> }> {
  const held = new Set<string>();
  const observations = new Map<string, Observation>();
  if (batchIds.length === 0) return { held, observations };
  const r = await db.query<{ id: bigint; video_ids: string[]; obs: Buffer | null }>({
    name: 'tracker-leased-observations',
    text: 'SELECT id, video_ids, obs FROM watchlist_schedule WHERE id = ANY($1::bigint[]) AND due_min = $2',
    values: [batchIds, leaseMin],
  });
  if (r.rows.length === 0) return { held, observations };
  // int8[] comes back as decimal strings (src/db/pool.ts parses a lone int8 only).
  const wanted = new Map(videoIds.map((id) => [String(videoIdToBigInt(id)), id]));
  for (const row of r.rows) {
    held.add(String(row.id));
    const { obs } = row;
    if (obs === null) continue;
    for (let i = 0; i < row.video_ids.length && (i + 1) * OBS_BYTES <= obs.length; i++) {
      const id = wanted.get(row.video_ids[i]!);
      if (id !== undefined && !observations.has(id))
        observations.set(id, decodeObservation(obs, i * OBS_BYTES));
    }
  }
  return { held, observations };
}

export interface ScheduleUpdate {
  videoId: string;
  /** The new tier; GONE videos get no next batch. */
  tier: TierCode;
  nextTrackAt: number;
  /** Snapshot time, or null when the video was missing from YouTube's answer. */
  trackedAt: number | null;
  /** The previous snapshot time (epoch minutes), kept for videos missing this time. */
  lastTrackedMin: number;
  misses: number;
  /** Tier and misses before this update: the watchlist row is only written when they change. */
  previousTier: TierCode;
  previousMisses: number;
  /** The video's observation to keep in its next batch (src/observations/observation.ts); omitted: unknown. */
  obs?: Observation;
}

/**
 * Completes claimed batches in one transaction's worth of statements: deletes the batches still held
 * by this lease (the fence), puts their videos into next batches grouped by (tier, next minute), and
 * writes tier/miss changes to the watchlist. Returns the ids whose claim was current: only those may
 * record their snapshot (a stale job, whose lease ran out and was claimed again, may not).
 */
export async function completeBatches(
  db: Queryable,
  batchIds: string[],
  leaseMin: number,
  updates: ScheduleUpdate[],
): Promise<Set<string>> {
  if (batchIds.length === 0) return new Set();
  const r = await db.query<{ video_ids: bigint[] }>(
    'DELETE FROM watchlist_schedule WHERE id = ANY($1::bigint[]) AND due_min = $2 RETURNING video_ids',
    [batchIds, leaseMin],
  );
  const fenced = new Set(r.rows.flatMap((x) => x.video_ids.map((id) => bigIntToVideoId(id))));
  const current = updates.filter((u) => fenced.has(u.videoId));
  const next = current.filter((u) => u.tier !== 3);
  if (next.length) {
    const groups = new Map<string, ScheduleUpdate[]>();
    for (const u of next) {
      const last = u.trackedAt === null ? u.lastTrackedMin : toEpochMinutes(u.trackedAt);
      const key = `${u.tier}:${toEpochMinutes(u.nextTrackAt)}:${last}`;
      const g = groups.get(key) ?? [];
      g.push(u);
      groups.set(key, g);
    }
    const tiers: number[] = [];
    const dues: number[] = [];
    const lasts: number[] = [];
    const ids: string[] = [];
    const obs: (Buffer | null)[] = [];
    for (const [key, g] of groups)
      for (let i = 0; i < g.length; i += BATCH_SIZE) {
        const [tier, due, last] = key.split(':').map(Number) as [number, number, number];
        const chunk = g.slice(i, i + BATCH_SIZE);
        tiers.push(tier);
        dues.push(due);
        lasts.push(last);
        ids.push(`{${chunk.map((u) => videoIdToBigInt(u.videoId)).join(',')}}`);
        obs.push(packObservations(chunk));
      }
    await db.query(
      `INSERT INTO watchlist_schedule (tier, due_min, last_tracked_min, video_ids, obs)
       SELECT t, d, l, v::bigint[], o
       FROM unnest($1::smallint[], $2::int[], $3::int[], $4::text[], $5::bytea[]) AS u(t, d, l, v, o)`,
      [tiers, dues, lasts, ids, obs],
    );
  }
  const changed = current.filter((u) => u.tier !== u.previousTier || u.misses !== u.previousMisses);
  if (changed.length)
    await db.query(
      `UPDATE watchlist w SET tier = u.tier, misses = u.misses
       FROM unnest($1::bigint[], $2::smallint[], $3::smallint[]) AS u(id, tier, misses)
       WHERE w.video_id = u.id`,
      [
        changed.map((u) => videoIdToBigInt(u.videoId)),
        changed.map((u) => u.tier),
        changed.map((u) => Math.min(u.misses, 32767)),
      ],
    );
  return fenced;
}

/** A batch's `obs` column: the videos' observations in batch order, or NULL when none has one. */
function packObservations(chunk: ScheduleUpdate[]): Buffer | null {
  if (!chunk.some((u) => u.obs)) return null;
  const out = Buffer.alloc(chunk.length * OBS_BYTES);
  chunk.forEach((u, i) => {
    encodeObservation(u.obs ?? UNKNOWN, out, i * OBS_BYTES);
  });
  return out;
}

// biome-ignore lint/suspicious/noExplicitAny: row shape from pg
const toEntry = (x: any): WatchlistEntry => ({
  videoId: bigIntToVideoId(x.video_id),
  publishedAt: fromEpochMinutes(x.published_min),
  nextTrackAt: x.next_track_min == null ? null : fromEpochMinutes(x.next_track_min),
  lastTrackedAt: x.last_tracked_min ? fromEpochMinutes(x.last_tracked_min) : null,
  tier: tierName(x.tier),
  misses: x.misses,
});

/** Videos with their schedule (scans the schedule: for people and tests, not the hot path). */
export async function getWatchlistEntries(db: Queryable, ids: string[]): Promise<WatchlistEntry[]> {
  if (ids.length === 0) return [];
  const r = await db.query(
    `SELECT w.video_id, w.published_min, w.tier, w.misses, s.due_min AS next_track_min, s.last_tracked_min
     FROM watchlist w
     LEFT JOIN LATERAL (SELECT due_min, last_tracked_min FROM watchlist_schedule s WHERE w.video_id = ANY(s.video_ids) LIMIT 1) s ON true
     WHERE w.video_id = ANY($1::bigint[])`,
    [ids.map(videoIdToBigInt)],
  );
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

/** Videos due at `now` per tier (claimed ones are not due until their lease ends). */
export async function countDueByTier(db: Queryable, now: number): Promise<Record<TierName, number>> {
  const r = await db.query<{ tier: number; n: number }>(
    'SELECT tier, sum(cardinality(video_ids))::int AS n FROM watchlist_schedule WHERE due_min <= $1 GROUP BY tier',
    [toEpochMinutes(now)],
  );
  const out: Record<TierName, number> = { HOURLY: 0, DAILY: 0, WEEKLY: 0, GONE: 0 };
  for (const x of r.rows) out[tierName(x.tier)] = x.n;
  return out;
}

/** How late the most overdue batch is, in ms (0 when nothing is due). */
export async function oldestDueLagMs(db: Queryable, now: number): Promise<number> {
  const r = await db.query<{ m: number | null }>(
    'SELECT min(due_min) AS m FROM watchlist_schedule WHERE due_min <= $1',
    [toEpochMinutes(now)],
  );
  const m = r.rows[0]?.m;
  return m == null ? 0 : Math.max(0, now - fromEpochMinutes(m));
}

/**
 * A deletion notice (WebSub `at:deleted-entry`) for tracked videos: each one that has not missed yet
 * gets `misses = missesBeforeGone - 1`, so its next poll confirms it — absent: GONE at once, no more
 * quota spent on it; present: back to normal. Returns the videos so marked (others are unknown, gone
 * or already missing).
 */
export async function markDeletionNoticed(
  db: Queryable,
  ids: string[],
  missesBeforeGone: number,
): Promise<string[]> {
  if (ids.length === 0) return [];
  const r = await db.query<{ video_id: bigint }>(
    `UPDATE watchlist SET misses = $2
     WHERE video_id = ANY($1::bigint[]) AND misses = 0 AND tier <> 3
     RETURNING video_id`,
    [[...new Set(ids)].map(videoIdToBigInt), Math.max(0, missesBeforeGone - 1)],
  );
  return r.rows.map((x) => bigIntToVideoId(x.video_id));
}

/**
 * Claims batches of one tier due by `dueBy` (ahead of now: the packer's look-ahead) in due order, until
 * they hold at least `need` videos: the fill of a tracker job that due videos alone leave part empty.
 * Only unclaimed batches (planned_min NULL) or lapsed claims are taken, never one leased to a job in
 * flight.
 */
export async function claimToFill(
  db: Queryable,
  opts: { tier: TierCode; need: number; now: number; dueBy: number; leaseMs: number },
): Promise<ClaimedBatch[]> {
  if (opts.need <= 0) return [];
  const leaseMin = toEpochMinutes(opts.now + opts.leaseMs);
  const r = await db.query(
    `WITH cand AS (
       SELECT id, due_min, cardinality(video_ids) AS n FROM watchlist_schedule
       WHERE tier = $1 AND due_min <= $2 AND (planned_min IS NULL OR due_min <= $5)
       ORDER BY due_min, id
       LIMIT $3
       FOR UPDATE SKIP LOCKED),
     c AS (
       SELECT id, due_min FROM (SELECT id, due_min, sum(n) OVER (ORDER BY due_min, id) - n AS before FROM cand) r
       WHERE before < $3),
     ${CLAIM_UPDATE}
     SELECT claimed.id, claimed.tier, claimed.due_min, claimed.last_tracked_min,
            ${CLAIMED_VIDEOS}`,
    [opts.tier, toEpochMinutes(opts.dueBy), opts.need, leaseMin, toEpochMinutes(opts.now)],
  );
  return r.rows.map(toClaimed(leaseMin));
}

/**
 * Splits claimed batches in two at a position: the first `keep` videos stay in the batch, the rest move
 * to a new batch held by the same claim (same lease, planned minute, last snapshot and observations).
 * One statement. Returns, per split batch, the new batch's id. Splitting lets the dispatcher cut jobs of
 * exactly 50 videos out of small batches.
 */
export async function splitClaimedBatches(
  db: Queryable,
  leaseMin: number,
  splits: { batchId: string; keep: number }[],
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (splits.length === 0) return out;
  const r = await db.query<{ id: string; tail_id: string }>(
    `WITH s AS (SELECT * FROM unnest($1::bigint[], $2::int[]) AS s(id, keep)),
     src AS (
       SELECT w.id, w.tier, w.due_min, w.last_tracked_min, w.planned_min, s.keep,
              w.video_ids[s.keep + 1:] AS tail_ids,
              CASE WHEN w.obs IS NULL THEN NULL ELSE substring(w.obs FROM s.keep * ${OBS_BYTES} + 1) END AS tail_obs
       FROM watchlist_schedule w JOIN s ON w.id = s.id
       WHERE w.due_min = $3 AND cardinality(w.video_ids) > s.keep AND s.keep > 0),
     tails AS (
       INSERT INTO watchlist_schedule (tier, due_min, last_tracked_min, planned_min, video_ids, obs)
       SELECT tier, due_min, last_tracked_min, planned_min, tail_ids, tail_obs FROM src
       RETURNING id, video_ids[1] AS first),
     heads AS (
       UPDATE watchlist_schedule w SET video_ids = w.video_ids[1:src.keep],
              obs = CASE WHEN w.obs IS NULL THEN NULL ELSE substring(w.obs FROM 1 FOR src.keep * ${OBS_BYTES}) END
       FROM src WHERE w.id = src.id
       RETURNING w.id)
     SELECT src.id::text AS id, tails.id::text AS tail_id FROM src JOIN tails ON tails.first = src.tail_ids[1]`,
    [splits.map((x) => x.batchId), splits.map((x) => x.keep), leaseMin],
  );
  for (const x of r.rows) out.set(x.id, x.tail_id);
  return out;
}

/**
 * Gives claimed batches back unclaimed, due at their planned minute again (the dispatcher holding a
 * part-filled job until more videos are due). Fenced by the claim like completion.
 */
export async function releaseClaimedBatches(
  db: Queryable,
  batchIds: string[],
  leaseMin: number,
): Promise<void> {
  if (batchIds.length === 0) return;
  await db.query(
    `UPDATE watchlist_schedule SET due_min = planned_min, planned_min = NULL
     WHERE id = ANY($1::bigint[]) AND due_min = $2 AND planned_min IS NOT NULL`,
    [batchIds, leaseMin],
  );
}
