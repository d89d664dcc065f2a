import type { Queryable } from '../db/pool.ts';

/**
 * Videos of `tier` not claimed and due after `afterMin` up to `byMin` (epoch minutes): what a later
 * dispatch could still add to a part-filled job before its hold runs out (src/tracker-jobs.ts). One
 * index range on (tier, due_min).
 */
export async function countDueBetween(
  db: Queryable,
  opts: { tier: number; afterMin: number; byMin: number },
): Promise<number> {
  if (opts.byMin <= opts.afterMin) return 0;
  const r = await db.query<{ n: number }>(
    `SELECT coalesce(sum(cardinality(video_ids)), 0)::int AS n FROM watchlist_schedule
     WHERE tier = $1 AND due_min > $2 AND due_min <= $3 AND planned_min IS NULL`,
    [opts.tier, opts.afterMin, opts.byMin],
  );
  return r.rows[0]?.n ?? 0;
}

/** Videos of `tier` in the schedule (claimed or not): one index range on (tier, due_min). */
export async function countScheduled(db: Queryable, tier: number): Promise<number> {
  const r = await db.query<{ n: number }>(
    'SELECT coalesce(sum(cardinality(video_ids)), 0)::int AS n FROM watchlist_schedule WHERE tier = $1',
    [tier],
  );
  return r.rows[0]?.n ?? 0;
}
