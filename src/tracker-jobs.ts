import { toEpochMinutes } from './clock.ts';
import {
  BATCH_SIZE,
  type ClaimedBatch,
  claimDueBatches,
  claimToFill,
  releaseClaimedBatches,
  splitClaimedBatches,
} from './dao/watchlist.ts';
import type { Queryable } from './db/pool.ts';
import { Tier, type TierCode } from './tiers.ts';
import { cutJobs, jobSize, type Piece, packWindowMs, shouldHold } from './tracker-packing.ts';

/** A tracker job's payload (queues/definitions.ts `tracker`): ≤ 50 videos, one videos.list unit. */
export interface TrackerJob {
  leaseMin: number;
  batchIds: string[];
  videos: (ClaimedBatch['videos'][number] & { dueMin: number })[];
}

const CLAIM_CHUNK = 500; // schedule batches per statement

/**
 * Claims the due watchlist and returns it as full tracker jobs (src/tracker-packing.ts), at most
 * `budget` of them, HOURLY before DAILY before WEEKLY. Per tier: the due batches are cut into jobs of
 * 50; a last part-filled job is filled with the tier's videos due within the packing window, and when
 * it is still part-filled and its oldest poll is less than the window late, it is given back unclaimed
 * for a later dispatch.
 */
export async function claimJobs(
  pool: Queryable,
  opts: { budget: number; now: number; leaseMs: number; windowFraction: number },
): Promise<TrackerJob[]> {
  const { now, leaseMs } = opts;
  const out: TrackerJob[] = [];
  for (const tier of [Tier.HOURLY, Tier.DAILY, Tier.WEEKLY] as TierCode[]) {
    const left = opts.budget - out.length;
    if (left <= 0) break;
    const claimed: ClaimedBatch[] = [];
    while (claimed.length < left) {
      const want = Math.min(CLAIM_CHUNK, left - claimed.length);
      const got = await claimDueBatches(pool, { tier, limit: want, now, leaseMs });
      claimed.push(...got);
      if (got.length < want) break;
    }
    const windowMs = packWindowMs(tier, opts.windowFraction);
    let cut = cutJobs(claimed);
    const last = cut.jobs.at(-1);
    if (last && jobSize(last) < BATCH_SIZE && windowMs > 0) {
      const extra = await claimToFill(pool, {
        tier,
        need: BATCH_SIZE - jobSize(last),
        now,
        dueBy: now + windowMs,
        leaseMs,
      });
      // Batches pulled ahead only fill: laid after the part-filled ones even when they are full.
      if (extra.length) cut = cutJobs(claimed, extra);
    }
    const tails = await splitClaimedBatches(pool, toEpochMinutes(now + leaseMs), cut.splits);
    const jobs = cut.jobs.map((pieces) => toJob(pieces, tails));
    const tail = cut.jobs.at(-1);
    if (tail && (shouldHold(tail, now, windowMs) || cut.jobs.length > left)) {
      const held = jobs.pop()!;
      await releaseClaimedBatches(pool, held.batchIds, held.leaseMin);
    }
    out.push(...jobs);
  }
  return out;
}

/** A job from its pieces: a piece after a split point belongs to the split's new batch. */
function toJob(pieces: Piece[], tails: Map<string, string>): TrackerJob {
  const batchIds: string[] = [];
  const videos: TrackerJob['videos'] = [];
  for (const p of pieces) {
    const id = p.from === 0 ? p.batch.batchId : tails.get(p.batch.batchId);
    if (id === undefined) throw new Error(`batch ${p.batch.batchId} was not split`);
    if (!batchIds.includes(id)) batchIds.push(id);
    for (const v of p.batch.videos.slice(p.from, p.to)) videos.push({ ...v, dueMin: p.batch.dueMin });
  }
  return { leaseMin: pieces[0]!.batch.leaseMin, batchIds, videos };
}
