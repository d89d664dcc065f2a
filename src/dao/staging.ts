import { fromEpochMinutes, MINUTE_MS } from '../clock.ts';
import { intArray, timestampArray } from '../db/array-literal.ts';
import type { Queryable } from '../db/pool.ts';
import { bigIntToVideoId, videoIdToBigInt } from '../video-id.ts';

/** One statistics snapshot, as the tracker stages it for the vault. */
export interface SnapshotRow {
  /** 11-character YouTube id (stored as int8). */
  videoId: string;
  /** Planned snapshot time, epoch ms in whole minutes; with videoId the unique key. */
  dueAt: number;
  /** When the statistics were read, epoch ms. */
  takenAt: number;
  /** NULL where YouTube hides them. */
  views: bigint | null;
  likes: bigint | null;
  comments: bigint | null;
  /** 0 HOURLY, 1 DAILY, 2 WEEKLY (src/tiers.ts). */
  tier: number;
}

/** A staged row with its position in the staging order. */
export interface StagedRow extends SnapshotRow {
  seq: bigint;
}

/**
 * Stages snapshots in ONE statement; a snapshot already staged (same video and due time) is skipped,
 * so a retried tracker job adds nothing. Returns how many rows were inserted.
 */
export async function insertSnapshots(db: Queryable, rows: SnapshotRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const r = await db.query(
    `INSERT INTO staging (video_id, due_min, taken_at, views, likes, comments, tier)
     SELECT * FROM unnest($1::bigint[], $2::int[], $3::timestamptz[], $4::bigint[], $5::bigint[], $6::bigint[],
                          $7::smallint[])
     ON CONFLICT (video_id, due_min) DO NOTHING`,
    snapshotColumns(rows),
  );
  return r.rowCount ?? 0;
}

/** Staging's columns as the arrays an `unnest` of them takes (this statement's and the tracker's). */
export const snapshotColumns = (rows: SnapshotRow[]): string[] => [
  intArray(rows.map((s) => videoIdToBigInt(s.videoId))),
  intArray(rows.map((s) => Math.floor(s.dueAt / MINUTE_MS))),
  timestampArray(rows.map((s) => s.takenAt)),
  intArray(rows.map((s) => s.views)),
  intArray(rows.map((s) => s.likes)),
  intArray(rows.map((s) => s.comments)),
  intArray(rows.map((s) => s.tier)),
];

export async function countStaged(db: Queryable): Promise<number> {
  const r = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM staging');
  return r.rows[0]!.n;
}

/** Whether at least `n` rows are staged, without counting them all (staging grows during an outage). */
export async function hasStagedAtLeast(db: Queryable, n: number): Promise<boolean> {
  const r = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM (SELECT 1 FROM staging LIMIT $1) s',
    [n],
  );
  return r.rows[0]!.n >= n;
}

/** When the earliest staged snapshot (in staging order) was taken, epoch ms; null when nothing is staged. */
export async function oldestStagedAt(db: Queryable): Promise<number | null> {
  const r = await db.query<{ taken_at: Date }>('SELECT taken_at FROM staging ORDER BY seq LIMIT 1');
  return r.rows[0] ? r.rows[0].taken_at.getTime() : null;
}

/**
 * The next range of staged rows a flush may take: from the first staged row to the `maxRows`-th, and
 * never past `upTo`. Must run in a transaction that first called `lockStagingForRange`, so that no
 * uncommitted insert can later appear inside the range.
 */
export async function nextStagedRange(
  db: Queryable,
  opts: { maxRows: number; upTo?: bigint },
): Promise<{ firstSeq: bigint; lastSeq: bigint } | null> {
  const r = await db.query<{ lo: bigint | null; hi: bigint | null }>(
    `WITH b AS (SELECT coalesce($2::bigint, (SELECT max(seq) FROM staging)) AS upto),
          take AS (SELECT seq FROM staging, b WHERE seq <= b.upto ORDER BY seq LIMIT $1)
     SELECT min(seq) AS lo, max(seq) AS hi FROM take`,
    [opts.maxRows, opts.upTo ?? null],
  );
  const row = r.rows[0];
  return row?.lo != null && row.hi != null ? { firstSeq: row.lo, lastSeq: row.hi } : null;
}

/**
 * Waits for every transaction that is inserting into staging to finish and holds new inserts back
 * until the caller's transaction ends (SHARE conflicts only with writers). After it, every row with a
 * sequence number up to the current maximum is committed: a range read now is final.
 */
export async function lockStagingForRange(db: Queryable, timeoutMs = 10_000): Promise<bigint | null> {
  await db.query(`SELECT set_config('lock_timeout', $1, true)`, [`${timeoutMs}ms`]);
  await db.query('LOCK TABLE staging IN SHARE MODE');
  const r = await db.query<{ m: bigint | null }>('SELECT max(seq) AS m FROM staging');
  return r.rows[0]!.m;
}

