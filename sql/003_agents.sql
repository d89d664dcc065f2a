-- Painter's caches and Scribe's features.

-- Channels seen in the hot table, refreshed by the Painter (channels.list) at most once a day.
CREATE TABLE channels (
  channel_id      text PRIMARY KEY,
  title           text NOT NULL DEFAULT '',
  country         text,
  subscriber_count bigint,
  video_count     bigint,
  view_count      bigint,
  uploads_playlist_id text,
  fetched_at      timestamptz NOT NULL
);

-- videoCategories.list per region, cached by the Painter.
CREATE TABLE video_categories (
  region      text NOT NULL,
  category_id int NOT NULL,
  title       text NOT NULL,
  fetched_at  timestamptz NOT NULL,
  PRIMARY KEY (region, category_id)
);

-- ML features per video (docs/features.md). Kept after the hot row is gone: it is small and keyed like
-- the watchlist.
CREATE TABLE features (
  video_id        bigint PRIMARY KEY,
  title_length    int NOT NULL,
  title_words     int NOT NULL,
  title_caps_ratio real NOT NULL,
  title_emoji_ratio real NOT NULL,
  title_has_question boolean NOT NULL,
  title_has_number boolean NOT NULL,
  tag_count       int NOT NULL,
  description_length int NOT NULL,
  duration_s      int,
  publish_hour_utc smallint NOT NULL,
  publish_weekday_utc smallint NOT NULL,
  category_id     int,
  -- Early velocity, from the first snapshots within 24 h of publication (null until two are seen).
  first_views     bigint,
  first_views_at  timestamptz,
  early_views     bigint,
  early_views_at  timestamptz,
  early_views_per_hour real,
  computed_at     timestamptz NOT NULL
);
