import { MINUTE_MS } from '../clock.ts';
import type { Queryable } from '../db/pool.ts';
import { bigIntToVideoId, videoIdToBigInt } from '../video-id.ts';
import type { StagedLog } from './event-logs.ts';

/** Polls of live streams and premieres staged for the vault (live_staging: sql/008_live.sql). */
export type LiveStatus = 'upcoming' | 'live' | 'ended';

export interface LiveRow {
  videoId: string;
  /** The planned poll, epoch ms in whole minutes, and when it ran. */
  dueAt: number;
  polledAt: number;
  status: LiveStatus;
  scheduledStartAt: number | null;
  actualStartAt: number | null;
  actualEndAt: number | null;
  concurrentViewers: bigint | null;
}

export interface StagedLiveRow extends LiveRow {
  seq: bigint;
}

/** The log as the vault flush takes ranges of it (src/dao/event-logs.ts). */
export const LIVE_STAGING: StagedLog = { kind: 'live', table: 'live_staging', at: 'polled_at' };

const date = (ms: number | null) => (ms === null ? null : new Date(ms));
const ms = (d: Date | null) => (d ? d.getTime() : null);

/** Stages rows in one statement; a row already staged for the same video and poll is skipped. */
export async function insertLiveRows(db: Queryable, rows: LiveRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const r = await db.query(
    `INSERT INTO live_staging (video_id, due_min, polled_at, status, scheduled_start_at, actual_start_at,
                               actual_end_at, concurrent_viewers)
     SELECT * FROM unnest($1::bigint[], $2::int[], $3::timestamptz[], $4::text[], $5::timestamptz[],
                          $6::timestamptz[], $7::timestamptz[], $8::bigint[])
     ON CONFLICT (video_id, due_min) DO NOTHING`,
    [
      rows.map((x) => videoIdToBigInt(x.videoId)),
      rows.map((x) => Math.floor(x.dueAt / MINUTE_MS)),
      rows.map((x) => new Date(x.polledAt)),
      rows.map((x) => x.status),
      rows.map((x) => date(x.scheduledStartAt)),
      rows.map((x) => date(x.actualStartAt)),
      rows.map((x) => date(x.actualEndAt)),
      rows.map((x) => x.concurrentViewers),
    ],
  );
  return r.rowCount ?? 0;
}

export async function readLiveRange(
  db: Queryable,
  firstSeq: bigint,
  lastSeq: bigint,
): Promise<StagedLiveRow[]> {
  const r = await db.query(
    `SELECT seq, video_id, due_min, polled_at, status, scheduled_start_at, actual_start_at, actual_end_at,
            concurrent_viewers
     FROM live_staging WHERE seq BETWEEN $1 AND $2 ORDER BY seq`,
    [firstSeq, lastSeq],
  );
  return r.rows.map((x) => ({
    seq: x.seq,
    videoId: bigIntToVideoId(x.video_id),
    dueAt: x.due_min * MINUTE_MS,
    polledAt: (x.polled_at as Date).getTime(),
    status: x.status,
    scheduledStartAt: ms(x.scheduled_start_at),
    actualStartAt: ms(x.actual_start_at),
    actualEndAt: ms(x.actual_end_at),
    concurrentViewers: x.concurrent_viewers,
  }));
}
