import type { Queryable } from '../db/pool.ts';

/**
 * What the staged event logs (lifecycle_staging, gap_staging, rank_staging: sql/005_dataset.sql;
 * live_staging: sql/008_live.sql) share for the vault flush: a `seq` order, a time column, and ranges
 * taken and deleted by seq, exactly like `staging` for metrics (src/dao/staging.ts). Rows are read by
 * each log's own module, which names its table here.
 */
export type EventLogKind = string;

/** A staged log: its kind (its vault directory and `dataset_flushes.kind`), table and time column. */
export interface StagedLog {
  readonly kind: EventLogKind;
  readonly table: string;
  readonly at: string;
}

export const LIFECYCLE_STAGING: StagedLog = { kind: 'lifecycle', table: 'lifecycle_staging', at: 'seen_at' };
export const GAP_STAGING: StagedLog = { kind: 'gaps', table: 'gap_staging', at: 'polled_at' };
export const RANK_STAGING: StagedLog = { kind: 'ranks', table: 'rank_staging', at: 'run_at' };

/** Whether at least `n` rows are staged, without counting them all. */
export async function eventsStagedAtLeast(db: Queryable, log: StagedLog, n: number): Promise<boolean> {
  const r = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (SELECT 1 FROM ${log.table} LIMIT $1) s`,
    [n],
  );
  return r.rows[0]!.n >= n;
}

/** When the first staged row (in staging order) happened, epoch ms; null when nothing is staged. */
export async function oldestEventAt(db: Queryable, log: StagedLog): Promise<number | null> {
  const { table, at } = log;
  const r = await db.query<{ at: Date }>(`SELECT ${at} AS at FROM ${table} ORDER BY seq LIMIT 1`);
  return r.rows[0] ? r.rows[0].at.getTime() : null;
}

export async function countEventsStaged(db: Queryable, log: StagedLog): Promise<number> {
  const r = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${log.table}`);
  return r.rows[0]!.n;
}

/**
 * Waits for the transactions writing to the log and holds new ones back until the caller's transaction
 * ends (SHARE mode), then returns the highest seq: every row up to it is committed.
 */
export async function lockEventsForRange(
  db: Queryable,
  log: StagedLog,
  timeoutMs = 10_000,
): Promise<bigint | null> {
  const { table } = log;
  await db.query(`SELECT set_config('lock_timeout', $1, true)`, [`${timeoutMs}ms`]);
  await db.query(`LOCK TABLE ${table} IN SHARE MODE`);
  const r = await db.query<{ m: bigint | null }>(`SELECT max(seq) AS m FROM ${table}`);
  return r.rows[0]!.m;
}

/** The next range a flush may take: up to `maxRows` rows from the first staged one, never past `upTo`. */
export async function nextEventRange(
  db: Queryable,
  log: StagedLog,
  opts: { maxRows: number; upTo: bigint },
): Promise<{ firstSeq: bigint; lastSeq: bigint } | null> {
  const r = await db.query<{ lo: bigint | null; hi: bigint | null }>(
    `WITH take AS (SELECT seq FROM ${log.table} WHERE seq <= $2 ORDER BY seq LIMIT $1)
     SELECT min(seq) AS lo, max(seq) AS hi FROM take`,
    [opts.maxRows, opts.upTo],
  );
  const row = r.rows[0];
  return row?.lo != null && row.hi != null ? { firstSeq: row.lo, lastSeq: row.hi } : null;
}

/** Deletes a flushed range; called in the transaction that marks its flush finished. */
export async function deleteEventRange(
  db: Queryable,
  log: StagedLog,
  firstSeq: bigint,
  lastSeq: bigint,
): Promise<number> {
  const r = await db.query(`DELETE FROM ${log.table} WHERE seq BETWEEN $1 AND $2`, [firstSeq, lastSeq]);
  return r.rowCount ?? 0;
}
