import type { GapReason } from '../dao/gaps.ts';
import type { Incident } from '../dao/incidents.ts';
import { TIER_INTERVAL_MS, TIER_NAMES } from '../tiers.ts';

/**
 * A poll is late when it runs more than half its tier's interval after it was due: the gap between two
 * snapshots then exceeds 1.5 intervals (docs/dataset.md, `gaps/`).
 */
export const LATE_FRACTION = 0.5;

export const tierIntervalMs = (tier: number): number =>
  TIER_INTERVAL_MS[(TIER_NAMES[tier] ?? 'WEEKLY') as 'HOURLY' | 'DAILY' | 'WEEKLY'];

export const isLate = (dueAt: number, polledAt: number, tier: number): boolean =>
  polledAt - dueAt > LATE_FRACTION * tierIntervalMs(tier);

/**
 * Why a poll due at `dueAt` ran only at `polledAt`: the incident that overlaps the wait the most
 * (quota before outage when equal), else `late` (a backlog, stopped workers, a stopped system).
 */
export function lateReason(dueAt: number, polledAt: number, incidents: Incident[]): GapReason {
  let best: { reason: GapReason; overlap: number } | null = null;
  for (const i of incidents) {
    if (i.endedAt < dueAt || i.startedAt > polledAt) continue;
    const overlap = Math.min(i.endedAt, polledAt) - Math.max(i.startedAt, dueAt);
    if (
      !best ||
      overlap > best.overlap ||
      (overlap === best.overlap && i.reason === 'quota' && best.reason !== 'quota')
    )
      best = { reason: i.reason, overlap };
  }
  return best?.reason ?? 'late';
}
