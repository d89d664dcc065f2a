-- The overload controller (src/capacity/check.ts) does not lower its demotion threshold before this
-- time. A lower threshold brings demoted videos back only at their next DAILY poll, over the next 24
-- hours: until then the load it adds is not yet visible, and lowering again would overshoot. And when
-- the tracking quota ran out well before its reset, the plan had said it would not: the threshold is
-- raised and held for a day.
ALTER TABLE capacity_state ADD COLUMN no_lower_before timestamptz;
