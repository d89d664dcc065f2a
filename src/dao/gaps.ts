import { MINUTE_MS } from '../clock.ts';
import type { Queryable } from '../db/pool.ts';
import { bigIntToVideoId, videoIdToBigInt } from '../video-id.ts';

/**
 * Planned snapshots not taken on time (gap_staging): one row per group of videos of one poll with the
 * same plan and outcome; the vault flush writes a row per video (docs/dataset.md, `gaps/`).
 */
export type GapReason = 'quota' | 'outage' | 'late' | 'unavailable' | 'capacity';
export const GAP_REASONS: GapReason[] = ['quota', 'outage', 'late', 'unavailable', 'capacity'];

export interface GapRow {
  videoIds: string[];
  /** The tier the videos were scheduled in (0 HOURLY, 1 DAILY, 2 WEEKLY). */
  tier: number;
  /** The planned snapshot time, epoch ms in whole minutes. */
  dueAt: number;
  /** When the poll ran. */
  polledAt: number;
  reason: GapReason;
  /** Whether the poll produced a snapshot (late: yes; unavailable: no). */
  taken: boolean;
}

export interface StagedGap extends GapRow {
  seq: bigint;
}

export async function insertGaps(db: Queryable, rows: GapRow[]): Promise<number> {
  const nonEmpty = rows.filter((g) => g.videoIds.length > 0);
  if (nonEmpty.length === 0) return 0;
  const r = await db.query(
    `INSERT INTO gap_staging (video_ids, tier, due_min, polled_at, reason, taken)
     SELECT v::bigint[], t, d, p, r, k
     FROM unnest($1::text[], $2::smallint[], $3::int[], $4::timestamptz[], $5::text[], $6::boolean[])
       AS u(v, t, d, p, r, k)`,
    gapColumns(nonEmpty),
  );
  return r.rowCount ?? 0;
}

/** gap_staging's columns as the arrays an `unnest` of them takes, video ids as int8 array literals. */
export const gapColumns = (rows: GapRow[]): unknown[][] => [
  rows.map((g) => `{${g.videoIds.map(videoIdToBigInt).join(',')}}`),
  rows.map((g) => g.tier),
  rows.map((g) => Math.floor(g.dueAt / MINUTE_MS)),
  rows.map((g) => new Date(g.polledAt)),
  rows.map((g) => g.reason),
  rows.map((g) => g.taken),
];

// biome-ignore lint/suspicious/noExplicitAny: row shape from pg
const toGap = (x: any): StagedGap => ({
  seq: x.seq,
  videoIds: (x.video_ids as bigint[]).map(bigIntToVideoId),
  tier: x.tier,
  dueAt: x.due_min * MINUTE_MS,
  polledAt: (x.polled_at as Date).getTime(),
  reason: x.reason,
  taken: x.taken,
});

const COLUMNS = 'seq, video_ids, tier, due_min, polled_at, reason, taken';

export async function readGapRange(db: Queryable, firstSeq: bigint, lastSeq: bigint): Promise<StagedGap[]> {
  const r = await db.query(`SELECT ${COLUMNS} FROM gap_staging WHERE seq BETWEEN $1 AND $2 ORDER BY seq`, [
    firstSeq,
    lastSeq,
  ]);
  return r.rows.map(toGap);
}

/** Every staged gap (tests, small tables). */
export async function stagedGaps(db: Queryable): Promise<StagedGap[]> {
  const r = await db.query(`SELECT ${COLUMNS} FROM gap_staging ORDER BY seq`);
  return r.rows.map(toGap);
}

/** Staged gaps of one video (the explorer; the vault's gaps/ has the flushed ones). */
export async function stagedGapsFor(db: Queryable, videoId: string): Promise<StagedGap[]> {
  const r = await db.query(`SELECT ${COLUMNS} FROM gap_staging WHERE $1 = ANY(video_ids) ORDER BY seq`, [
    videoIdToBigInt(videoId),
  ]);
  return r.rows.map(toGap);
}
