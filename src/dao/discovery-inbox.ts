import type { Queryable } from '../db/pool.ts';
import { bigIntToVideoId, videoIdToBigInt } from '../video-id.ts';

/**
 * The discovery inbox (sql/004_channels.sql): video ids announced by WebSub that Pleiades does not know
 * yet, waiting to be fetched with videos.list 50 at a time and ingested.
 */

export interface InboxItem {
  videoId: string;
  channelId: string;
  route: string;
}

/**
 * Of these ids, the ones Pleiades does not know: in neither the watchlist (every video ever found)
 * nor the inbox.
 */
export async function unknownVideoIds(db: Queryable, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const r = await db.query<{ id: bigint }>(
    `SELECT id FROM unnest($1::bigint[]) AS id
     WHERE NOT EXISTS (SELECT 1 FROM watchlist w WHERE w.video_id = id)
       AND NOT EXISTS (SELECT 1 FROM discovery_inbox i WHERE i.video_id = id)`,
    [[...new Set(ids)].map(videoIdToBigInt)],
  );
  return r.rows.map((x) => bigIntToVideoId(x.id));
}

/** Adds the ids Pleiades does not know yet (idempotent); returns how many were added. */
export async function addToInbox(db: Queryable, items: InboxItem[], now: Date): Promise<number> {
  const byId = new Map(items.map((i) => [i.videoId, i]));
  if (byId.size === 0) return 0;
  const list = [...byId.values()].sort((a, b) => a.videoId.localeCompare(b.videoId));
  const r = await db.query(
    `INSERT INTO discovery_inbox (video_id, channel_id, route, received_at)
     SELECT u.id, u.ch, u.route, $4 FROM unnest($1::bigint[], $2::text[], $3::text[]) AS u(id, ch, route)
     WHERE NOT EXISTS (SELECT 1 FROM watchlist w WHERE w.video_id = u.id)
     ON CONFLICT (video_id) DO NOTHING`,
    [
      list.map((i) => videoIdToBigInt(i.videoId)),
      list.map((i) => i.channelId),
      list.map((i) => i.route),
      now,
    ],
  );
  return r.rowCount ?? 0;
}

/**
 * Claims up to `limit` inbox rows, oldest first, until `now + leaseMs` (SKIP LOCKED: concurrent
 * ingest jobs take different rows; a crashed one's rows come back when the claim lapses).
 */
export async function claimInbox(
  db: Queryable,
  opts: { limit: number; now: number; leaseMs: number },
): Promise<InboxItem[]> {
  const r = await db.query(
    `WITH c AS (
       SELECT video_id FROM discovery_inbox
       WHERE claimed_until IS NULL OR claimed_until <= $1
       ORDER BY received_at, video_id
       LIMIT $2
       FOR UPDATE SKIP LOCKED)
     UPDATE discovery_inbox i SET claimed_until = $3 FROM c WHERE i.video_id = c.video_id
     RETURNING i.video_id, i.channel_id, i.route`,
    [new Date(opts.now), opts.limit, new Date(opts.now + opts.leaseMs)],
  );
  return r.rows
    .map((x) => ({ videoId: bigIntToVideoId(x.video_id), channelId: x.channel_id, route: x.route }))
    .sort((a, b) => a.videoId.localeCompare(b.videoId));
}

/**
 * How many inbox rows to claim now (oldest first) so that videos.list is asked full batches: every
 * whole `batch` of unclaimed rows, and the partial rest only once one of it has waited `waitMs`
 * (a push is then ingested at most that late, and a day of pushes costs about one unit per `batch`).
 */
export async function inboxRowsToClaim(
  db: Queryable,
  opts: { now: number; waitMs: number; batch: number; limit: number },
): Promise<number> {
  const r = await db.query<{ n: number; due: number }>(
    `SELECT count(*)::int AS n, (count(*) FILTER (WHERE received_at <= $2))::int AS due
     FROM discovery_inbox WHERE claimed_until IS NULL OR claimed_until <= $1`,
    [new Date(opts.now), new Date(opts.now - opts.waitMs)],
  );
  const { n, due } = r.rows[0]!;
  const k = Math.min(opts.limit, n);
  const full = Math.floor(k / opts.batch) * opts.batch;
  return Math.max(full, Math.min(k, Math.ceil(due / opts.batch) * opts.batch));
}

export async function deleteFromInbox(db: Queryable, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const r = await db.query('DELETE FROM discovery_inbox WHERE video_id = ANY($1::bigint[])', [
    ids.map(videoIdToBigInt),
  ]);
  return r.rowCount ?? 0;
}

export async function countInbox(db: Queryable): Promise<number> {
  const r = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM discovery_inbox');
  return r.rows[0]!.n;
}
