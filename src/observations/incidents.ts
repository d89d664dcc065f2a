import { nextPacificMidnight } from '../clock.ts';
import { recordQuotaIncident } from '../dao/incidents.ts';
import type { Queryable } from '../db/pool.ts';
import type { Logger } from '../log.ts';

/**
 * When the tracking pool cannot pay for another videos.list call, due polls wait for the Pacific
 * midnight reset (the dispatcher sends nothing it cannot pay for): record that window once, so that
 * the polls it delays are labelled `quota` (docs/dataset.md, `gaps/`). Called after each call that
 * spends the pool's units; never throws.
 */
export async function noteSpentTrackingQuota(
  deps: {
    hydra: {
      remaining(pool?: string): Promise<{ units: number }>;
      unitsSeen?(pool?: string): number | undefined;
    };
    pool: Queryable;
    log: Logger;
  },
  now: number,
): Promise<void> {
  try {
    // What the job's own charge saw (no round trip); a Redis read only when this process made none.
    const units = deps.hydra.unitsSeen?.('tracking') ?? (await deps.hydra.remaining('tracking')).units;
    if (units >= 1) return;
    await recordQuotaIncident(deps.pool, {
      at: now,
      resetAt: nextPacificMidnight(now),
      detail: 'tracking pool spent',
    });
  } catch (err) {
    deps.log.warn({ err: (err as Error).message }, 'could not check the tracking quota');
  }
}
