import { MINUTE_MS } from '../clock.ts';
import { boolArray, intArray, timestampArray } from '../db/array-literal.ts';
import type { Queryable } from '../db/pool.ts';
import { type LifecycleEvent, lifecycleCode, lifecycleName } from '../observations/lifecycle.ts';
import { bigIntToVideoId, videoIdToBigInt } from '../video-id.ts';

/** Lifecycle events staged for the vault (lifecycle_staging) and the titles they compare against. */
export interface StagedLifecycleEvent extends LifecycleEvent {
  seq: bigint;
}

/**
 * Stages events in one statement; an event already staged for the same video, poll and kind is skipped
 * (a retried job adds nothing). Returns how many were inserted.
 */
export async function insertLifecycleEvents(db: Queryable, events: LifecycleEvent[]): Promise<number> {
  if (events.length === 0) return 0;
  const r = await db.query(
    `INSERT INTO lifecycle_staging (video_id, event, due_min, seen_at, previous_at, initial, detail)
     SELECT * FROM unnest($1::bigint[], $2::smallint[], $3::int[], $4::timestamptz[], $5::timestamptz[],
                          $6::boolean[], $7::text[])
     ON CONFLICT (video_id, due_min, event) DO NOTHING`,
    lifecycleColumns(events),
  );
  return r.rowCount ?? 0;
}

/** lifecycle_staging's columns as the arrays an `unnest` of them takes (this statement's and the tracker's). */
export const lifecycleColumns = (events: LifecycleEvent[]): unknown[] => [
  intArray(events.map((e) => videoIdToBigInt(e.videoId))),
  intArray(events.map((e) => lifecycleCode(e.event))),
  intArray(events.map((e) => Math.floor(e.dueAt / MINUTE_MS))),
  timestampArray(events.map((e) => e.seenAt)),
  timestampArray(events.map((e) => e.previousAt)),
  boolArray(events.map((e) => e.initial)),
  events.map((e) => e.detail),
];

// biome-ignore lint/suspicious/noExplicitAny: row shape from pg
const toEvent = (x: any): StagedLifecycleEvent => ({
  seq: x.seq,
  videoId: bigIntToVideoId(x.video_id),
  event: lifecycleName(x.event),
  dueAt: x.due_min * MINUTE_MS,
  seenAt: (x.seen_at as Date).getTime(),
  previousAt: x.previous_at ? (x.previous_at as Date).getTime() : null,
  initial: x.initial,
  detail: x.detail,
});

const COLUMNS = 'seq, video_id, event, due_min, seen_at, previous_at, initial, detail';

export async function readLifecycleRange(
  db: Queryable,
  firstSeq: bigint,
  lastSeq: bigint,
): Promise<StagedLifecycleEvent[]> {
  const r = await db.query(
    `SELECT ${COLUMNS} FROM lifecycle_staging WHERE seq BETWEEN $1 AND $2 ORDER BY seq`,
    [firstSeq, lastSeq],
  );
  return r.rows.map(toEvent);
}

/** Staged events of some videos (tests and the export's not-yet-flushed view). */
export async function stagedLifecycleFor(db: Queryable, ids: string[]): Promise<StagedLifecycleEvent[]> {
  const r = await db.query(
    `SELECT ${COLUMNS} FROM lifecycle_staging WHERE video_id = ANY($1::bigint[]) ORDER BY seq`,
    [ids.map(videoIdToBigInt)],
  );
  return r.rows.map(toEvent);
}

/**
 * The title each of these videos has as far as Pleiades knows: the last changed title, else the hot
 * row's. Videos without a hot row (older than the retention) are left out: their titles are not watched.
 */
export async function knownTitles(db: Queryable, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const r = await db.query<{ id: bigint; title: string }>(
    `SELECT v.id, coalesce(t.title, v.title) AS title
     FROM videos v LEFT JOIN video_titles t ON t.video_id = v.id
     WHERE v.id = ANY($1::bigint[])`,
    [ids.map(videoIdToBigInt)],
  );
  return new Map(r.rows.map((x) => [bigIntToVideoId(x.id), x.title]));
}

/** Remembers changed titles (the next check compares with them); drops entries older than `pruneBefore`. */
export async function recordTitles(
  db: Queryable,
  titles: { videoId: string; title: string; at: number }[],
  pruneBefore: number,
): Promise<void> {
  if (titles.length === 0) return;
  await db.query(
    `INSERT INTO video_titles (video_id, title, changed_at)
     SELECT * FROM unnest($1::bigint[], $2::text[], $3::timestamptz[])
     ON CONFLICT (video_id) DO UPDATE SET title = excluded.title, changed_at = excluded.changed_at`,
    [
      titles.map((t) => videoIdToBigInt(t.videoId)),
      titles.map((t) => t.title),
      titles.map((t) => new Date(t.at)),
    ],
  );
  await db.query('DELETE FROM video_titles WHERE changed_at < $1', [new Date(pruneBefore)]);
}
