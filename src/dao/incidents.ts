import type { Queryable } from '../db/pool.ts';

/**
 * Windows in which due polls could not run (tracker_incidents): the tracking pool's quota spent until
 * its reset, or YouTube failing. A poll served late takes its reason from them (src/observations/gaps.ts).
 */
export interface Incident {
  reason: 'quota' | 'outage';
  startedAt: number;
  endedAt: number;
  failures: number;
}

/** The pool is spent until `resetAt`: one incident per reset, recording it again changes nothing. */
export async function recordQuotaIncident(
  db: Queryable,
  o: { at: number; resetAt: number; detail?: string },
): Promise<void> {
  await db.query(
    `INSERT INTO tracker_incidents (reason, started_at, ended_at, detail) VALUES ('quota', $1, $2, $3)
     ON CONFLICT (ended_at) WHERE reason = 'quota' DO NOTHING`,
    [new Date(Math.min(o.at, o.resetAt)), new Date(o.resetAt), o.detail ?? null],
  );
}

/**
 * A failed call at `at`: extends the latest outage if it ended less than `mergeWithinMs` before, else
 * starts one.
 */
export async function recordOutage(
  db: Queryable,
  o: { at: number; mergeWithinMs: number; detail?: string },
): Promise<void> {
  const at = new Date(o.at);
  const r = await db.query(
    `UPDATE tracker_incidents SET ended_at = greatest(ended_at, $1), failures = failures + 1, detail = $3
     WHERE id = (SELECT id FROM tracker_incidents
                 WHERE reason = 'outage' AND ended_at >= $1::timestamptz - make_interval(secs => $2::float8 / 1000)
                 ORDER BY ended_at DESC LIMIT 1)`,
    [at, o.mergeWithinMs, o.detail ?? null],
  );
  if (r.rowCount) return;
  await db.query(
    `INSERT INTO tracker_incidents (reason, started_at, ended_at, detail) VALUES ('outage', $1, $1, $2)`,
    [at, o.detail ?? null],
  );
}

/** Incidents overlapping [from, to], oldest first. */
export async function incidentsBetween(db: Queryable, from: number, to: number): Promise<Incident[]> {
  const r = await db.query(
    `SELECT reason, started_at, ended_at, failures FROM tracker_incidents
     WHERE ended_at >= $1 AND started_at <= $2 ORDER BY started_at`,
    [new Date(from), new Date(to)],
  );
  return r.rows.map((x) => ({
    reason: x.reason,
    startedAt: (x.started_at as Date).getTime(),
    endedAt: (x.ended_at as Date).getTime(),
    failures: x.failures,
  }));
}
