import { DAY_MS, HOUR_MS, MINUTE_MS } from './clock.ts';

/** Tracking tiers, stored as smallints in the watchlist. */
export const Tier = { HOURLY: 0, DAILY: 1, WEEKLY: 2, GONE: 3 } as const;
export type TierName = keyof typeof Tier;
export type TierCode = (typeof Tier)[TierName];
export const TIER_NAMES: TierName[] = ['HOURLY', 'DAILY', 'WEEKLY', 'GONE'];
export const tierName = (code: number): TierName => TIER_NAMES[code] ?? 'GONE';

export const TIER_INTERVAL_MS: Record<Exclude<TierName, 'GONE'>, number> = {
  HOURLY: HOUR_MS,
  DAILY: DAY_MS,
  WEEKLY: 7 * DAY_MS,
};

export interface TierPolicy {
  /** A video is HOURLY while younger than this. */
  hourlyUntilMs: number;
  /** …then DAILY while younger than this, then WEEKLY. */
  dailyUntilMs: number;
  /** Velocity-aware tiers (docs/dataset.md); absent or disabled: the tier follows age alone. */
  velocity?: VelocityPolicy;
}

/**
 * How views gained per hour between a video's last two snapshots move it off its age tier. Thresholds
 * are views per hour; a video already in the faster tier keeps it down to half the threshold, so that a
 * rate hovering around a threshold does not flip the tier at every poll.
 */
export interface VelocityPolicy {
  enabled: boolean;
  /** At or above: HOURLY, whatever the age (a late-viral video comes back). */
  hourlyVph: number;
  /** At or above: at least DAILY (a WEEKLY-age video growing again). */
  dailyVph: number;
  /** Below: WEEKLY early (dormant)… */
  dormantVph: number;
  /** …but only once the video is at least this old. */
  dormantAfterMs: number;
}

export const policyFromConfig = (c: {
  TIER_HOURLY_UNTIL_H: number;
  TIER_DAILY_UNTIL_D: number;
  TIER_VELOCITY_ENABLED?: boolean;
  TIER_VELOCITY_HOURLY_VPH?: number;
  TIER_VELOCITY_DAILY_VPH?: number;
  TIER_VELOCITY_DORMANT_VPH?: number;
  TIER_VELOCITY_DORMANT_AFTER_H?: number;
}): TierPolicy => ({
  hourlyUntilMs: c.TIER_HOURLY_UNTIL_H * HOUR_MS,
  dailyUntilMs: c.TIER_DAILY_UNTIL_D * DAY_MS,
  velocity: {
    enabled: c.TIER_VELOCITY_ENABLED ?? false,
    hourlyVph: c.TIER_VELOCITY_HOURLY_VPH ?? DEFAULT_VELOCITY.hourlyVph,
    dailyVph: c.TIER_VELOCITY_DAILY_VPH ?? DEFAULT_VELOCITY.dailyVph,
    dormantVph: c.TIER_VELOCITY_DORMANT_VPH ?? DEFAULT_VELOCITY.dormantVph,
    dormantAfterMs: (c.TIER_VELOCITY_DORMANT_AFTER_H ?? DEFAULT_VELOCITY.dormantAfterMs / HOUR_MS) * HOUR_MS,
  },
});

export const DEFAULT_VELOCITY: VelocityPolicy = {
  enabled: false,
  hourlyVph: 1000,
  dailyVph: 50,
  dormantVph: 1,
  dormantAfterMs: 72 * HOUR_MS,
};

export const DEFAULT_POLICY: TierPolicy = { hourlyUntilMs: 48 * HOUR_MS, dailyUntilMs: 30 * DAY_MS };

/** The tier a video of this age belongs to. */
export function tierForAge(ageMs: number, policy: TierPolicy = DEFAULT_POLICY): TierCode {
  if (ageMs < policy.hourlyUntilMs) return Tier.HOURLY;
  if (ageMs < policy.dailyUntilMs) return Tier.DAILY;
  return Tier.WEEKLY;
}

