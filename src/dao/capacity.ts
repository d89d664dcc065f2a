import type { Queryable } from '../db/pool.ts';

/** Capacity figures in Postgres (sql/006_capacity.sql): the tracker's daily ids and calls, the controller. */

/** Adds one dispatch's jobs to its Pacific day's ids and calls. */
export async function recordDispatched(
  db: Queryable,
  day: string,
  ids: number,
  calls: number,
): Promise<void> {
  if (calls === 0) return;
  await db.query(
    `INSERT INTO tracker_daily AS t (day, ids, calls) VALUES ($1, $2, $3)
     ON CONFLICT (day) DO UPDATE SET ids = t.ids + EXCLUDED.ids, calls = t.calls + EXCLUDED.calls`,
    [day, ids, calls],
  );
}

/** Ids and calls of the given days (YYYY-MM-DD), summed. */
export async function dispatchedOn(db: Queryable, days: string[]): Promise<{ ids: number; calls: number }> {
  const r = await db.query<{ ids: string | null; calls: string | null }>(
    'SELECT sum(ids) AS ids, sum(calls) AS calls FROM tracker_daily WHERE day = ANY($1::date[])',
    [days],
  );
  return { ids: Number(r.rows[0]?.ids ?? 0), calls: Number(r.rows[0]?.calls ?? 0) };
}

export interface CapacityState {
  demoteBelowVph: number;
  overloaded: boolean;
  checkedAt: number | null;
  /** HOURLY jobs an hour the last check planned (null before one, or without a key pool). */
  hourlyJobsPerHour?: number | null;
  /** New videos a day the last check measured (null before one). */
  arrivalsPerDay?: number | null;
}

export async function readCapacityState(db: Queryable): Promise<CapacityState> {
  const r = await db.query(
    `SELECT demote_below_vph, overloaded, checked_at, (plan->>'hourlyJobsPerHour')::float8 AS hourly_jobs,
            (plan->>'arrivalsPerDay')::float8 AS arrivals
     FROM capacity_state WHERE id = 1`,
  );
  const x = r.rows[0];
  return {
    demoteBelowVph: x ? Number(x.demote_below_vph) : 0,
    overloaded: x?.overloaded ?? false,
    checkedAt: x?.checked_at ? +x.checked_at : null,
    hourlyJobsPerHour: x?.hourly_jobs ?? null,
    arrivalsPerDay: x?.arrivals ?? null,
  };
}

/**
 * Takes the capacity check's turn when the last one is at least `everyMs` old (one process wins);
 * returns the state before, or null when it is not this caller's turn.
 */
export async function claimCapacityCheck(
  db: Queryable,
  now: number,
  everyMs: number,
): Promise<(CapacityState & { noLowerBefore: number | null }) | null> {
  const r = await db.query(
    `UPDATE capacity_state SET checked_at = $1
     WHERE id = 1 AND (checked_at IS NULL OR checked_at <= $2)
     RETURNING demote_below_vph, overloaded, no_lower_before`,
    [new Date(now), new Date(now - everyMs)],
  );
  const x = r.rows[0];
  return x
    ? {
        demoteBelowVph: Number(x.demote_below_vph),
        overloaded: x.overloaded,
        checkedAt: now,
        noLowerBefore: x.no_lower_before ? +x.no_lower_before : null,
      }
    : null;
}

export async function writeCapacityState(
  db: Queryable,
  s: {
    demoteBelowVph: number;
    overloaded: boolean;
    checkedAt: number;
    plan: unknown;
    /** Set: the threshold is not lowered before this time (epoch ms). */
    noLowerBefore?: number;
  },
): Promise<void> {
  await db.query(
    `INSERT INTO capacity_state (id, demote_below_vph, overloaded, checked_at, plan)
     VALUES (1, $1, $2, $3, $4)
     ON CONFLICT (id) DO UPDATE SET demote_below_vph = $1, overloaded = $2, checked_at = $3, plan = $4,
       no_lower_before = coalesce($5, capacity_state.no_lower_before)`,
    [
      s.demoteBelowVph,
      s.overloaded,
      new Date(s.checkedAt),
      JSON.stringify(s.plan),
      s.noLowerBefore === undefined ? null : new Date(s.noLowerBefore),
    ],
  );
}

