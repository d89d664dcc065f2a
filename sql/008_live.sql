-- Live streams and premieres (src/tracker/signals/live.ts, docs/dataset.md `live/`): one row per poll
-- of a video that YouTube answers with liveStreamingDetails while it is upcoming or live, and the poll
-- that first sees it ended. Staged for the vault like the other event logs (sql/005_dataset.sql).
CREATE TABLE live_staging (
  seq                bigint GENERATED ALWAYS AS IDENTITY (CACHE 1),
  video_id           bigint NOT NULL,
  -- The poll: its planned minute and when it ran.
  due_min            int NOT NULL,
  polled_at          timestamptz NOT NULL,
  -- snippet.liveBroadcastContent as derived from the times: upcoming, live or ended.
  status             text NOT NULL CHECK (status IN ('upcoming', 'live', 'ended')),
  scheduled_start_at timestamptz,
  actual_start_at    timestamptz,
  actual_end_at      timestamptz,
  -- While live, when YouTube shows it (the owner may hide it).
  concurrent_viewers bigint,
  CONSTRAINT live_staging_pkey PRIMARY KEY (video_id, due_min)
);
CREATE INDEX live_staging_seq ON live_staging (seq);

-- The live log is flushed like the others (src/vault/events.ts).
ALTER TABLE dataset_flushes DROP CONSTRAINT dataset_flushes_kind_check;
ALTER TABLE dataset_flushes ADD CONSTRAINT dataset_flushes_kind_check
  CHECK (kind IN ('lifecycle', 'gaps', 'ranks', 'live'));
