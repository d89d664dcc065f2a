import { toEpochMinutes } from '../clock.ts';
import type { Queryable } from '../db/pool.ts';
import { encodeObservation, OBS_BYTES, UNKNOWN } from '../observations/observation.ts';
import { bigIntToVideoId, videoIdToBigInt } from '../video-id.ts';
import { type SnapshotRow, snapshotColumns } from './staging.ts';
import { BATCH_SIZE, type ScheduleUpdate } from './watchlist.ts';

const UNKNOWN_OBS = (() => {
  const b = Buffer.alloc(OBS_BYTES);
  encodeObservation(UNKNOWN, b, 0);
  return b;
})();

/**
 * A tracker job's write in ONE statement (one round trip, atomic without BEGIN/COMMIT): deletes the
 * job's schedule batches whose lease still matches (the fence), and for the videos of the batches it
 * deleted only — inserts their next batches (grouped by tier, due minute and last snapshot, ≤ 50 a
 * batch, as `completeBatches` does), writes tier and miss changes to `watchlist`, and stages their
 * snapshots. Returns the fenced videos. The same rows as `completeBatches` + `insertSnapshots`, with
 * 1 round trip instead of 3 to 6 (and the transaction's 2).
 */
export async function completeAndStage(
  db: Queryable,
  batchIds: string[],
  leaseMin: number,
  updates: ScheduleUpdate[],
  snapshots: SnapshotRow[],
): Promise<Set<string>> {
  if (batchIds.length === 0) return new Set();
  const r = await db.query<{ fenced: bigint[] }>(
    `WITH fenced AS (
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
     )
     SELECT coalesce((SELECT array_agg(id) FROM ids), '{}') AS fenced`,
    [
      batchIds,
      leaseMin,
      updates.map((u) => videoIdToBigInt(u.videoId)),
      updates.map((u) => u.tier),
      updates.map((u) => toEpochMinutes(u.nextTrackAt)),
      updates.map((u) => (u.trackedAt === null ? u.lastTrackedMin : toEpochMinutes(u.trackedAt))),
      updates.map((u) => {
        if (!u.obs) return null;
        const b = Buffer.alloc(OBS_BYTES);
        encodeObservation(u.obs, b, 0);
        return b;
      }),
      updates.map((u) => Math.min(u.misses, 32767)),
      updates.map((u) => u.tier !== u.previousTier || u.misses !== u.previousMisses),
      UNKNOWN_OBS,
      BATCH_SIZE,
      ...snapshotColumns(snapshots),
    ],
  );
  return new Set(r.rows[0]!.fenced.map((id) => bigIntToVideoId(id)));
}
