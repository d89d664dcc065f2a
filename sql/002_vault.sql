-- The vault: snapshots staged for the next Parquet flush, the log of flushes, and which hot videos
-- have had their metadata written to the vault.

-- Snapshots the tracker wrote and no flush has removed yet. (video_id, due_min) is a snapshot's identity:
-- a retried tracker job cannot add a second row. `seq` orders rows so that a flush can name the exact
-- range it takes (and its file after that range).
CREATE TABLE staging (
  seq       bigint GENERATED ALWAYS AS IDENTITY (CACHE 1),
  video_id  bigint NOT NULL,
  -- Planned snapshot time in whole minutes since the epoch (the watchlist's unit).
  due_min   int NOT NULL,
  -- When the statistics were read.
  taken_at  timestamptz NOT NULL,
  -- NULL where YouTube hides the count.
  views     bigint,
  likes     bigint,
  comments  bigint,
  -- 0 HOURLY, 1 DAILY, 2 WEEKLY (src/tiers.ts)
  tier      smallint NOT NULL CHECK (tier BETWEEN 0 AND 2),
  CONSTRAINT staging_pkey PRIMARY KEY (video_id, due_min)
) WITH (autovacuum_vacuum_scale_factor = 0.05, autovacuum_vacuum_insert_scale_factor = 0.05);
CREATE INDEX staging_seq ON staging (seq);

-- One row per flush, written BEFORE its files: a flush that crashes is redone from here with the same
-- range and therefore the same file names. `finished_at` is set in the transaction that deletes the
-- flushed staging rows (metrics) or marks the videos vaulted (videos).
CREATE TABLE vault_flushes (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind        text NOT NULL CHECK (kind IN ('metrics', 'videos')),
  -- metrics: the staging seq range taken, inclusive
  first_seq   bigint,
  last_seq    bigint,
  -- videos: the hot rows exported, and the partition date they go to
  video_ids   bigint[],
  day         date,
  started_at  timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  files       int,
  rows        bigint,
  bytes       bigint
);
CREATE INDEX vault_flushes_pending ON vault_flushes (id) WHERE finished_at IS NULL;

-- Running totals, so that metrics and the dashboard never scan the flush log.
CREATE TABLE vault_totals (
  kind          text PRIMARY KEY CHECK (kind IN ('metrics', 'videos')),
  flushes       bigint NOT NULL DEFAULT 0,
  files         bigint NOT NULL DEFAULT 0,
  rows          bigint NOT NULL DEFAULT 0,
  bytes         bigint NOT NULL DEFAULT 0,
  last_flush_at timestamptz
);
INSERT INTO vault_totals (kind) VALUES ('metrics'), ('videos');

-- Hot videos whose metadata is in the vault: the janitor deletes only these (unless forced).
ALTER TABLE videos ADD COLUMN vaulted_at timestamptz;
CREATE INDEX videos_unvaulted ON videos (discovered_at) WHERE vaulted_at IS NULL;
