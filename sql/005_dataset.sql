-- The research dataset (docs/dataset.md): each video's last observation (for velocity-aware tiers and
-- lifecycle flags), the incidents that explain missed polls, and three event logs staged for the vault
-- like `staging` is for metrics: lifecycle events, gaps (polls not taken on time) and search ranks.

-- Per video of the batch, in the order of video_ids, 4 bytes (src/dataset/observation.ts): flags (seen,
-- views present, likes hidden, comments off) and the view count's low 28 bits, enough for the views gained
-- since the last snapshot. NULL for batches written without observations. It lives here and not in
-- `watchlist` because every poll rewrites its batch anyway: the watchlist row stays written once.
--
-- planned_min: a claim pushes due_min to the end of its lease (the fencing token); the first claim keeps
-- the planned minute here, so that a poll whose claim lapsed (a failed job, an outage) still records when
-- it was planned. NULL while unclaimed: due_min is then the plan.
ALTER TABLE watchlist_schedule ADD COLUMN obs bytea, ADD COLUMN planned_min int;

-- Windows in which due polls could not run: the tracking pool's quota was spent (until the Pacific
-- midnight reset), or YouTube failed (5xx, timeouts, network). A poll served late is labelled with the
-- incident that overlaps its wait the most; 'late' when none does (backlog, workers stopped).
CREATE TABLE tracker_incidents (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  reason      text NOT NULL CHECK (reason IN ('quota', 'outage')),
  started_at  timestamptz NOT NULL,
  ended_at    timestamptz NOT NULL,
  failures    int NOT NULL DEFAULT 1,
  detail      text
);
-- One quota incident per reset: recording it again is a no-op.
CREATE UNIQUE INDEX tracker_incidents_quota ON tracker_incidents (ended_at) WHERE reason = 'quota';
CREATE INDEX tracker_incidents_ended ON tracker_incidents (ended_at);

-- Lifecycle events seen by the tracker, once per transition. event: 1 unavailable (deleted or made
-- private: videos.list omits both), 2 available_again, 3 gone (the tracker stopped), 4 likes_hidden,
-- 5 likes_shown, 6 comments_disabled, 7 comments_enabled, 8 title_changed.
CREATE TABLE lifecycle_staging (
  seq          bigint GENERATED ALWAYS AS IDENTITY (CACHE 1),
  video_id     bigint NOT NULL,
  event        smallint NOT NULL CHECK (event BETWEEN 1 AND 8),
  -- The poll that first saw it: its planned minute and when it ran.
  due_min      int NOT NULL,
  seen_at      timestamptz NOT NULL,
  -- The snapshot before it (the change happened after this), NULL for a video's first poll.
  previous_at  timestamptz,
  -- True when the state was already so at the first observation (not a change seen happening).
  initial      boolean NOT NULL DEFAULT false,
  -- title_changed: the new title.
  detail       text,
  CONSTRAINT lifecycle_staging_pkey PRIMARY KEY (video_id, due_min, event)
);
CREATE INDEX lifecycle_staging_seq ON lifecycle_staging (seq);

-- Planned snapshots not taken on time: served more than half a tier interval late (reason quota,
-- outage or late) or not taken because the video was missing (unavailable). One row per group of
-- videos of a poll; the flush writes one Parquet row per video.
CREATE TABLE gap_staging (
  seq        bigint GENERATED ALWAYS AS IDENTITY (CACHE 1) PRIMARY KEY,
  video_ids  bigint[] NOT NULL,
  tier       smallint NOT NULL CHECK (tier BETWEEN 0 AND 2),
  due_min    int NOT NULL,
  polled_at  timestamptz NOT NULL,
  reason     text NOT NULL CHECK (reason IN ('quota', 'outage', 'late', 'unavailable')),
  taken      boolean NOT NULL
);

-- One row per search.list page the Hunter ran: the videos in the order YouTube returned them.
CREATE TABLE rank_staging (
  seq             bigint GENERATED ALWAYS AS IDENTITY (CACHE 1) PRIMARY KEY,
  query_id        bigint NOT NULL,
  query           text NOT NULL,
  -- 0 for the first page of a pass; NULL when a replayed job cannot tell.
  page            int,
  run_at          timestamptz NOT NULL,
  search_order    text NOT NULL,
  published_after timestamptz,
  -- 1-based positions in the page (non-video results keep their place) and the videos there.
  positions       smallint[] NOT NULL,
  video_ids       bigint[] NOT NULL
);

-- The latest title of a hot video whose title changed since the Hunter ingested it (the hot row keeps the
-- title as discovered). Title checks happen only while the hot row exists; rows older than the hot
-- retention are pruned by the tracker when it adds one.
CREATE TABLE video_titles (
  video_id   bigint PRIMARY KEY,
  title      text NOT NULL,
  changed_at timestamptz NOT NULL
);

-- Flushes of the three event logs, written before their files like vault_flushes (src/vault/events.ts).
CREATE TABLE dataset_flushes (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind        text NOT NULL CHECK (kind IN ('lifecycle', 'gaps', 'ranks')),
  first_seq   bigint NOT NULL,
  last_seq    bigint NOT NULL,
  started_at  timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  files       int,
  rows        bigint,
  bytes       bigint
);
CREATE INDEX dataset_flushes_pending ON dataset_flushes (id) WHERE finished_at IS NULL;
