import { HOUR_MS, nextPacificMidnight, toEpochMinutes } from './clock.ts';
import {
  BATCH_SIZE,
  type ClaimedBatch,
  claimDueBatches,
  claimToFill,
  releaseClaimedBatches,
  splitClaimedBatches,
} from './dao/watchlist.ts';
import type { Queryable } from './db/pool.ts';
import { LATE_FRACTION } from './observations/gaps.ts';
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
 *
 * `reserve` (units) is held back from DAILY and WEEKLY for the HOURLY polls still to come before the
 * quota resets (hourlyReserve): HOURLY first across the whole Pacific day, not only within a dispatch.
 */
export async function claimJobs(
  pool: Queryable,
  opts: { budget: number; now: number; leaseMs: number; windowFraction: number; reserve?: number },
): Promise<TrackerJob[]> {
  const { now, leaseMs } = opts;
  const out: TrackerJob[] = [];
  for (const tier of [Tier.HOURLY, Tier.DAILY, Tier.WEEKLY] as TierCode[]) {
    const left = opts.budget - out.length - (tier === Tier.HOURLY ? 0 : (opts.reserve ?? 0));
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

/**
 * Units the HOURLY tier will need before the tracking quota resets (next Pacific midnight), beyond the
 * polls due now: each HOURLY video is polled once an hour, 50 to a unit. Polls due within half an
 * hour of the reset can wait for it without being late (src/observations/gaps.ts), so they are not counted.
 * The dispatcher keeps this many units from DAILY and WEEKLY: under overload, spending them on the
 * slower tiers early in the day would leave HOURLY polls waiting for the reset later.
 */
export async function hourlyReserve(pool: Queryable, now: number): Promise<number> {
  const ms = nextPacificMidnight(now) - now - LATE_FRACTION * HOUR_MS;
  if (ms <= 0) return 0;
  const r = await pool.query<{ n: number }>(
    `SELECT coalesce(sum(cardinality(video_ids)), 0)::int AS n FROM watchlist_schedule WHERE tier = $1`,
    [Tier.HOURLY],
  );
  return Math.ceil(((r.rows[0]?.n ?? 0) * ms) / HOUR_MS / BATCH_SIZE);
}
