import type { GapReason } from '../dao/gaps.ts';
import { nextPollAt, TIER_NAMES, Tier, type TierCode } from '../tiers.ts';

/**
 * Graceful overload (docs/dataset.md, "Overload policies"). Under `demote`, the capacity check
 * (src/capacity/check.ts) keeps a velocity threshold: an HOURLY video gaining fewer views an hour
 * than it is polled DAILY, until the need fits the supply. Only HOURLY videos are demoted: they are
 * where the units go (24 polls a day against one), and they are polled again within the hour, so
 * the controller sees the effect of a threshold at its next check; a DAILY video would change tier
 * only at its next daily poll, and the threshold would overshoot. DAILY and WEEKLY polls ride in the
 * places HOURLY jobs leave (src/tracker-jobs.ts), so the pool stays spent on full calls. Deterministic (the same rate and threshold give the same tier) and with hysteresis: a
 * demoted video comes back only at twice the threshold, or when the threshold falls (keys added,
 * quota freed), so a rate near the threshold does not flip its tier at every poll.
 */

export type OverloadPolicy = 'defer' | 'demote';

/** What the dispatcher hands each tracker job (queues/definitions.ts `tracker.capacity`). */
export interface CapacityHint {
  /** Views an hour below which videos are demoted (0: none). */
  demoteBelowVph: number;
  /** The last capacity check found the need above the supply. */
  overloaded: boolean;
}

export interface TierDecision {
  tier: TierCode;
  nextAt: number;
  event: 'capacity_demoted' | 'capacity_restored' | null;
  detail: string | null;
}

/**
 * The tier after a poll, given the policy's tier (`normal`), the tier its age alone gives (`ageTier`),
 * the tier the video was polled in, its rate (null: unknown, never demoted) and the threshold.
 *
 * Only videos HOURLY by age are demoted, so that a DAILY poll of one of them can only be a demotion: an
 * older video the velocity rules lift from DAILY to HOURLY was in DAILY by age, and its lift is not a
 * capacity restore (it was recorded as one before). Those videos grow at half TIER_VELOCITY_HOURLY_VPH or
 * more, far above any threshold a saturated pool reaches.
 */
export function overloadTier(o: {
  normal: TierCode;
  ageTier: TierCode;
  previous: TierCode;
  viewsPerHour: number | null;
  demoteBelowVph: number;
  now: number;
  /** The poll's planned time and how late it may be before its next goes back to its grid (nextPollAt). */
  dueAt?: number;
  lateAfterMs?: number;
}): TierDecision {
  const { normal, previous, viewsPerHour: vph, demoteBelowVph: t } = o;
  const slower = (normal + 1) as TierCode;
  const young = normal === Tier.HOURLY && o.ageTier === Tier.HOURLY;
  const wasDemoted = young && previous === slower;
  const demote = t > 0 && young && vph !== null && (wasDemoted ? vph < 2 * t : vph < t);
  const tier = demote ? slower : normal;
  const nextAt = nextPollAt({
    tier,
    previousTier: previous,
    dueAt: o.dueAt ?? o.now,
    now: o.now,
    lateAfterMs: o.lateAfterMs ?? 0,
  });
  const name = (x: TierCode) => TIER_NAMES[x];
  if (demote && !wasDemoted)
    return {
      tier,
      nextAt,
      event: 'capacity_demoted',
      detail: `${name(normal)}→${name(tier)}: ${round(vph)} views/h below ${round(t)}`,
    };
  if (!demote && wasDemoted)
    return { tier, nextAt, event: 'capacity_restored', detail: `${name(previous)}→${name(normal)}` };
  return { tier, nextAt, event: null, detail: null };
}

const round = (x: number) => Math.round(x * 100) / 100;

/** A poll served late for want of quota while the pool is overloaded is a `capacity` gap. */
export const capacityReason = (reason: GapReason, hint: CapacityHint | undefined): GapReason =>
  reason === 'quota' && hint?.overloaded ? 'capacity' : reason;

/**
 * The controller's next threshold. It keeps the pool just saturated: up (×1.5, from 1 view/h) while
 * the need exceeds the supply by more than `band`, down (÷1.5, to 0 under 1) once the need is below
 * the supply by more than `band` and would still fit with the videos a lower threshold brings back
 * (`restoredLoad`: the load with a twentieth more HOURLY videos, capacity.ts loadWithMoreHourly);
 * unchanged in between (hysteresis). Lowering on the load alone would bring back enough videos to
 * pass the supply, and the threshold would swing every hour with HOURLY polls late on the way up.
 */
export function nextThreshold(current: number, load: number, band = 0.02, restoredLoad = load): number {
  if (load > 1 + band) return current > 0 ? current * 1.5 : 1;
  if (load < 1 - band && restoredLoad <= 1 && current > 0) return current / 1.5 < 1 ? 0 : current / 1.5;
  return current;
}
