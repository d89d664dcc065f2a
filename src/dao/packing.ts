import type { Queryable } from '../db/pool.ts';

/** Videos of `tier` in the schedule (claimed or not): one index range on (tier, due_min). */
export async function countScheduled(db: Queryable, tier: number): Promise<number> {
  const r = await db.query<{ n: number }>(
    'SELECT coalesce(sum(cardinality(video_ids)), 0)::int AS n FROM watchlist_schedule WHERE tier = $1',
    [tier],
  );
  return r.rows[0]?.n ?? 0;
}

/** Polls of `tier` still unclaimed and due before `beforeMin` (epoch minutes): waiting, not in flight. */
export async function countWaiting(db: Queryable, tier: number, beforeMin: number): Promise<number> {
  const r = await db.query<{ n: number }>(
    `SELECT coalesce(sum(cardinality(video_ids)), 0)::int AS n FROM watchlist_schedule
     WHERE tier = $1 AND due_min < $2 AND planned_min IS NULL`,
    [tier, beforeMin],
  );
  return r.rows[0]?.n ?? 0;
}

/**
 * Unclaimed polls of `tier` due by `byMin` (epoch minutes), per minute in due order: waiting as
 * countWaiting counts them, one index range on (tier, due_min), since a claim moves due_min to the end
 * of its lease.
 */
export async function unclaimedDueByMinute(
  db: Queryable,
  tier: number,
  byMin: number,
): Promise<{ min: number; n: number }[]> {
  const r = await db.query<{ min: number; n: number }>(
    `SELECT due_min AS min, sum(cardinality(video_ids))::int AS n FROM watchlist_schedule
     WHERE tier = $1 AND due_min <= $2 AND planned_min IS NULL
     GROUP BY 1 ORDER BY 1`,
    [tier, byMin],
  );
  return r.rows;
}
