import { DAY_MS, HOUR_MS } from '../clock.ts';

/**
 * How often to poll a channel. Each poll reads the newest page of its uploads playlist (up to 50
 * uploads, whatever is known already), so every poll also measures how often the channel publishes:
 * k uploads since the oldest of them is k / (now − oldest). A channel is polled when about
 * `targetVideos` new uploads are expected — at most every `minS` (an active channel: hourly) and at
 * least every `maxS` (a dormant one: weekly). With a live WebSub subscription, polling is only a safety
 * net and runs `websubFactor` times less often (still at least every `maxS`).
 */

/** Uploads a day from the publication times of the newest page; 0 for a channel without uploads. */
export function estimateUploadsPerDay(publishedMs: number[], now: number): number {
  if (publishedMs.length === 0) return 0;
  const oldest = Math.min(...publishedMs);
  return (publishedMs.length / Math.max(HOUR_MS, now - oldest)) * DAY_MS;
}

export interface IntervalPolicy {
  targetVideos: number;
  minS: number;
  maxS: number;
  websubFactor: number;
}

export function pollIntervalS(uploadsPerDay: number, policy: IntervalPolicy, websub = false): number {
  const lo = Math.min(policy.minS, policy.maxS);
  const hi = Math.max(policy.minS, policy.maxS);
  const s = uploadsPerDay > 0 ? (policy.targetVideos / uploadsPerDay) * 86_400 : hi;
  const every = Math.max(lo, Math.min(hi, s));
  return Math.round(websub ? Math.min(hi, every * policy.websubFactor) : every);
}
