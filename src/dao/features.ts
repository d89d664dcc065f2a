import type { Queryable } from '../db/pool.ts';
import { bigIntToVideoId, videoIdToBigInt } from '../video-id.ts';

/** The Scribe's static features of a video (docs/features.md). */
export interface VideoFeatures {
  videoId: string;
  titleLength: number;
  titleWords: number;
  titleCapsRatio: number;
  titleEmojiRatio: number;
  titleHasQuestion: boolean;
  titleHasNumber: boolean;
  tagCount: number;
  descriptionLength: number;
  durationS: number | null;
  publishHourUtc: number;
  publishWeekdayUtc: number;
  categoryId: number | null;
}

/**
 * Stores features (first computation wins). A video whose metadata is already in the vault drops its
 * description and tags from the hot table in the same statement: nothing else reads them there.
 */
export async function storeFeatures(db: Queryable, rows: VideoFeatures[], now: Date): Promise<number> {
  if (rows.length === 0) return 0;
  const col = <K extends keyof VideoFeatures>(k: K) => rows.map((r) => r[k]);
  const r = await db.query<{ n: number }>(
    `WITH ins AS (INSERT INTO features (video_id, title_length, title_words, title_caps_ratio, title_emoji_ratio, title_has_question,
       title_has_number, tag_count, description_length, duration_s, publish_hour_utc, publish_weekday_utc, category_id,
       computed_at)
     SELECT *, $14::timestamptz FROM unnest($1::bigint[], $2::int[], $3::int[], $4::real[], $5::real[], $6::bool[],
       $7::bool[], $8::int[], $9::int[], $10::int[], $11::smallint[], $12::smallint[], $13::int[])
     ON CONFLICT (video_id) DO NOTHING RETURNING video_id),
     vaulted AS (UPDATE videos v SET description = NULL, tags = NULL FROM ins
       WHERE v.id = ins.video_id AND v.vaulted_at IS NOT NULL AND v.description IS NOT NULL)
     SELECT count(*)::int AS n FROM ins`,
    [
      rows.map((r) => videoIdToBigInt(r.videoId)),
      col('titleLength'),
      col('titleWords'),
      col('titleCapsRatio'),
      col('titleEmojiRatio'),
      col('titleHasQuestion'),
      col('titleHasNumber'),
      col('tagCount'),
      col('descriptionLength'),
      col('durationS'),
      col('publishHourUtc'),
      col('publishWeekdayUtc'),
      col('categoryId'),
      now,
    ],
  );
  return r.rows[0]!.n;
}

/**
 * Early views of videos published less than a day before `now` (hot videos only, which is where young
 * videos are): their first staged snapshot and the latest one within 24 h of publication.
 */
export async function earlyViewsFromStaging(
  db: Queryable,
  now: Date,
  limit: number,
): Promise<{ videoId: string; firstViews: bigint; firstAt: Date; lastViews: bigint; lastAt: Date }[]> {
  const r = await db.query(
    `SELECT s.video_id,
            (array_agg(s.views ORDER BY s.taken_at))[1] AS first_views, min(s.taken_at) AS first_at,
            (array_agg(s.views ORDER BY s.taken_at DESC))[1] AS last_views, max(s.taken_at) AS last_at
     FROM videos v
     JOIN features f ON f.video_id = v.id
     JOIN staging s ON s.video_id = v.id
     WHERE v.published_at > $1::timestamptz - interval '25 hours'
       AND s.views IS NOT NULL AND s.taken_at <= v.published_at + interval '24 hours'
     GROUP BY s.video_id
     LIMIT $2`,
    [now, limit],
  );
  return r.rows.map((x) => ({
    videoId: bigIntToVideoId(x.video_id),
    firstViews: x.first_views,
    firstAt: x.first_at,
    lastViews: x.last_views,
    lastAt: x.last_at,
  }));
}

/**
 * Folds snapshots into early velocity: the first snapshot, and the latest one within 24 h of
 * publication. Repeatable: snapshots already folded change nothing.
 */
export async function updateEarlyVelocity(
  db: Queryable,
  rows: { videoId: string; firstViews: bigint; firstAt: Date; lastViews: bigint; lastAt: Date }[],
): Promise<number> {
  if (rows.length === 0) return 0;
  const r = await db.query(
    `UPDATE features f SET
       first_views = CASE WHEN f.first_views_at IS NULL OR u.first_at < f.first_views_at THEN u.first_views ELSE f.first_views END,
       first_views_at = CASE WHEN f.first_views_at IS NULL OR u.first_at < f.first_views_at THEN u.first_at ELSE f.first_views_at END,
       early_views = CASE WHEN f.early_views_at IS NULL OR u.last_at > f.early_views_at THEN u.last_views ELSE f.early_views END,
       early_views_at = CASE WHEN f.early_views_at IS NULL OR u.last_at > f.early_views_at THEN u.last_at ELSE f.early_views_at END
     FROM unnest($1::bigint[], $2::bigint[], $3::timestamptz[], $4::bigint[], $5::timestamptz[])
       AS u(id, first_views, first_at, last_views, last_at)
     WHERE f.video_id = u.id`,
    [
      rows.map((x) => videoIdToBigInt(x.videoId)),
      rows.map((x) => x.firstViews),
      rows.map((x) => x.firstAt),
      rows.map((x) => x.lastViews),
      rows.map((x) => x.lastAt),
    ],
  );
  await db.query(
    `UPDATE features SET early_views_per_hour = (early_views - first_views) /
       greatest(extract(epoch FROM early_views_at - first_views_at) / 3600, 1e-9)
     WHERE video_id = ANY($1::bigint[]) AND early_views_at > first_views_at`,
    [rows.map((x) => videoIdToBigInt(x.videoId))],
  );
  return r.rowCount ?? 0;
}

export async function getFeatures(db: Queryable, ids: string[]): Promise<Record<string, unknown>[]> {
  const r = await db.query('SELECT * FROM features WHERE video_id = ANY($1::bigint[])', [
    ids.map(videoIdToBigInt),
  ]);
  return r.rows.map((x) => ({ ...x, video_id: bigIntToVideoId(x.video_id) }));
}
