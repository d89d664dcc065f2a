import type { Queryable } from '../db/pool.ts';
import { bigIntToVideoId, videoIdToBigInt } from '../video-id.ts';

/** A video as the Hunter ingests it into the hot table. */
export interface VideoMetadata {
  id: string;
  channelId: string;
  channelTitle: string;
  title: string;
  description: string;
  tags: string[];
  categoryId: number | null;
  durationS: number | null;
  publishedAt: Date;
  sourceQueryId: bigint | null;
}

export interface HotVideo extends VideoMetadata {
  discoveredAt: Date;
  categoryName: string | null;
  channelSubscribers: bigint | null;
  enrichedAt: Date | null;
}

/**
 * A hot video with its channel's id and title, which live once per channel in `channels` (the hot row
 * keeps the channel's key: sql/013_channel_titles.sql, sql/014_channel_keys.sql). Every reader of
 * whole hot rows selects through this.
 */
const HOT_ROWS = `SELECT v.*, c.channel_id, coalesce(c.title, '') AS channel_title
  FROM videos v JOIN channels c ON c.key = v.channel_key`;

/**
 * Inserts or refreshes many videos in one statement. `discovered_at` is kept from the first ingest so
 * the retention clock does not restart. Their channels go to `channels` (new channels, or a title
 * YouTube now gives differently), whose key the hot row keeps; channels are written in id order, so two
 * ingests never wait on each other's rows in opposite orders. Returns the ids that were new.
 */
export async function ingestVideoMetadata(
  db: Queryable,
  videos: VideoMetadata[],
  now: Date,
): Promise<string[]> {
  if (videos.length === 0) return [];
  const byId = new Map(videos.map((v) => [v.id, v])); // one statement may not touch a row twice
  const vs = [...byId.values()];
  const r = await db.query<{ id: bigint }>(
    `WITH u AS (
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::int[],
                            $8::int[], $9::timestamptz[], $10::bigint[])
         AS u(id, channel_id, channel_title, title, description, tags, category_id, duration_s, published_at,
              source_query_id)),
     titled AS (
       INSERT INTO channels AS c (channel_id, title, fetched_at)
       SELECT DISTINCT ON (u.channel_id) u.channel_id, u.channel_title, '-infinity' FROM u
       WHERE NOT EXISTS (SELECT 1 FROM channels c2 WHERE c2.channel_id = u.channel_id AND c2.title = u.channel_title)
       ORDER BY u.channel_id, u.channel_title = ''
       ON CONFLICT (channel_id) DO UPDATE SET title = coalesce(nullif(EXCLUDED.title, ''), c.title)
       RETURNING c.channel_id, c.key),
     -- Channels this statement wrote (new, retitled, or inserted meanwhile by another ingest: the
     -- conflict path returns them), and the ones it found unchanged.
     keys AS (
       SELECT channel_id, key FROM titled
       UNION ALL
       SELECT c.channel_id, c.key FROM channels c
       WHERE c.channel_id IN (SELECT channel_id FROM u) AND c.channel_id NOT IN (SELECT channel_id FROM titled))
     INSERT INTO videos AS v (id, channel_key, title, description, tags, category_id, duration_s,
                         published_at, source_query_id, discovered_at)
     SELECT u.id, k.key, u.title, u.description,
            coalesce((SELECT array_agg(t) FROM jsonb_array_elements_text(u.tags) t), '{}'),
            u.category_id, u.duration_s, u.published_at, u.source_query_id, $11
     FROM u LEFT JOIN keys k ON k.channel_id = u.channel_id
     ON CONFLICT (id) DO UPDATE SET
       title = EXCLUDED.title, description = EXCLUDED.description,
       tags = EXCLUDED.tags, category_id = coalesce(EXCLUDED.category_id, v.category_id),
       duration_s = coalesce(EXCLUDED.duration_s, v.duration_s)
     RETURNING v.id, (xmax = 0) AS inserted`,
    [
      vs.map((v) => videoIdToBigInt(v.id)),
      vs.map((v) => v.channelId),
      vs.map((v) => v.channelTitle),
      vs.map((v) => v.title),
      vs.map((v) => v.description),
      vs.map((v) => JSON.stringify(v.tags)),
      vs.map((v) => v.categoryId),
      vs.map((v) => v.durationS),
      vs.map((v) => v.publishedAt),
      vs.map((v) => v.sourceQueryId),
      now,
    ],
  );
  return (r.rows as { id: bigint; inserted: boolean }[])
    .filter((x) => x.inserted)
    .map((x) => bigIntToVideoId(x.id));
}

// biome-ignore lint/suspicious/noExplicitAny: row shape from pg
const toHotVideo = (r: any): HotVideo => ({
  id: bigIntToVideoId(r.id),
  channelId: r.channel_id,
  channelTitle: r.channel_title,
  title: r.title,
  // NULL once vaulted and featured (sql/007_lean_videos.sql)
  description: r.description ?? '',
  tags: r.tags ?? [],
  categoryId: r.category_id,
  durationS: r.duration_s,
  publishedAt: r.published_at,
  sourceQueryId: r.source_query_id,
  discoveredAt: r.discovered_at,
  categoryName: r.category_name,
  channelSubscribers: r.channel_subscribers,
  enrichedAt: r.enriched_at,
});

export async function getVideos(db: Queryable, ids: string[]): Promise<HotVideo[]> {
  if (ids.length === 0) return [];
  const r = await db.query(`${HOT_ROWS} WHERE v.id = ANY($1::bigint[])`, [ids.map(videoIdToBigInt)]);
  return r.rows.map(toHotVideo);
}

