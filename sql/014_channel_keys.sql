-- After 013 every hot video's channel has a row in `channels`, so the hot row need not spell the
-- channel's id (24 characters, 25 bytes a row, and as much in the videos_channel index): it keeps a
-- 4-byte key of that row. 700,000 hot videos of a few thousand channels at target scale
-- (bench/scale.ts). Readers join `channels` for the id, as they do for the title (src/dao/videos.ts).
-- Rows of `channels` are never deleted, so a key never dangles. As in 013, the dropped column's bytes
-- leave existing rows as they are rewritten or deleted (within the 7 days of retention).
ALTER TABLE channels ADD COLUMN key int GENERATED ALWAYS AS IDENTITY;
ALTER TABLE channels ADD CONSTRAINT channels_key UNIQUE (key);
ALTER TABLE videos ADD COLUMN channel_key int;
UPDATE videos v SET channel_key = c.key FROM channels c WHERE c.channel_id = v.channel_id;
ALTER TABLE videos ALTER COLUMN channel_key SET NOT NULL;
DROP INDEX videos_channel;
ALTER TABLE videos DROP COLUMN channel_id;
CREATE INDEX videos_channel ON videos (channel_key);
