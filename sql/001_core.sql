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
-- video, indexes included, after any number of schedule updates). It is two tables:
--
-- watchlist: one row per video, written once and updated only when its tier or its miss count
--   changes (a few times in a video's life). 16 bytes of data + 24 of tuple header; the only index is
--   the primary key, so those rare updates are HOT and never bloat it.
--   tier: 0 HOURLY, 1 DAILY, 2 WEEKLY, 3 GONE (no longer tracked; row and history kept)
--
-- watchlist_schedule: when videos are due, a row per batch of up to 50 videos due at the same minute
--   in the same tier — exactly one videos.list call. Tracking a batch deletes its row and inserts the
--   batch's next row, so the churn of schedule updates lands on a table 50 times smaller than the
--   watchlist (about 10 bytes a video) instead of rewriting and re-indexing every watchlist row.
--   Times are whole minutes since the epoch (int4). A claim pushes due_min forward by the lease, and
--   that value is the fencing token the tracker must still find to write its result.
CREATE TABLE watchlist (
  video_id       bigint NOT NULL,
  published_min  int NOT NULL,
  tier           smallint NOT NULL DEFAULT 0 CHECK (tier BETWEEN 0 AND 3),
  misses         smallint NOT NULL DEFAULT 0,
  CONSTRAINT watchlist_pkey PRIMARY KEY (video_id)
) WITH (fillfactor = 95);

CREATE TABLE watchlist_schedule (
  id               bigserial PRIMARY KEY,
  tier             smallint NOT NULL CHECK (tier BETWEEN 0 AND 2),
  due_min          int NOT NULL,
  last_tracked_min int NOT NULL DEFAULT 0,
  video_ids        bigint[] NOT NULL CHECK (cardinality(video_ids) BETWEEN 1 AND 50)
) WITH (fillfactor = 90, autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.05);
CREATE INDEX watchlist_schedule_due ON watchlist_schedule (tier, due_min);

-- The watchlist as one relation, for people and reports (not for the hot path: it scans the schedule).
CREATE VIEW watchlist_entries AS
  SELECT w.video_id, w.published_min, w.tier, w.misses, s.due_min AS next_track_min, s.last_tracked_min
  FROM watchlist w
  LEFT JOIN (SELECT unnest(video_ids) AS video_id, due_min, last_tracked_min FROM watchlist_schedule) s USING (video_id);
