import type { Queryable } from '../db/pool.ts';

/** A flush as recorded before its files are written: re-running it rewrites the same files. */
export type FlushRecord =
  | { id: bigint; kind: 'metrics'; firstSeq: bigint; lastSeq: bigint }
  | { id: bigint; kind: 'videos'; videoIds: bigint[]; day: string };

export interface FlushOutcome {
  files: number;
  rows: number;
  bytes: number;
}

export interface VaultTotals {
  flushes: number;
  files: number;
  rows: number;
  bytes: number;
  lastFlushAt: Date | null;
}

// biome-ignore lint/suspicious/noExplicitAny: row shape from pg
const toRecord = (x: any): FlushRecord =>
  x.kind === 'metrics'
    ? { id: x.id, kind: 'metrics', firstSeq: x.first_seq, lastSeq: x.last_seq }
    : { id: x.id, kind: 'videos', videoIds: (x.video_ids ?? []).map((v: string) => BigInt(v)), day: x.day };

export async function beginMetricsFlush(
  db: Queryable,
  firstSeq: bigint,
  lastSeq: bigint,
): Promise<FlushRecord> {
  const r = await db.query(
    `INSERT INTO vault_flushes (kind, first_seq, last_seq) VALUES ('metrics', $1, $2)
     RETURNING id, kind, first_seq, last_seq`,
    [firstSeq, lastSeq],
  );
  return toRecord(r.rows[0]);
}

/** `day` is the partition (YYYY-MM-DD, UTC) the videos' file goes to. */
export async function beginVideosFlush(db: Queryable, videoIds: bigint[], day: string): Promise<FlushRecord> {
  const r = await db.query(
    `INSERT INTO vault_flushes (kind, video_ids, day) VALUES ('videos', $1::bigint[], $2::date)
     RETURNING id, kind, video_ids, to_char(day, 'YYYY-MM-DD') AS day`,
    [videoIds, day],
  );
  return toRecord(r.rows[0]);
}

/** Flushes recorded but not finished (a crashed run's), oldest first. */
export async function pendingFlushes(db: Queryable): Promise<FlushRecord[]> {
  const r = await db.query(
    `SELECT id, kind, first_seq, last_seq, video_ids, to_char(day, 'YYYY-MM-DD') AS day
     FROM vault_flushes WHERE finished_at IS NULL ORDER BY id`,
  );
  return r.rows.map(toRecord);
}

/** Marks a flush finished and adds it to the totals; runs in the transaction that removes its source. */
export async function finishFlush(
  db: Queryable,
  rec: FlushRecord,
  out: FlushOutcome,
  at: Date,
): Promise<void> {
  await db.query(
    `UPDATE vault_flushes SET finished_at = $2, files = $3, rows = $4, bytes = $5
     WHERE id = $1 AND finished_at IS NULL`,
    [rec.id, at, out.files, out.rows, out.bytes],
  );
  await db.query(
    `UPDATE vault_totals SET flushes = flushes + 1, files = files + $2, rows = rows + $3, bytes = bytes + $4,
            last_flush_at = $5
     WHERE kind = $1`,
    [rec.kind, out.files, out.rows, out.bytes, at],
  );
}

/** Rows, files and bytes flushed so far, per kind (the metrics' "rows flushed"). */
export async function vaultTotals(db: Queryable): Promise<Record<'metrics' | 'videos', VaultTotals>> {
  const r = await db.query(
    'SELECT kind, flushes::float8, files::float8, rows::float8, bytes::float8, last_flush_at FROM vault_totals',
  );
  const empty: VaultTotals = { flushes: 0, files: 0, rows: 0, bytes: 0, lastFlushAt: null };
  const out = { metrics: { ...empty }, videos: { ...empty } };
  for (const x of r.rows)
    out[x.kind as 'metrics' | 'videos'] = {
      flushes: x.flushes,
      files: x.files,
      rows: x.rows,
      bytes: x.bytes,
      lastFlushAt: x.last_flush_at,
    };
  return out;
}

/** Snapshots written to the vault so far. */
export async function countFlushedRows(db: Queryable): Promise<number> {
  return (await vaultTotals(db)).metrics.rows;
}

/** Any 64-bit number unique to this purpose: flushes and compactions of every replica queue on it. */
const VAULT_LOCK = 0x7661756c74n; // "vault"

/**
 * Takes the vault lock on this session if free. A session-level lock: it ends with the connection, so
 * a process killed mid-flush frees it.
 */
export async function tryVaultLock(db: Queryable): Promise<boolean> {
  const r = await db.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [VAULT_LOCK]);
  return r.rows[0]!.ok;
}

/**
 * Waits up to `waitMs` for the vault lock (Postgres grants it to waiters in turn as it is released, so
 * a compaction is not starved by flushes that try every second). False when the time ran out.
 */
export async function waitVaultLock(db: Queryable, waitMs: number): Promise<boolean> {
  await db.query("SELECT set_config('lock_timeout', $1, false)", [`${Math.max(1, Math.round(waitMs))}ms`]);
  try {
    await db.query('SELECT pg_advisory_lock($1)', [VAULT_LOCK]);
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === '55P03') return false; // lock_not_available
    throw err;
  } finally {
    await db.query('RESET lock_timeout');
  }
}

export async function releaseVaultLock(db: Queryable): Promise<void> {
  await db.query('SELECT pg_advisory_unlock($1)', [VAULT_LOCK]);
}

/**
 * The part-name ranges every recorded flush (finished or not) writes under: metrics files are named
 * after the staging seq range, videos files after the flush id (src/vault/flush.ts). The audit
 * (`pleiades vault verify`) checks each file against these.
 */
export async function recordedFlushRanges(
  db: Queryable,
): Promise<Record<'metrics' | 'videos', { first: bigint; last: bigint }[]>> {
  const r = await db.query<{ kind: 'metrics' | 'videos'; first: string; last: string }>(
    `SELECT kind,
            (CASE kind WHEN 'metrics' THEN first_seq ELSE id END)::text AS first,
            (CASE kind WHEN 'metrics' THEN last_seq ELSE id END)::text AS last
     FROM vault_flushes`,
  );
  const out: Record<'metrics' | 'videos', { first: bigint; last: bigint }[]> = { metrics: [], videos: [] };
  for (const x of r.rows) out[x.kind].push({ first: BigInt(x.first), last: BigInt(x.last) });
  return out;
}
