import { describe, expect, it } from 'vitest';
import type { ClaimedBatch } from '../src/dao/watchlist.ts';
import { videoIdFromBits } from '../src/video-id.ts';
import { packJobs } from '../workers/tracker-dispatch.ts';

let n = 0n;
const batch = (size: number): ClaimedBatch => ({
  batchId: String(++n),
  tier: 0,
  dueMin: 1000,
  leaseMin: 1015,
  videos: Array.from({ length: size }, () => ({
    id: videoIdFromBits((n << 16n) + BigInt(Math.floor(Math.random() * 65536))),
    publishedMin: 900,
    tier: 0,
    misses: 0,
    lastTrackedMin: 0,
  })),
});

describe('packing claimed batches into tracker jobs', () => {
  it('fills jobs up to 50 videos, never splitting a batch, big batches first', () => {
    const sizes = [12, 12, 50, 12, 12, 30, 20, 7, 3, 49, 1];
    const jobs = packJobs(sizes.map(batch));
    expect(jobs.map((j) => j.videos.length)).toEqual([50, 50, 50, 48, 10]);
    const total = sizes.reduce((a, b) => a + b, 0);
    expect(jobs.flatMap((j) => j.videos).length).toBe(total);
    expect(new Set(jobs.flatMap((j) => j.batchIds)).size).toBe(sizes.length);
    // ids per unit: the most a packing without splitting can do here is ceil(208 / 50) = 5 calls.
    expect(jobs.length).toBe(Math.ceil(total / 50));
  });
});
