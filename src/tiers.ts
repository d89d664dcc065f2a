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
}

export const policyFromConfig = (c: {
  TIER_HOURLY_UNTIL_H: number;
  TIER_DAILY_UNTIL_D: number;
}): TierPolicy => ({
  hourlyUntilMs: c.TIER_HOURLY_UNTIL_H * HOUR_MS,
  dailyUntilMs: c.TIER_DAILY_UNTIL_D * DAY_MS,
});

export const DEFAULT_POLICY: TierPolicy = { hourlyUntilMs: 48 * HOUR_MS, dailyUntilMs: 30 * DAY_MS };

/** The tier a video of this age belongs to. */
export function tierForAge(ageMs: number, policy: TierPolicy = DEFAULT_POLICY): TierCode {
  if (ageMs < policy.hourlyUntilMs) return Tier.HOURLY;
  if (ageMs < policy.dailyUntilMs) return Tier.DAILY;
  return Tier.WEEKLY;
}

/**
 * Tier and next track time (epoch ms) after a snapshot taken at `now` of a video published at
 * `publishedAt`. The interval is the tier's, but never past the moment the video enters a slower tier
 * (a video 47h old is tracked again within the hour, not a day later).
 */
export function nextTrack(
  publishedAt: number,
  now: number,
  policy: TierPolicy = DEFAULT_POLICY,
): { tier: TierCode; nextAt: number } {
  const tier = tierForAge(now - publishedAt, policy);
  const interval = TIER_INTERVAL_MS[TIER_NAMES[tier] as Exclude<TierName, 'GONE'>];
  return { tier, nextAt: Math.ceil((now + interval) / MINUTE_MS) * MINUTE_MS };
}