/** How fast a video grew between its last two snapshots, and the tier it was in. */
export interface Growth {
  /** Views gained per hour between the previous snapshot and this one; null when unknown. */
  viewsPerHour: number | null;
  previousTier: TierCode;
}

/**
 * The tier of a video of this age growing at this rate. Deterministic: the age tier, then, when the
 * policy's velocity rules are enabled and the rate is known, in this order: at or above `hourlyVph` →
 * HOURLY; at or above `dailyVph` → at least DAILY; below `dormantVph` and at least `dormantAfterMs`
 * old → WEEKLY. A video in the faster tier already keeps it down to half of its threshold.
 */
export function tierFor(
  ageMs: number,
  growth: Growth | undefined,
  policy: TierPolicy = DEFAULT_POLICY,
): TierCode {
  const byAge = tierForAge(ageMs, policy);
  const v = policy.velocity;
  const vph = growth?.viewsPerHour;
  if (!v?.enabled || vph === null || vph === undefined || !growth) return byAge;
  const keep = (tier: TierCode, threshold: number) =>
    growth.previousTier <= tier ? threshold / 2 : threshold;
  if (vph >= keep(Tier.HOURLY, v.hourlyVph)) return Tier.HOURLY;
  if (byAge === Tier.WEEKLY && vph >= keep(Tier.DAILY, v.dailyVph)) return Tier.DAILY;
  if (vph < v.dormantVph && ageMs >= v.dormantAfterMs) return Tier.WEEKLY;
  return byAge;
}

/**
 * When a video polled at `now` in `tier` is due next. Normally one interval from now, in whole minutes:
 * the videos of one job then share their next minute, and so one schedule batch. A poll later than
 * `lateAfterMs` past its planned time (`dueAt`) in an unchanged tier was held up by something other
 * than packing (the quota spent until the reset, an outage, a backlog); its next poll goes back to its
 * own grid instead, the planned time plus whole intervals, at least half an interval from now. Without
 * that, the polls a quota reset or an outage serves together would stay together: a lump due in the
 * same minute every interval after, more than one job can carry, and the next late-day shortfall
 * would grow it (the simulated week in test/capacity-week.test.ts measured 31 ids a unit from it).
 */
export function nextPollAt(o: {
  tier: TierCode;
  previousTier: TierCode;
  dueAt: number;
  now: number;
  lateAfterMs: number;
}): number {
  if (o.tier !== o.previousTier || o.now - o.dueAt <= o.lateAfterMs) return intervalAfter(o.tier, o.now);
  const interval = TIER_INTERVAL_MS[TIER_NAMES[o.tier] as Exclude<TierName, 'GONE'>];
  const steps = Math.max(1, Math.ceil((o.now + interval / 2 - o.dueAt) / interval));
  return Math.ceil((o.dueAt + steps * interval) / MINUTE_MS) * MINUTE_MS;
}

/**
 * Tier and next track time (epoch ms) after a snapshot taken at `now` of a video published at
 * `publishedAt`: the tier's interval from now, in whole minutes. The tier follows age (a video 47h old
 * is tracked again within the hour, then daily) and, with `growth` and velocity rules in the policy,
 * how fast it grows (`tierFor`).
 */
export function nextTrack(
  publishedAt: number,
  now: number,
  policy: TierPolicy = DEFAULT_POLICY,
  growth?: Growth,
): { tier: TierCode; nextAt: number } {
  const tier = tierFor(now - publishedAt, growth, policy);
  return { tier, nextAt: intervalAfter(tier, now) };
}

/** One interval of `tier` after `at`, in whole minutes. */
function intervalAfter(tier: TierCode, at: number): number {
  const interval = TIER_INTERVAL_MS[TIER_NAMES[tier] as Exclude<TierName, 'GONE'>];
  return Math.ceil((at + interval) / MINUTE_MS) * MINUTE_MS;
}
