import { MINUTE_MS } from './clock.ts';
import { BATCH_SIZE, type ClaimedBatch } from './dao/watchlist.ts';
import { TIER_INTERVAL_MS, TIER_NAMES } from './tiers.ts';

/**
 * Full tracker jobs at any watchlist size (docs/architecture.md, "Full batches"). A schedule batch is
 * the videos of one tier due at one minute that were tracked together; while the watchlist is young or
 * small, a minute's due videos are a few small batches, and a job per dispatch would be part empty.
 * The dispatcher therefore (1) cuts the due batches into jobs of exactly 50 videos, splitting a batch
 * where a job boundary falls; (2) fills the last part-filled job with the tier's videos due next, at
 * most `window` ahead (polled that much early), then with the slower tiers' due videos (a unit reads
 * any 50 ids: an HOURLY job's empty places carry DAILY and WEEKLY polls for free); (3) holds a job
 * still part-filled back, unclaimed, until one of its videos is its tier's `window` late, unless no
 * later dispatch could fill it. A poll thus moves at most `window` from its planned time, and the
 * planned time stays the snapshot's `due_at`.
 */

/** The most a poll may move, as a fraction of its tier's interval (the bound is 5%). */
export const PACK_WINDOW_MAX = 0.05;

/** How far (ms) a poll of `tier` may be moved to fill a job: `fraction` of the interval, whole minutes. */
export function packWindowMs(tier: number, fraction: number): number {
  const interval = TIER_INTERVAL_MS[(TIER_NAMES[tier] ?? 'WEEKLY') as 'HOURLY' | 'DAILY' | 'WEEKLY'];
  const f = Math.min(Math.max(fraction, 0), PACK_WINDOW_MAX);
  return Math.floor((interval * f) / MINUTE_MS) * MINUTE_MS;
}

/** One job's share of a batch: positions [from, to) of its videos. */
export interface Piece {
  batch: ClaimedBatch;
  from: number;
  to: number;
}

export interface Cut {
  /** Jobs as pieces; the last one may be part-filled. */
  jobs: Piece[][];
  /** Batches that straddle a job boundary: the first `keep` videos stay, the rest become a new batch. */
  splits: { batchId: string; keep: number }[];
}

/**
 * Cuts claimed batches (in due order) into jobs of 50: a full batch is a job of its own (no split, no
 * write); the others are laid end to end and cut every 50 videos. A batch smaller than 50 straddles at
 * most one boundary, so each split is one new batch. `extra` (batches pulled ahead to fill the last
 * job) are always laid end to end, even when full.
 */
export function cutJobs(
  claimed: ClaimedBatch[],
  extra: ClaimedBatch[] = [],
  size = BATCH_SIZE,
  /** A part-filled job (of a faster tier) to fill first. */
  carried: Piece[] = [],
): Cut {
  const jobs: Piece[][] = [];
  const splits: Cut['splits'] = [];
  let open: Piece[] = [...carried];
  let filled = jobSize(open);
  for (const batch of [...claimed, ...extra]) {
    const n = batch.videos.length;
    if (n >= size && !extra.includes(batch)) {
      jobs.push([{ batch, from: 0, to: n }]);
      continue;
    }
    let from = 0;
    while (from < n) {
      const take = Math.min(n - from, size - filled);
      open.push({ batch, from, to: from + take });
      filled += take;
      from += take;
      if (filled === size) {
        jobs.push(open);
        open = [];
        filled = 0;
        if (from < n) splits.push({ batchId: batch.batchId, keep: from });
      }
    }
  }
  if (open.length) jobs.push(open);
  return { jobs, splits };
}

export const jobSize = (job: Piece[]): number => job.reduce((a, p) => a + p.to - p.from, 0);

/**
 * The latest time a part-filled job may wait to: when its first video is its tier's window late
 * (`windowOf(tier)` ms). A full job has no hold time (null).
 */
export function holdUntil(
  job: Piece[],
  windowOf: (tier: number) => number,
  size = BATCH_SIZE,
): number | null {
  if (jobSize(job) >= size) return null;
  return Math.min(...job.map((p) => p.batch.dueMin * MINUTE_MS + windowOf(p.batch.tier)));
}

/** Whether a part-filled job should wait: none of its planned polls is yet `windowMs` late. */
export const shouldHold = (job: Piece[], now: number, windowMs: number, size = BATCH_SIZE): boolean => {
  const until = holdUntil(job, () => windowMs, size);
  return until !== null && now < until;
};

/**
 * The jobs polls due at these minutes (in due order) take as the dispatcher packs them: each job holds
 * up to `size` polls due within `spanMin` minutes of its first one (the packing window a part-filled
 * job is held for). It counts the HOURLY tier's own jobs only: the slower tiers ride in their places.
 */
export function jobsForDue(
  due: readonly { min: number; n: number }[],
  spanMin: number,
  size = BATCH_SIZE,
): number {
  let jobs = 0;
  let open = 0;
  let first = 0;
  for (const { min, n } of due) {
    if (open > 0 && min - first >= spanMin) open = 0;
    for (let left = n; left > 0; ) {
      if (open === 0) {
        jobs++;
        first = min;
      }
      const take = Math.min(left, size - open);
      open = (open + take) % size;
      left -= take;
    }
  }
  return jobs;
}
