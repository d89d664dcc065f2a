-- Capacity (src/capacity/capacity.ts, docs/dataset.md "Overload policies").

-- Per Pacific quota day: videos asked for and videos.list calls made by the tracker jobs dispatched —
-- the measured ids per unit the capacity planner divides by.
CREATE TABLE tracker_daily (
  day    date PRIMARY KEY,
  ids    bigint NOT NULL DEFAULT 0,
  calls  bigint NOT NULL DEFAULT 0
);

-- The overload controller's state, one row: under the `demote` policy, videos growing slower than
-- demote_below_vph views an hour are polled one tier slower; overloaded says whether the last check
-- found the need above the supply; plan is that check's capacity plan (JSON, for people).
CREATE TABLE capacity_state (
  id                smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  demote_below_vph  double precision NOT NULL DEFAULT 0 CHECK (demote_below_vph >= 0),
  overloaded        boolean NOT NULL DEFAULT false,
  checked_at        timestamptz,
  plan              jsonb
);
INSERT INTO capacity_state (id) VALUES (1);

-- Lifecycle events 9 capacity_demoted and 10 capacity_restored (a video polled one tier slower for
-- want of quota, and back); gaps with reason capacity (served late while the planner found the need
-- above the supply, under the `defer` policy or before demotions caught up).
ALTER TABLE lifecycle_staging DROP CONSTRAINT lifecycle_staging_event_check,
  ADD CONSTRAINT lifecycle_staging_event_check CHECK (event BETWEEN 1 AND 10);
ALTER TABLE gap_staging DROP CONSTRAINT gap_staging_reason_check,
  ADD CONSTRAINT gap_staging_reason_check CHECK (reason IN ('quota', 'outage', 'late', 'unavailable', 'capacity'));
