-- The hot table at target scale (700,000 rows) was 415 bytes a row, half of it description and tags.
-- Both are in the vault's videos/ files once a video's metadata is flushed, and the Scribe needs them
-- only until it has computed the video's features: from then on they are NULL in the hot table
-- (docs/dataset.md, "Where each field lives"). NULL, not '', so that "moved to the vault" is told
-- apart from "YouTube had none".
ALTER TABLE videos ALTER COLUMN description DROP NOT NULL;
ALTER TABLE videos ALTER COLUMN tags DROP NOT NULL;
COMMENT ON COLUMN videos.description IS 'NULL once vaulted and featured (the vault''s videos/ holds it)';
COMMENT ON COLUMN videos.tags IS 'NULL once vaulted and featured (the vault''s videos/ holds them)';
