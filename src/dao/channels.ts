import type { Queryable } from '../db/pool.ts';

export interface Channel {
  channelId: string;
  title: string;
  country: string | null;
  subscriberCount: bigint | null;
  videoCount: bigint | null;
  viewCount: bigint | null;
  uploadsPlaylistId: string | null;
}

/** Of these channels, the ones not fetched since `since` (the Painter refreshes them). */
export async function staleChannels(db: Queryable, channelIds: string[], since: Date): Promise<string[]> {
  if (channelIds.length === 0) return [];
  const r = await db.query<{ id: string }>(
    `SELECT id FROM unnest($1::text[]) AS id
     WHERE NOT EXISTS (SELECT 1 FROM channels c WHERE c.channel_id = id AND c.fetched_at >= $2)`,
    [channelIds, since],
  );
  return r.rows.map((x) => x.id);
}

/**
 * Stores channels.list answers. An empty title keeps the one known (from search results: ingest writes
 * titles here first, sql/013_channel_titles.sql); rows are written in id order, as ingest does, so the
 * two never lock the same channels in opposite orders.
 */
export async function upsertChannels(db: Queryable, channels: Channel[], now: Date): Promise<void> {
  if (channels.length === 0) return;
  await db.query(
    `INSERT INTO channels AS c (channel_id, title, country, subscriber_count, video_count, view_count, uploads_playlist_id, fetched_at)
     SELECT *, $8::timestamptz FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::text[])
       AS u(channel_id) ORDER BY u.channel_id
     ON CONFLICT (channel_id) DO UPDATE SET title = coalesce(nullif(EXCLUDED.title, ''), c.title), country = EXCLUDED.country,
       subscriber_count = EXCLUDED.subscriber_count, video_count = EXCLUDED.video_count,
       view_count = EXCLUDED.view_count, uploads_playlist_id = EXCLUDED.uploads_playlist_id, fetched_at = EXCLUDED.fetched_at`,
    [
      channels.map((c) => c.channelId),
      channels.map((c) => c.title),
      channels.map((c) => c.country),
      channels.map((c) => c.subscriberCount),
      channels.map((c) => c.videoCount),
      channels.map((c) => c.viewCount),
      channels.map((c) => c.uploadsPlaylistId),
      now,
    ],
  );
}

/** Whether the category names of `region` were fetched since `since`. */
export async function categoriesFresh(db: Queryable, region: string, since: Date): Promise<boolean> {
  const r = await db.query('SELECT 1 FROM video_categories WHERE region = $1 AND fetched_at >= $2 LIMIT 1', [
    region,
    since,
  ]);
  return (r.rowCount ?? 0) > 0;
}

export async function upsertCategories(
  db: Queryable,
  region: string,
  categories: { id: number; title: string }[],
  now: Date,
): Promise<void> {
  if (categories.length === 0) return;
  await db.query(
    `INSERT INTO video_categories (region, category_id, title, fetched_at)
     SELECT $1, * , $4::timestamptz FROM unnest($2::int[], $3::text[])
     ON CONFLICT (region, category_id) DO UPDATE SET title = EXCLUDED.title, fetched_at = EXCLUDED.fetched_at`,
    [region, categories.map((c) => c.id), categories.map((c) => c.title), now],
  );
}
