-- A channel's title was repeated on every hot video of it: 20 bytes a row, 14 MB of the hot table at
-- target scale (700,000 videos of a few thousand channels, bench/scale.ts). It now lives once per
-- channel in `channels`, which the Painter already fills from channels.list: ingest writes the title a
-- search result or feed gives for a channel it has no row for (or a different, non-empty title), with
-- fetched_at '-infinity' (never fetched: the Painter's staleChannels still fetches it). Readers of the
-- hot table join it (src/dao/videos.ts); the vault's videos/ files keep their channel_title column.
-- Dropping the column frees no space in existing rows: it goes as they are rewritten or deleted
-- (within the 7 days of retention).
INSERT INTO channels (channel_id, title, fetched_at)
SELECT DISTINCT ON (channel_id) channel_id, channel_title, '-infinity'
FROM videos ORDER BY channel_id, discovered_at DESC
ON CONFLICT (channel_id) DO UPDATE SET title = EXCLUDED.title WHERE channels.title = '';
ALTER TABLE videos DROP COLUMN channel_title;
COMMENT ON COLUMN channels.fetched_at IS
  'when channels.list last answered for it; -infinity for a channel known only from search results or feeds';
