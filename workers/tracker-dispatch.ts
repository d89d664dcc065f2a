import { createHash } from 'node:crypto';
import type { Payload } from '../queues/index.ts';
import { enqueueBulk } from '../queues/index.ts';
import { configuredHourlyShape } from '../src/capacity/capacity.ts';
import { checkCapacity } from '../src/capacity/check.ts';
import type { CapacityHint } from '../src/capacity/overload.ts';
import { pacificDay } from '../src/clock.ts';
import { readCapacityState, recordDispatched } from '../src/dao/capacity.ts';
import { BATCH_SIZE, type ClaimedBatch } from '../src/dao/watchlist.ts';
import { claimJobs, hourlyReserve, unitsExpiring } from '../src/tracker-jobs.ts';
import type { AgentDeps } from './deps.ts';

const CLAIM_CHUNK = 500; // jobs per addBulk

/** A tracker job's id, derived from its claim: the same claim never makes two jobs. */
export const trackerJobId = (leaseMin: number, batchIds: string[]): string =>
  `track-${leaseMin}-${createHash('sha1').update(batchIds.join(',')).digest('hex').slice(0, 16)}`;

export interface TrackerDispatchResult {
  jobs: number;
  videos: number;
  byTier: Record<number, number>;
  budget: number;
}

/**
 * Packs claimed schedule batches into jobs of at most 50 videos (one videos.list unit each): a full
 * batch is a job of its own; smaller ones (new videos, tier changes) share a job.
 */
export function packJobs(claimed: ClaimedBatch[]): Payload<'tracker'>[] {
  // First-fit decreasing: batches are not split (each is one fencing token), so the big ones go first
  // and the small ones (new videos, tier changes) fill the gaps; completion then merges a job's
  // videos into full batches for their next round.
  const jobs: Payload<'tracker'>[] = [];
  const bySize = [...claimed].sort((a, b) => b.videos.length - a.videos.length);
  for (const b of bySize) {
    let job = jobs.find((j) => j.videos.length + b.videos.length <= BATCH_SIZE);
    if (!job) {
      job = { leaseMin: b.leaseMin, batchIds: [], videos: [] };
      jobs.push(job);
    }
    job.batchIds.push(b.batchId);
    for (const v of b.videos) job.videos.push({ ...v, dueMin: b.dueMin });
  }
  return jobs;
}

/**
 * Claims due schedule batches and enqueues the tracker jobs. Quota-aware: no more jobs than the
 * tracking pool has units left today (each videos.list call is 1 unit), minus the jobs already queued,
 * claiming HOURLY before DAILY before WEEKLY — when quota is short, the most time-sensitive videos are
 * tracked and the rest stay due, rather than jobs failing. HOURLY comes first across the day too: DAILY
 * and WEEKLY get only what is left after the units HOURLY will need before the quota resets
 * (hourlyReserve). Jobs are full (src/tracker-jobs.ts).
 */
export async function dispatchTracker(
  deps: AgentDeps,
  opts: { maxJobs?: number } = {},
): Promise<TrackerDispatchResult> {
  const { pool, queues, config, clock } = deps;
  const units = (await deps.hydra.remaining('tracking')).units;
  const counts = (await queues
    .get('tracker')
    .getJobCounts('waiting', 'delayed', 'prioritized', 'active')) as Record<string, number>;
  const queued = Object.values(counts).reduce((a, b) => a + b, 0);
  const budget = Math.max(
    0,
    Math.min(opts.maxJobs ?? config.TRACKER_MAX_BATCHES_PER_DISPATCH, units - queued),
  );
  const result: TrackerDispatchResult = { jobs: 0, videos: 0, byTier: {}, budget };
  const now = clock.now();
  const { hint: capacity, hourlyJobsPerHour, arrivalsPerDay } = await capacityHint(deps, now);
  const jobs = (
    await claimJobs(pool, {
      budget,
      now,
      leaseMs: config.TRACKER_LEASE_S * 1000,
      windowFraction: config.TRACKER_PACK_WINDOW_PCT / 100,
      dispatchEveryMs: config.TRACKER_DISPATCH_EVERY_S * 1000,
      spendExpiring: unitsExpiring(now),
      // Held back from the slower tiers out of the units left, not the per-dispatch cap.
      reserve: Math.max(
        0,
        budget -
          (units - queued) +
          (await hourlyReserve(pool, now, {
            hourlyJobsPerHour,
            arrivalsPerDay,
            shape: configuredHourlyShape(config),
          })),
      ),
    })
  ).map((j) => ({ ...j, capacity }));
  for (let i = 0; i < jobs.length; i += CLAIM_CHUNK)
    await enqueueBulk(
      queues,
      'tracker',
      jobs
        .slice(i, i + CLAIM_CHUNK)
        .map((data) => ({ data, opts: { jobId: trackerJobId(data.leaseMin, data.batchIds) } })),
    );
  result.jobs = jobs.length;
  for (const j of jobs)
    for (const v of j.videos) {
      result.videos++;
      result.byTier[v.tier] = (result.byTier[v.tier] ?? 0) + 1;
    }
  await recordDispatched(pool, pacificDay(now), result.videos, result.jobs);
  return result;
}

/**
 * Runs the capacity check when it is due (src/capacity/check.ts) and returns what the jobs of this
 * dispatch carry: the demotion threshold and whether the pool is overloaded. A failed check is logged,
 * and the last stored state holds.
 */
async function capacityHint(
  deps: AgentDeps,
  now: number,
): Promise<{ hint: CapacityHint; hourlyJobsPerHour: number | null; arrivalsPerDay: number | null }> {
  await checkCapacity({ ...deps, now }).catch((err: Error) =>
    deps.log.warn({ err: err.message }, 'capacity check failed'),
  );
  const s = await readCapacityState(deps.pool);
  return {
    hint: { demoteBelowVph: s.demoteBelowVph, overloaded: s.overloaded },
    hourlyJobsPerHour: s.hourlyJobsPerHour ?? null,
    arrivalsPerDay: s.arrivalsPerDay ?? null,
  };
}
