import { MINUTE_MS } from '../clock.ts';
import { Tier, type TierCode } from '../tiers.ts';
import type { Video } from '../youtube/schemas.ts';
import type { TrackerSignal } from './signal.ts';
import { gapsSignal } from './signals/gaps.ts';
import { lifecycleSignal } from './signals/lifecycle.ts';
import { liveSignal } from './signals/live.ts';
import { metricsSignal } from './signals/metrics.ts';
import { titlesSignal } from './signals/titles.ts';

/**
 * Every signal the tracker records, in the order they stage. Adding a signal is adding its module
 * here (with its migration when it stages into a table of its own); workers/tracker.ts does not
 * change. docs/architecture.md shows where the registry sits.
 */
export const TRACKER_SIGNALS: readonly TrackerSignal[] = [
  metricsSignal,
  lifecycleSignal,
  titlesSignal,
  gapsSignal,
  liveSignal,
];

/**
 * A video's next poll after the signals had their say: the soonest cadence a signal asks for this
 * answer (TrackerSignal.cadence), in whole minutes, when it comes before the tier's; such a poll goes
 * in the HOURLY tier, the dispatcher's first and tightest lane (2 minutes of packing window).
 */
export function withCadence<T extends { tier: TierCode; nextAt: number }>(
  next: T,
  item: Video,
  now: number,
): T {
  let soonest = Number.POSITIVE_INFINITY;
  for (const s of TRACKER_SIGNALS) soonest = Math.min(soonest, s.cadence?.(item, now) ?? soonest);
  const at = Math.ceil((now + soonest) / MINUTE_MS) * MINUTE_MS;
  return at < next.nextAt ? { ...next, tier: Tier.HOURLY, nextAt: at } : next;
}