/**
 * HOURLY polls due per minute of the hour (index 0-59 of the epoch minute's hour), over the whole HOURLY
 * schedule: the planned minute of a claimed batch, the due minute of the others. How the tier's due
 * times bunch decides how many jobs its polls take (src/capacity/capacity.ts jobsPerHourOnGrid, where dispatches are on a grid).
 */
export async function hourlyDueByMinute(db: Queryable): Promise<number[]> {
  const r = await db.query<{ m: number; n: number }>(
    `SELECT coalesce(planned_min, due_min) % 60 AS m, sum(cardinality(video_ids))::int AS n
     FROM watchlist_schedule WHERE tier = 0 GROUP BY 1`,
  );
  const out = new Array<number>(60).fill(0);
  for (const x of r.rows) out[x.m] = x.n;
  return out;
}

/** DAILY and WEEKLY polls the schedule has due before `byMin` (epoch minutes), claimed ones included. */
export async function slowPollsDue(db: Queryable, byMin: number): Promise<{ DAILY: number; WEEKLY: number }> {
  const r = await db.query<{ tier: number; n: number }>(
    `SELECT tier, sum(cardinality(video_ids))::int AS n FROM watchlist_schedule
     WHERE tier IN (1, 2) AND coalesce(planned_min, due_min) < $1 GROUP BY 1`,
    [byMin],
  );
  const n = (tier: number) => r.rows.find((x) => x.tier === tier)?.n ?? 0;
  return { DAILY: n(1), WEEKLY: n(2) };
}

/**
 * Videos on the LIVE cadence now (src/tracker/signals/live.ts): the tracker puts a live stream (or a
 * premiere late to start) in the HOURLY schedule with its next poll `cadenceMin` after its last
 * (src/tracker/registry.ts withCadence), a minute more when the poll ran within a minute. An HOURLY
 * poll is never planned less than half an hour after the last (src/tiers.ts nextPollAt), a new
 * video's first poll has no last (0): the gap tells the LIVE polls from the others.
 */
export async function liveCadenceVideos(db: Queryable, cadenceMin: number): Promise<number> {
  const r = await db.query<{ n: number }>(
    `SELECT coalesce(sum(cardinality(video_ids)), 0)::int AS n FROM watchlist_schedule
     WHERE tier = 0 AND last_tracked_min > 0 AND coalesce(planned_min, due_min) - last_tracked_min <= $1`,
    [cadenceMin + 1],
  );
  return r.rows[0]?.n ?? 0;
}

/**
 * Videos young enough for HOURLY (published after `hourlySinceMin`) that are polled DAILY: the demoted
 * ones (src/capacity/overload.ts demotes only those; nothing else puts a video that young in DAILY).
 */
export async function countDemoted(db: Queryable, hourlySinceMin: number): Promise<number> {
  const r = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM watchlist WHERE tier = 1 AND published_min > $1',
    [hourlySinceMin],
  );
  return r.rows[0]?.n ?? 0;
}

/** Tracked videos (not GONE) per day of age (index 0: published in the last 24 h). */
export async function watchlistAgeDays(db: Queryable, nowMin: number): Promise<number[]> {
  const r = await db.query<{ d: number; n: number }>(
    `SELECT greatest(0, ($1 - published_min) / 1440)::int AS d, count(*)::int AS n
     FROM watchlist WHERE tier <> 3 GROUP BY 1 ORDER BY 1`,
    [nowMin],
  );
  const out: number[] = [];
  for (const x of r.rows) {
    while (out.length < x.d) out.push(0);
    out[x.d] = x.n;
  }
  return out;
}
