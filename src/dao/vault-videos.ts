import type { Queryable } from '../db/pool.ts';
import { bigIntToVideoId, videoIdToBigInt } from '../video-id.ts';

/** A hot video's metadata as the vault keeps it (`videos/` Parquet files). */
export interface VaultVideoRow {
  videoId: string;
  channelId: string;
  channelTitle: string;
  title: string;
  description: string;
  tags: string[];
  categoryId: number | null;
  categoryName: string | null;
  durationS: number | null;
  publishedAt: Date;
  discoveredAt: Date;
  channelSubscribers: bigint | null;
  channelVideoCount: bigint | null;
  channelCountry: string | null;
  enrichedAt: Date | null;
}

/**
 * Hot videos whose metadata is ready for the vault and not in it yet: enriched by the Painter, or
 * discovered before `discoveredBefore` (the Painter had its chance). Oldest first.
 */
export async function videosToVault(
  db: Queryable,
  opts: { discoveredBefore: Date; limit: number },
): Promise<bigint[]> {
  const r = await db.query<{ id: bigint }>(
    `SELECT id FROM videos
     WHERE vaulted_at IS NULL AND (enriched_at IS NOT NULL OR discovered_at < $1)
     ORDER BY discovered_at, id LIMIT $2`,
    [opts.discoveredBefore, opts.limit],
  );
  return r.rows.map((x) => x.id);
}

/**
 * The metadata of these hot videos (rows deleted meanwhile are simply absent), in id order; the
 * channel's id and title from `channels`, where they live once per channel (sql/013, sql/014).
 */
export async function readVideosForVault(db: Queryable, ids: bigint[]): Promise<VaultVideoRow[]> {
  if (ids.length === 0) return [];
  const r = await db.query(
    `SELECT v.id, c.channel_id, coalesce(c.title, '') AS channel_title, v.title, v.description, v.tags,
            v.category_id, v.category_name, v.duration_s, v.published_at, v.discovered_at, v.channel_subscribers,
            v.channel_video_count, v.channel_country, v.enriched_at
     FROM videos v JOIN channels c ON c.key = v.channel_key
     WHERE v.id = ANY($1::bigint[]) ORDER BY v.id`,
    [ids],
  );
  return r.rows.map((x) => ({
    videoId: bigIntToVideoId(x.id),
    channelId: x.channel_id,
    channelTitle: x.channel_title,
    title: x.title,
    description: x.description ?? '',
    tags: x.tags ?? [],
    categoryId: x.category_id,
    categoryName: x.category_name,
    durationS: x.duration_s,
    publishedAt: x.published_at,
    discoveredAt: x.discovered_at,
    channelSubscribers: x.channel_subscribers,
    channelVideoCount: x.channel_video_count,
    channelCountry: x.channel_country,
    enrichedAt: x.enriched_at,
  }));
}

/**
 * Records that these videos' metadata is in the vault: from now on the janitor may delete them. The
 * description and tags of those the Scribe has featured leave the hot table (the vault has them; the
 * others lose them when the Scribe stores their features: `storeFeatures`). The Painter's enrichment
 * (category name, the channel's figures when the video was enriched) leaves at once: nothing but the
 * flush reads it, and this statement commits with the flush's end (src/vault/flush.ts), so a flush
 * that is run again never reads the cleared row. ~30 B of a hot row's ~200 at target scale.
 */
export async function markVideosVaulted(db: Queryable, ids: (bigint | string)[], at: Date): Promise<number> {
  if (ids.length === 0) return 0;
  const r = await db.query(
    `UPDATE videos v SET vaulted_at = $2,
       description = CASE WHEN f.video_id IS NULL THEN v.description END,
       tags = CASE WHEN f.video_id IS NULL THEN v.tags END,
       category_name = NULL, channel_subscribers = NULL, channel_video_count = NULL, channel_country = NULL
     FROM unnest($1::bigint[]) AS u(id) LEFT JOIN features f ON f.video_id = u.id
     WHERE v.id = u.id AND v.vaulted_at IS NULL`,
    [ids.map((id) => (typeof id === 'string' ? videoIdToBigInt(id) : id)), at],
  );
  return r.rowCount ?? 0;
}

export async function countUnvaultedVideos(db: Queryable): Promise<number> {
  const r = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM videos WHERE vaulted_at IS NULL');
  return r.rows[0]!.n;
}
