import { type HourlyShape, hourlyJobs } from './capacity/capacity.ts';
import { DAY_MS, HOUR_MS, nextPacificMidnight, toEpochMinutes } from './clock.ts';
import { countScheduled, unclaimedDueByMinute } from './dao/packing.ts';
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
import {
  type Cut,
  cutJobs,
  holdUntil,
  jobSize,
  jobsForDue,
  type Piece,
  packWindowMs,
} from './tracker-packing.ts';

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
 * 50 after the part-filled job the faster tier left; the last part-filled job is filled with the tier's
 * videos due within its packing window; when it is still part-filled, none of its polls is yet the
 * window late and a dispatch comes before it is, it is given back unclaimed; otherwise the next tier
 * fills it (its due videos first). So every unit carries 50 ids while any tier has videos due, and a
 * slow tier's polls ride in the places a fast one leaves, at no extra unit.
 *
 * `reserve` (units) is held back from DAILY and WEEKLY jobs of their own for the HOURLY polls still to
 * come before the quota resets (hourlyReserve): HOURLY first across the whole Pacific day, not only
 * within a dispatch. Filling an HOURLY job's empty places costs no unit, so it is not limited by it.
 */
export async function claimJobs(
  pool: Queryable,
  opts: {
    budget: number;
    now: number;
    leaseMs: number;
    windowFraction: number;
    reserve?: number;
    /** How far apart dispatches are (TRACKER_DISPATCH_EVERY_S): a job is held only for a later one. */
    dispatchEveryMs?: number;
    /**
     * The quota resets soon (expiringUnits): units of the budget the due polls leave are spent on
     * DAILY and WEEKLY polls due within their packing windows, which would be polled after the reset.
     */
    spendExpiring?: boolean;
  },
): Promise<TrackerJob[]> {
  const { now, leaseMs } = opts;
  const windowOf = (tier: number) => packWindowMs(tier, opts.windowFraction);
  const done: Piece[][] = [];
  const given: Piece[][] = [];
  const splits: Cut['splits'] = [];
  let carried: Piece[] = [];
  for (const tier of [Tier.HOURLY, Tier.DAILY, Tier.WEEKLY] as TierCode[]) {
    const cap = opts.budget - (tier === Tier.HOURLY ? 0 : (opts.reserve ?? 0));
    const left = cap - done.length - (carried.length ? 1 : 0);
    if (left <= 0 && carried.length === 0) continue;
    const claimed: ClaimedBatch[] = [];
    while (claimed.length < left) {
      const want = Math.min(CLAIM_CHUNK, left - claimed.length);
      const got = await claimDueBatches(pool, { tier, limit: want, now, leaseMs });
      claimed.push(...got);
      if (got.length < want) break;
    }
    const windowMs = windowOf(tier);
    let cut = cutJobs(claimed, [], BATCH_SIZE, carried);
    const last = cut.jobs.at(-1);
    if (last && jobSize(last) < BATCH_SIZE) {
      const extra = await claimToFill(pool, {
        tier,
        need: BATCH_SIZE - jobSize(last),
        now,
        dueBy: now + windowMs,
        leaseMs,
      });
      // Batches pulled ahead only fill: laid after the part-filled ones even when they are full.
      if (extra.length) cut = cutJobs(claimed, extra, BATCH_SIZE, carried);
    }
    splits.push(...cut.splits);
    // The job the faster tier left goes first: it was counted against the budget already.
    const jobs = [...cut.jobs];
    const c = carried[0] ? jobs.findIndex((j) => j.includes(carried[0]!)) : -1;
    if (c > 0) jobs.unshift(...jobs.splice(c, 1));
    const room = Math.max(cap - done.length, carried.length ? 1 : 0);
    while (jobs.length > room) given.push(jobs.pop()!);
    carried = [];
    const tail = jobs.at(-1);
    if (tail && jobSize(tail) < BATCH_SIZE) {
      jobs.pop();
      if (worthHolding(tail, now, windowOf, opts.dispatchEveryMs ?? 0)) given.push(tail);
      else carried = tail;
    }
    done.push(...jobs);
  }
  if (carried.length) done.push(carried);
  // Units left at the reset are lost: spent now on the slower tiers' next polls (moved at most their
  // window, like any fill), they leave tomorrow's units for what falls due tomorrow.
  for (const tier of opts.spendExpiring ? ([Tier.DAILY, Tier.WEEKLY] as TierCode[]) : []) {
    const spare = opts.budget - done.length;
    if (spare <= 0) break;
    const ahead = await claimToFill(pool, {
      tier,
      need: spare * BATCH_SIZE,
      now,
      dueBy: now + windowOf(tier),
      leaseMs,
    });
    if (ahead.length === 0) continue;
    const cut = cutJobs([], ahead, BATCH_SIZE);
    splits.push(...cut.splits);
    while (cut.jobs.length > spare) given.push(cut.jobs.pop()!);
    done.push(...cut.jobs);
  }
  const tails = await splitClaimedBatches(pool, toEpochMinutes(now + leaseMs), splits);
  const out = done.map((pieces) => toJob(pieces, tails));
  const back = given.map((pieces) => toJob(pieces, tails));
  if (back.length)
    await releaseClaimedBatches(
      pool,
      back.flatMap((j) => j.batchIds),
      toEpochMinutes(now + leaseMs),
    );
  return out;
}

