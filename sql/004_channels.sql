-- Discovery beyond search: followed channels (their uploads playlists are polled), the inbox of video ids
-- announced by WebSub, and what each discovery route found and spent per quota day.

-- A channel the Hunter finds videos from starts as a `candidate` counting its hits; the follow policy
-- (CHANNEL_AUTO_FOLLOW) makes it `active`, as does following it by hand. `gone`: YouTube no longer knows
-- the channel or its uploads playlist. A poll is claimed by setting `lease_until` (the fencing token the
-- poll must still find to write its result); `next_poll_at` follows how often the channel publishes.
CREATE TABLE followed_channels (
  channel_id          text PRIMARY KEY,
  state               text NOT NULL DEFAULT 'candidate' CHECK (state IN ('candidate', 'active', 'gone')),
  origin              text NOT NULL CHECK (origin IN ('hunter', 'manual')),
  -- New videos of the channel the Hunter found through search.
  hits                int NOT NULL DEFAULT 0,
  -- channels.list contentDetails.relatedPlaylists.uploads, cached.
  uploads_playlist_id text,
  first_seen_at       timestamptz NOT NULL,
  followed_at         timestamptz,
  poll_every_s        int NOT NULL DEFAULT 3600,
  next_poll_at        timestamptz,
  lease_until         timestamptz,
  last_polled_at      timestamptz,
  -- Publication time of the newest upload seen: a poll reads pages until it reaches it.
  newest_published_at timestamptz,
  -- Uploads a day, estimated from the newest page of the playlist at the last poll.
  uploads_per_day     real,
  polls               int NOT NULL DEFAULT 0,
  videos_found        int NOT NULL DEFAULT 0,
  units_spent         int NOT NULL DEFAULT 0,
  -- WebSub: subscription asked for (`requested`), confirmed by the hub's verification (`verified`, until
  -- `websub_expires_at`), or refused by the hub (`denied`).
  websub_state        text CHECK (websub_state IN ('requested', 'verified', 'denied')),
  websub_requested_at timestamptz,
  websub_expires_at   timestamptz
);
CREATE INDEX followed_channels_due ON followed_channels (next_poll_at) WHERE state = 'active';
CREATE INDEX followed_channels_candidates ON followed_channels (hits) WHERE state = 'candidate';
CREATE INDEX followed_channels_websub ON followed_channels (websub_expires_at) WHERE state = 'active';

-- Video ids announced by WebSub and not known yet, waiting for videos.list (50 ids a call) and ingest.
-- A batch is claimed by setting `claimed_until`; ingesting it deletes its rows.
CREATE TABLE discovery_inbox (
  video_id      bigint PRIMARY KEY,
  channel_id    text NOT NULL,
  route         text NOT NULL,
  received_at   timestamptz NOT NULL,
  claimed_until timestamptz
);
CREATE INDEX discovery_inbox_received ON discovery_inbox (received_at);

-- Per quota day (the Pacific day) and route (`search`, `channel`, `websub`): new videos, of which
-- published in the 24 h before they were found (`fresh_videos`), shared-bucket units and search.list
-- calls spent. Written in the transaction of each ingest; the budget planner and the dashboard read it.
CREATE TABLE discovery_daily (
  day          date NOT NULL,
  route        text NOT NULL,
  new_videos   int NOT NULL DEFAULT 0,
  fresh_videos int NOT NULL DEFAULT 0,
  units        int NOT NULL DEFAULT 0,
  search_calls int NOT NULL DEFAULT 0,
  PRIMARY KEY (day, route)
);
