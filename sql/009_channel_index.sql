-- The explorer's channel page (/channels/:id, /api/channels/:id) lists a channel's hot videos newest
-- first: `WHERE channel_id = $1 ORDER BY published_at DESC LIMIT n`. Without an index that is a scan
-- of the whole hot table per page view; with this one it reads the channel's newest n rows in order.
-- The search box's exact channel match (`channel_id = $1 OR channel_title ILIKE …`) stays a scan for
-- the title words (a trigram index is not worth its write cost on the hot table).
CREATE INDEX videos_channel ON videos (channel_id, published_at DESC);