/**
 * Whether a part-filled job is worth giving back for a later dispatch: none of its polls is yet its
 * tier's window late (holdUntil), and a dispatch comes before the hold runs out (`everyMs` apart), to
 * add what falls due or arrives meanwhile. When dispatches are further apart than the window, no later
 * dispatch can add to it: holding it would only make its polls late.
 */
function worthHolding(
  job: Piece[],
  now: number,
  windowOf: (tier: number) => number,
  everyMs: number,
): boolean {
  const until = holdUntil(job, windowOf);
  return until !== null && now + everyMs <= until;
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

/** How long before the quota reset the dispatcher spends what is left (claimJobs `spendExpiring`). */
export const EXPIRING_MS = 10 * 60_000;

/** Whether the units left now would expire unspent: the reset is within EXPIRING_MS. */
export const unitsExpiring = (now: number): boolean => nextPacificMidnight(now) - now <= EXPIRING_MS;

/**
 * The reserve is the planned HOURLY jobs plus this share: the plan is a day's mean, and a poll late in
 * the day's last hour for want of one unit is what the `demote` policy promises not to have (the
 * simulated week measured two such polls a week without it).
 */
const RESERVE_MARGIN = 1.05;

/**
 * Units the HOURLY tier will need before the tracking quota resets (next Pacific midnight), beyond the
 * polls due now, as the tracker packs them: the HOURLY jobs an hour the last capacity check planned
 * (src/capacity/capacity.ts, from how the tier's due times fall in the hour; no scan per dispatch),
 * or before one, a count of the tier in Poisson spans (hourlyJobs). Polls due within half an hour of
 * the reset can wait for it without being late (src/observations/gaps.ts), so they are not counted. The
 * dispatcher keeps this many units from DAILY's and WEEKLY's own jobs: under overload, spending them on
 * the slower tiers early in the day would leave HOURLY polls waiting for the reset later.
 *
 * In the day's last hour (lastHourReserve) the planned rate is not enough: what remains is a few tens
 * of jobs, and the polls of one half hour vary by more than the margin from the day's mean.
 */
export async function hourlyReserve(
  pool: Queryable,
  now: number,
  opts: { hourlyJobsPerHour: number | null; arrivalsPerDay?: number | null; shape: HourlyShape },
): Promise<number> {
  const ms = nextPacificMidnight(now) - now - LATE_FRACTION * HOUR_MS;
  const planned =
    opts.hourlyJobsPerHour === null
      ? null
      : Math.ceil((RESERVE_MARGIN * opts.hourlyJobsPerHour * Math.max(ms, 0)) / HOUR_MS);
  if (ms > HOUR_MS)
    return planned ?? Math.ceil(hourlyJobs(await countScheduled(pool, Tier.HOURLY), opts.shape, ms));
  return Math.max(planned ?? 0, await lastHourReserve(pool, now, ms, opts));
}

/**
 * The HOURLY jobs still to come when the reset is within the hour and a half, counted rather than
 * planned: every HOURLY video is polled at most once more before it (its next poll is an interval
 * after this one), so the polls are the schedule's unclaimed ones due by half an hour before the reset
 * (the later ones may wait for it), those due already included: a part-filled job given back to fill
 * is still to be paid for, until the reset itself. They are packed as the dispatcher will
 * (jobsForDue), plus the new videos the last check measured arriving, at 50 a unit (due at once, they
 * join the polls due with them). Measured in the simulated week (test/capacity-week.test.ts): with the
 * planned rate alone, one run in three left a job of HOURLY polls late in a day's last hour, the units
 * spent on DAILY ones before; counting only the polls due after now, a held job due at 23:29 lost its
 * unit to a DAILY job at 23:30 (the reserve then fell to 0) and went late.
 */
async function lastHourReserve(
  pool: Queryable,
  now: number,
  ms: number,
  opts: { arrivalsPerDay?: number | null; shape: HourlyShape },
): Promise<number> {
  const due = await unclaimedDueByMinute(pool, Tier.HOURLY, toEpochMinutes(now + ms));
  const arrivals = ((opts.arrivalsPerDay ?? 0) * Math.max(ms, 0)) / DAY_MS;
  return jobsForDue(due, opts.shape.spanMin) + Math.ceil(arrivals / BATCH_SIZE);
}
