import { toEpochMinutes } from '../clock.ts';
import { boolArray, intArray, word32ByteaArray } from '../db/array-literal.ts';
import type { Queryable } from '../db/pool.ts';
import type { LifecycleEvent } from '../observations/lifecycle.ts';
import { encodeObservation, OBS_BYTES, observationWord, UNKNOWN } from '../observations/observation.ts';
import { bigIntToVideoId, videoIdToBigInt } from '../video-id.ts';
import { type GapRow, gapColumns } from './gaps.ts';
import { lifecycleColumns } from './lifecycle.ts';
import { type SnapshotRow, snapshotColumns } from './staging.ts';
import { BATCH_SIZE, type ScheduleUpdate } from './watchlist.ts';

const UNKNOWN_OBS = (() => {
  const b = Buffer.alloc(OBS_BYTES);
  encodeObservation(UNKNOWN, b, 0);
  return b;
})();

/** What a tracker job stages in its completion statement, for the fenced videos only. */
export interface CompletionRows {
  snapshots?: SnapshotRow[];
  /** lifecycle_staging rows (flag changes, unavailable, back again…). */
  events?: LifecycleEvent[];
  /** gap_staging rows; each keeps only its fenced videos, and is left out when none is. */
  gaps?: GapRow[];
}

/**
 * A tracker job's write in ONE statement (one round trip, atomic without BEGIN/COMMIT): deletes the
 * job's schedule batches whose lease still matches (the fence), and for the videos of the batches it
 * deleted only — inserts their next batches (grouped by tier, due minute and last snapshot, ≤ 50 a
 * batch, as `completeBatches` does), writes tier and miss changes to `watchlist`, and stages their
 * snapshots, lifecycle events and gaps. Returns the fenced videos. The same rows as `completeBatches`
 * + `insertSnapshots` + `insertLifecycleEvents` + `insertGaps`, with 1 round trip instead of 3 to 8
 * (and the transaction's 2). A named (prepared) statement: every job runs it, and Postgres then
 * parses and plans it once per connection instead of once per job.
 */
export async function completeAndStage(
  db: Queryable,
  batchIds: string[],
  leaseMin: number,
  updates: ScheduleUpdate[],
  rows: CompletionRows,
): Promise<Set<string>> {
  if (batchIds.length === 0) return new Set();
  const r = await db.query<{ fenced: bigint[] | null }>({
    name: 'tracker-complete-and-stage',
    text: COMPLETE_AND_STAGE,
    values: [
      batchIds,
      leaseMin,
      intArray(updates.map((u) => videoIdToBigInt(u.videoId))),
      intArray(updates.map((u) => u.tier)),
      intArray(updates.map((u) => toEpochMinutes(u.nextTrackAt))),
      intArray(updates.map((u) => (u.trackedAt === null ? u.lastTrackedMin : toEpochMinutes(u.trackedAt)))),
      word32ByteaArray(updates.map((u) => (u.obs ? observationWord(u.obs) : null))),
      intArray(updates.map((u) => Math.min(u.misses, 32767))),
      boolArray(updates.map((u) => u.tier !== u.previousTier || u.misses !== u.previousMisses)),
      UNKNOWN_OBS,
      BATCH_SIZE,
      ...snapshotColumns(rows.snapshots ?? []),
      ...lifecycleColumns(rows.events ?? []),
      ...gapColumns(rows.gaps ?? []),
    ],
  });
  // NULL: the fence holds exactly the updated videos (the usual case), so no list comes back to parse.
  const fenced = r.rows[0]!.fenced;
  return new Set(fenced === null ? updates.map((u) => u.videoId) : fenced.map((id) => bigIntToVideoId(id)));
}

const COMPLETE_AND_STAGE = `WITH fenced AS (
       DELETE FROM watchlist_schedule WHERE id = ANY($1::bigint[]) AND due_min = $2 RETURNING video_ids
     ), ids AS (SELECT unnest(video_ids) AS id FROM fenced),
     u AS (
       SELECT * FROM unnest($3::bigint[], $4::smallint[], $5::int[], $6::int[], $7::bytea[], $8::smallint[],
                            $9::bool[]) WITH ORDINALITY AS u(id, tier, due, last, obs, misses, changed, ord)
       WHERE u.id IN (SELECT id FROM ids)
     ), nxt AS (
       INSERT INTO watchlist_schedule (tier, due_min, last_tracked_min, video_ids, obs)
       SELECT tier, due, last, array_agg(id ORDER BY ord),
              CASE WHEN bool_or(obs IS NOT NULL) THEN string_agg(coalesce(obs, $10::bytea), ''::bytea ORDER BY ord) END
       FROM (SELECT *, (row_number() OVER (PARTITION BY tier, due, last ORDER BY ord) - 1) / $11 AS chunk
             FROM u WHERE tier <> 3) x
       GROUP BY tier, due, last, chunk
     ), chg AS (
       UPDATE watchlist w SET tier = u.tier, misses = u.misses FROM u WHERE w.video_id = u.id AND u.changed
     ), snap AS (
       INSERT INTO staging (video_id, due_min, taken_at, views, likes, comments, tier)
       SELECT * FROM unnest($12::bigint[], $13::int[], $14::timestamptz[], $15::bigint[], $16::bigint[],
                            $17::bigint[], $18::smallint[]) AS s(video_id, due_min, taken_at, views, likes, comments, tier)
       WHERE s.video_id IN (SELECT id FROM ids)
       ON CONFLICT (video_id, due_min) DO NOTHING
     ), life AS (
       INSERT INTO lifecycle_staging (video_id, event, due_min, seen_at, previous_at, initial, detail)
       SELECT * FROM unnest($19::bigint[], $20::smallint[], $21::int[], $22::timestamptz[], $23::timestamptz[],
                            $24::boolean[], $25::text[]) AS e(video_id, event, due_min, seen_at, previous_at, initial, detail)
       WHERE e.video_id IN (SELECT id FROM ids)
       ON CONFLICT (video_id, due_min, event) DO NOTHING
     ), gap AS (
       INSERT INTO gap_staging (video_ids, tier, due_min, polled_at, reason, taken)
       SELECT f.v, g.t, g.d, g.p, g.r, g.k
       FROM unnest($26::text[], $27::smallint[], $28::int[], $29::timestamptz[], $30::text[], $31::boolean[])
         WITH ORDINALITY AS g(v, t, d, p, r, k, ord)
       CROSS JOIN LATERAL (
         SELECT array_agg(x ORDER BY o) AS v FROM unnest(g.v::bigint[]) WITH ORDINALITY AS e(x, o)
         WHERE x IN (SELECT id FROM ids)
       ) f
       WHERE f.v IS NOT NULL
       ORDER BY g.ord
     )
     SELECT CASE WHEN (SELECT count(*) FROM u) = coalesce(array_length($3::bigint[], 1), 0)
                      AND NOT EXISTS (SELECT 1 FROM ids WHERE id <> ALL($3::bigint[]))
                 THEN NULL ELSE coalesce((SELECT array_agg(id) FROM ids), '{}') END AS fenced`;
