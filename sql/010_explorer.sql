-- The explorer's channel page lists a channel's hot videos (src/dao/videos.ts channelVideos).
CREATE INDEX IF NOT EXISTS videos_channel ON videos (channel_id, published_at DESC);
