-- Every hot row is rewritten twice within its first hours: the Painter's enrichment, then the vault's
-- mark that also drops its description and tags (007). Each update leaves the old version dead until a
-- vacuum, and at autovacuum's default (20% of the table dead) the hot table carried up to a fifth of
-- its rows twice over: 40 MB of the 207 MB it took at target scale (700,000 rows, bench/scale.ts), and
-- the heap never gives that space back. Vacuuming at 2% keeps the dead versions to a few hours'
-- updates (14,000 rows at target scale, about 3 hours of 100,000 new videos a day); each run skips the
-- all-visible pages, so it is cheap. bench/scale.ts vacuums the way autovacuum would under this setting.
ALTER TABLE videos SET (autovacuum_vacuum_scale_factor = 0.02);
