-- 001 kept 5% of each watchlist page free so that the rare updates of a row (its tier, its misses: a
-- few in a video's life) stay on the page and add no primary-key entry. At 3,000,000 videos that room
-- is 7 MB of the database at target scale (bench/scale.ts), for updates that come to a page a few
-- times a week. Full pages instead: a page's first update moves its row (one more primary-key entry
-- until the next vacuum), and the space it leaves takes the page's next updates, so the watchlist's
-- bytes per video after a round of updates (bench/watchlist.ts) stay within their goal.
ALTER TABLE watchlist SET (fillfactor = 100);
