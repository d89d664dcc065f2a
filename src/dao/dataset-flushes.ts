import type { Queryable } from '../db/pool.ts';
import type { EventLogKind } from './event-logs.ts';

/**
 * Flushes of the event logs (lifecycle, gaps, ranks, live…), recorded before their files are written like
 * `vault_flushes` for metrics: a run that crashed is redone with the same range, hence the same names.
 */
export interface EventFlushRecord {
  id: bigint;
  kind: EventLogKind;
  firstSeq: bigint;
  lastSeq: bigint;
}

// biome-ignore lint/suspicious/noExplicitAny: row shape from pg
const toRecord = (x: any): EventFlushRecord => ({
  id: x.id,
  kind: x.kind,
  firstSeq: x.first_seq,
  lastSeq: x.last_seq,
});

export async function beginEventFlush(
  db: Queryable,
  kind: EventLogKind,
  firstSeq: bigint,
  lastSeq: bigint,
): Promise<EventFlushRecord> {
  const r = await db.query(
    `INSERT INTO dataset_flushes (kind, first_seq, last_seq) VALUES ($1, $2, $3)
     RETURNING id, kind, first_seq, last_seq`,
    [kind, firstSeq, lastSeq],
  );
  return toRecord(r.rows[0]);
}

/** Flushes recorded but not finished, oldest first. */
export async function pendingEventFlushes(db: Queryable): Promise<EventFlushRecord[]> {
  const r = await db.query(
    'SELECT id, kind, first_seq, last_seq FROM dataset_flushes WHERE finished_at IS NULL ORDER BY id',
  );
  return r.rows.map(toRecord);
}

export async function finishEventFlush(
  db: Queryable,
  rec: EventFlushRecord,
  out: { files: number; rows: number; bytes: number },
  at: Date,
): Promise<void> {
  await db.query(
    `UPDATE dataset_flushes SET finished_at = $2, files = $3, rows = $4, bytes = $5
     WHERE id = $1 AND finished_at IS NULL`,
    [rec.id, at, out.files, out.rows, out.bytes],
  );
}

/** Rows flushed so far per log. */
export async function eventFlushTotals(db: Queryable): Promise<Record<EventLogKind, number>> {
  const r = await db.query<{ kind: EventLogKind; rows: number }>(
    `SELECT kind, coalesce(sum(rows), 0)::float8 AS rows FROM dataset_flushes
     WHERE finished_at IS NOT NULL GROUP BY kind`,
  );
  const out: Record<EventLogKind, number> = {};
  for (const x of r.rows) out[x.kind] = x.rows;
  return out;
}
