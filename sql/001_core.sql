-- Core tables: the search queue, the hot video table and the watchlist.

-- Search queries the Hunter runs. `query_norm` (lower case, single spaces) makes "Lo-Fi  Beats" and
-- "lo-fi beats" one query. A query is claimed by setting `lease_until`; a worker that dies lets it lapse.
CREATE TABLE search_queue (
  id            bigserial PRIMARY KEY,
  query         text NOT NULL CHECK (length(query) BETWEEN 1 AND 200),
  query_norm    text NOT NULL UNIQUE,
  state         text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'paging', 'done', 'disabled')),
  next_page_token text,
  pages_fetched int NOT NULL DEFAULT 0,
  results_found int NOT NULL DEFAULT 0,
  priority      int NOT NULL DEFAULT 0,
  origin        text NOT NULL DEFAULT 'seed' CHECK (origin IN ('seed', 'manual', 'snowball')),
  parent_id     bigint REFERENCES search_queue (id) ON DELETE SET NULL,
  depth         int NOT NULL DEFAULT 0,
  -- When the query may run again: now for new ones, later for finished ones (re-run for new videos).
  next_run_at   timestamptz NOT NULL DEFAULT now(),
  lease_until   timestamptz,
  last_run_at   timestamptz,
  -- publishedAfter of the current pass: a re-run asks only for videos newer than the last pass.
  published_after timestamptz,
  pass_started_at timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX search_queue_due ON search_queue (priority DESC, next_run_at) WHERE state <> 'disabled';

-- The hot table: recent videos with their metadata, deleted by the janitor after the retention.
-- Ids are YouTube's 11-character ids packed into 64 bits (src/videoId.ts).
CREATE TABLE videos (
  id              bigint PRIMARY KEY,
  channel_id      text NOT NULL,
  channel_title   text NOT NULL DEFAULT '',
  title           text NOT NULL,
  description     text NOT NULL DEFAULT '',
  tags            text[] NOT NULL DEFAULT '{}',
  category_id     int,
  duration_s      int,
  published_at    timestamptz NOT NULL,
  discovered_at   timestamptz NOT NULL DEFAULT now(),
  source_query_id bigint,
  -- Painter's enrichment.
  category_name        text,
  channel_subscribers  bigint,
  channel_video_count  bigint,
  channel_country      text,
  enriched_at          timestamptz
);
CREATE INDEX videos_discovered_at ON videos (discovered_at);
CREATE INDEX videos_unenriched ON videos (discovered_at) WHERE enriched_at IS NULL;

-- The watchlist is kept forever and grows without bound, so every byte counts (goal: <= 100 bytes a
-- video with indexes). Times are whole minutes since the epoch in int4; the tier is a smallint.
-- 24 bytes of data + 24 of tuple header = 48 bytes a row, no null bitmap (every column NOT NULL).
--   tier: 0 HOURLY, 1 DAILY, 2 WEEKLY, 3 GONE (no longer tracked, history kept)
--   next_track_min: when the video is due; a claim pushes it forward by the lease, so the same value
--     is also the fencing token a tracker job must still find to write its result.
CREATE TABLE watchlist (
  video_id        bigint NOT NULL,
  published_min   int NOT NULL,
  next_track_min  int NOT NULL,
  last_tracked_min int NOT NULL DEFAULT 0,
  tier            smallint NOT NULL DEFAULT 0 CHECK (tier BETWEEN 0 AND 3),
  misses          smallint NOT NULL DEFAULT 0,
  CONSTRAINT watchlist_pkey PRIMARY KEY (video_id)
) WITH (fillfactor = 85, autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.05);

-- Due rows in tier order. GONE rows never become due, so they stay out of the index. Many rows share
-- a (tier, minute) key, which btree deduplication stores as posting lists: a few bytes a row.
CREATE INDEX watchlist_due ON watchlist (tier, next_track_min) WHERE tier < 3;