// biome-ignore lint/suspicious/noExplicitAny: row shape from pg
const toStaged = (x: any): StagedRow => ({
  seq: x.seq,
  videoId: bigIntToVideoId(x.video_id),
  dueAt: fromEpochMinutes(x.due_min),
  takenAt: (x.taken_at as Date).getTime(),
  views: x.views,
  likes: x.likes,
  comments: x.comments,
  tier: x.tier,
});

/** The staged rows of a range, in staging order. */
export async function readStagedRange(
  db: Queryable,
  firstSeq: bigint,
  lastSeq: bigint,
): Promise<StagedRow[]> {
  const r = await db.query(
    `SELECT seq, video_id, due_min, taken_at, views, likes, comments, tier FROM staging
     WHERE seq BETWEEN $1 AND $2 ORDER BY seq`,
    [firstSeq, lastSeq],
  );
  return r.rows.map(toStaged);
}

/** Deletes a flushed range; called in the transaction that marks its flush finished. */
export async function deleteStagedRange(db: Queryable, firstSeq: bigint, lastSeq: bigint): Promise<number> {
  const r = await db.query('DELETE FROM staging WHERE seq BETWEEN $1 AND $2', [firstSeq, lastSeq]);
  return r.rowCount ?? 0;
}

/** Staged snapshots of one video (for export: what the vault does not have yet). */
export async function stagedForVideo(db: Queryable, videoId: string): Promise<StagedRow[]> {
  const r = await db.query(
    `SELECT seq, video_id, due_min, taken_at, views, likes, comments, tier FROM staging
     WHERE video_id = $1 ORDER BY due_min`,
    [videoIdToBigInt(videoId)],
  );
  return r.rows.map(toStaged);
}

/** Staged snapshots of several videos, by video and planned time. */
export async function stagedForVideos(db: Queryable, videoIds: string[]): Promise<StagedRow[]> {
  if (videoIds.length === 0) return [];
  const r = await db.query(
    `SELECT seq, video_id, due_min, taken_at, views, likes, comments, tier FROM staging
     WHERE video_id = ANY($1::bigint[]) ORDER BY video_id, due_min`,
    [videoIds.map(videoIdToBigInt)],
  );
  return r.rows.map(toStaged);
}

export interface VelocityJump {
  videoId: string;
  /** Views per hour between its last two staged snapshots… */
  viewsPerHour: number;
  /** …and between the two before. */
  previousPerHour: number;
  takenAt: number;
}

/**
 * Videos whose growth jumped: views per hour over their last interval at least `minRatio` times the
 * interval before, among snapshots staged since `since` ("just went viral"). Staged rows only: the
 * last flush interval, which is what "just" means here.
 */
export async function velocityJumps(
  db: Queryable,
  opts: { since: number; minRatio: number; minViewsPerHour: number; limit: number },
): Promise<VelocityJump[]> {
  const r = await db.query(
    `WITH s AS (
       SELECT video_id, taken_at, views,
              row_number() OVER w AS n,
              lag(views) OVER w AS v1, lag(taken_at) OVER w AS t1,
              lag(views, 2) OVER w AS v2, lag(taken_at, 2) OVER w AS t2
       FROM staging WHERE taken_at >= $1 AND views IS NOT NULL
       WINDOW w AS (PARTITION BY video_id ORDER BY taken_at)
     ), rates AS (
       SELECT video_id, taken_at,
              (views - v1) / greatest(extract(epoch FROM taken_at - t1) / 3600, 1.0 / 60) AS now_rate,
              (v1 - v2) / greatest(extract(epoch FROM t1 - t2) / 3600, 1.0 / 60) AS before_rate,
              row_number() OVER (PARTITION BY video_id ORDER BY taken_at DESC) AS latest
       FROM s WHERE v2 IS NOT NULL
     )
     SELECT video_id, taken_at, now_rate::float8 AS now_rate, before_rate::float8 AS before_rate FROM rates
     WHERE latest = 1 AND now_rate >= $3 AND now_rate >= $2 * greatest(before_rate, 1)
     ORDER BY now_rate / greatest(before_rate, 1) DESC, video_id LIMIT $4`,
    [new Date(opts.since), opts.minRatio, opts.minViewsPerHour, opts.limit],
  );
  return r.rows.map((x) => ({
    videoId: bigIntToVideoId(x.video_id),
    viewsPerHour: x.now_rate,
    previousPerHour: x.before_rate,
    takenAt: (x.taken_at as Date).getTime(),
  }));
}