export async function countVideos(db: Queryable): Promise<number> {
  const r = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM videos');
  return r.rows[0]!.n;
}

/**
 * Deletes up to `batchSize` hot rows discovered before `cutoff`; the janitor calls it until it returns
 * less than a batch. Small batches keep locks short so the tracker is never starved. The watchlist is
 * not touched: tracking goes on after the hot row is gone. Only rows whose metadata is in the vault
 * (`vaulted_at` set) go, unless `force`.
 */
export async function deleteExpiredVideos(
  db: Queryable,
  cutoff: Date,
  batchSize: number,
  opts: { force?: boolean } = {},
): Promise<number> {
  const r = await db.query(
    `DELETE FROM videos WHERE ctid = ANY(ARRAY(
       SELECT ctid FROM videos WHERE discovered_at < $1 AND (vaulted_at IS NOT NULL OR $3)
       LIMIT $2 FOR UPDATE SKIP LOCKED))`,
    [cutoff, batchSize, opts.force === true],
  );
  return r.rowCount ?? 0;
}

/** Hot videos the Painter has not enriched yet, oldest first. */
export async function fetchPainterTargets(
  db: Queryable,
  limit: number,
): Promise<{ id: string; channelId: string; categoryId: number | null }[]> {
  const r = await db.query(
    `SELECT v.id, c.channel_id, v.category_id FROM videos v JOIN channels c ON c.key = v.channel_key
     WHERE v.enriched_at IS NULL ORDER BY v.discovered_at LIMIT $1`,
    [limit],
  );
  return r.rows.map((x) => ({
    id: bigIntToVideoId(x.id),
    channelId: x.channel_id,
    categoryId: x.category_id,
  }));
}

/**
 * Copies channel data (from the channels table) and category names (from video_categories) into the
 * given hot videos and marks them enriched: one statement for the whole batch. The channel's title
 * stays in `channels` (refreshChannels wrote it there).
 */
export async function updateVideoEnrichment(
  db: Queryable,
  ids: string[],
  region: string,
  now: Date,
): Promise<number> {
  if (ids.length === 0) return 0;
  const r = await db.query(
    `UPDATE videos v SET
       category_name = vc.title,
       channel_subscribers = c.subscriber_count,
       channel_video_count = c.video_count,
       channel_country = c.country,
       enriched_at = $3
     FROM videos v2
       LEFT JOIN channels c ON c.key = v2.channel_key
       LEFT JOIN video_categories vc ON vc.region = $2 AND vc.category_id = v2.category_id
     WHERE v.id = v2.id AND v.id = ANY($1::bigint[])`,
    [ids.map(videoIdToBigInt), region, now],
  );
  return r.rowCount ?? 0;
}

/** Hot videos without features yet, for the Scribe. */
export async function fetchScribeTargets(db: Queryable, limit: number): Promise<HotVideo[]> {
  const r = await db.query(
    `${HOT_ROWS} WHERE NOT EXISTS (SELECT 1 FROM features f WHERE f.video_id = v.id)
     ORDER BY v.discovered_at LIMIT $1`,
    [limit],
  );
  return r.rows.map(toHotVideo);
}

/**
 * Hot videos whose title holds every one of `words` (case-insensitive), newest first: the explorer's
 * search box. A sequential scan of the hot table, bounded by `limit`.
 */
export async function searchVideosByTitle(
  db: Queryable,
  words: string[],
  limit: number,
): Promise<HotVideo[]> {
  if (words.length === 0) return [];
  const patterns = words.map((w) => `%${w.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  const r = await db.query(
    `${HOT_ROWS} WHERE v.title ILIKE ALL($1::text[]) ORDER BY v.discovered_at DESC LIMIT $2`,
    [patterns, limit],
  );
  return r.rows.map(toHotVideo);
}

/** Channels of hot videos whose id is `text` or whose title holds it, with how many videos each has. */
export async function searchChannels(
  db: Queryable,
  text: string,
  limit: number,
): Promise<{ channelId: string; channelTitle: string; videos: number }[]> {
  const pattern = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const r = await db.query(
    `SELECT c.channel_id, c.title AS channel_title, count(*)::int AS n
     FROM channels c JOIN videos v ON v.channel_key = c.key
     WHERE c.channel_id = $1 OR c.title ILIKE $2 GROUP BY c.channel_id ORDER BY n DESC, c.channel_id LIMIT $3`,
    [text, pattern, limit],
  );
  return r.rows.map((x) => ({ channelId: x.channel_id, channelTitle: x.channel_title, videos: x.n }));
}

/** A channel's hot videos, newest first (index videos_channel on the channel's key, sql/014_channel_keys.sql). */
export async function channelVideos(db: Queryable, channelId: string, limit: number): Promise<HotVideo[]> {
  const r = await db.query(`${HOT_ROWS} WHERE c.channel_id = $1 ORDER BY v.published_at DESC LIMIT $2`, [
    channelId,
    limit,
  ]);
  return r.rows.map(toHotVideo);
}

/** The videos discovered last (index videos_discovered_at). */
export async function recentlyDiscovered(db: Queryable, limit: number): Promise<HotVideo[]> {
  const r = await db.query(`${HOT_ROWS} ORDER BY v.discovered_at DESC LIMIT $1`, [limit]);
  return r.rows.map(toHotVideo);
}
