-- 009's index held one (channel_id, published_at) entry per hot video: about 100 bytes a row, 70 MB of
-- the 540 MB database at target scale (bench/scale.ts). An index on channel_id alone is deduplicated
-- by the B-tree (one key per channel, a few bytes per video: 5.6 MB for 700,000 videos of 20,000
-- channels, measured against 39 MB for 009's). The channel page reads the channel's hot videos through
-- it and sorts them by published_at itself: a channel has hundreds of hot videos, not millions.
DROP INDEX videos_channel;
CREATE INDEX videos_channel ON videos (channel_id);
