import { World } from '@pleiades/youtube-simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR_MS, MINUTE_MS, nextPacificMidnight } from '../src/clock.ts';
import { stagedGaps } from '../src/dao/gaps.ts';
import { incidentsBetween } from '../src/dao/incidents.ts';
import { addToWatchlist, claimDueBatches } from '../src/dao/watchlist.ts';
import { Tier, type TierCode } from '../src/tiers.ts';
import { track } from '../workers/tracker.ts';
import { dispatchTracker, packJobs } from '../workers/tracker-dispatch.ts';
import { drain, failedJobs } from './helpers/queues.ts';
import { startTestSystem, type TestSystem } from './helpers/system.ts';

/**
 * Polls that could not run on time are gaps with a reason: the tracking quota spent until the Pacific
 * reset (`quota`), YouTube failing (`outage`), or nothing running at all (`late`). The planned time of
 * a poll survives the claims that lapsed meanwhile.
 */
const START = Date.UTC(2026, 10, 25, 12); // 04:00 in California: the quota resets 20 hours later
const WORLD = { videosPerDay: 2000, historyDays: 5, deletedFraction: 0, privateFraction: 0 };
const world = new World(42, WORLD, START);
// 50 HOURLY videos: one videos.list unit per hour.
const videos = world
  .videoIdsPublishedBetween(START - 6 * HOUR_MS, START, 50)
  .map((id) => ({ id, publishedAt: world.publishedAt(world.indexOf(id)) }));
const at = (h: number) => START + h * HOUR_MS;

const gapSummary = async (s: TestSystem) =>
  (await stagedGaps(s.db.pool)).map((g) => ({
    videos: g.videoIds.length,
    reason: g.reason,
    taken: g.taken,
    dueH: (g.dueAt - START) / HOUR_MS,
    polledH: (g.polledAt - START) / HOUR_MS,
  }));

/** Every pair of consecutive snapshots more than 1.5 hours apart, with the due time of the later one. */
const longGaps = async (s: TestSystem) =>
  (
    await s.db.pool.query(
      `SELECT due_min, taken_at - prev AS gap FROM (
         SELECT due_min, taken_at, lag(taken_at) OVER (PARTITION BY video_id ORDER BY due_min) AS prev FROM staging) x
       WHERE taken_at - prev > interval '90 minutes'`,
    )
  ).rows
    .map((r) => (r.due_min * MINUTE_MS - START) / HOUR_MS)
    .sort((a, b) => a - b);

describe('a quota spent before the day ends', () => {
  let s: TestSystem;
  const UNITS = 10;
  beforeAll(async () => {
    expect(nextPacificMidnight(START)).toBe(at(20));
    s = await startTestSystem({
      start: START,
      env: {
        YOUTUBE_API_KEY_POOL_JSON: '["only-key-aaaaaaaa"]',
        HYDRA_UNITS_QUOTA: String(UNITS),
        // Today's behaviour: no demotion, the polls the pool cannot pay for wait.
        TRACKER_OVERLOAD_POLICY: 'defer',
      },
      simulator: { unitsQuota: UNITS, world: WORLD },
      queues: ['tracker'],
    });
    await addToWatchlist(s.db.pool, videos, START);
  });
  afterAll(async () => {
    await s?.close();
  });

  it('leaves the polls it could not pay for due, and labels them capacity when the reset serves them', async () => {
    for (let h = 0; h <= 21; h++) {
      s.clock.set(at(h));
      await dispatchTracker(s.ctx.deps);
      await drain(s.ctx.queues, ['tracker']);
    }
    expect(await failedJobs(s.ctx.queues, ['tracker'])).toEqual([]);
    // Ten hourly polls spent the ten units; the one due at 10 h waited for the reset at 20 h. The
    // planner found 50 hourly videos needing 24 units a day from a pool of 10: a capacity gap, not an
    // accident of quota.
    expect(await gapSummary(s)).toEqual([
      { videos: 50, reason: 'capacity', taken: true, dueH: 10, polledH: 20 },
    ]);
    expect(await longGaps(s)).toEqual(Array(50).fill(10));
    const incidents = await incidentsBetween(s.db.pool, START, at(21));
    expect(
      incidents.map((i) => [i.reason, (i.startedAt - START) / HOUR_MS, (i.endedAt - START) / HOUR_MS]),
    ).toEqual([['quota', 9, 20]]);
  });
});

describe('an outage, and a stopped system', () => {
  let s: TestSystem;
  beforeAll(async () => {
    s = await startTestSystem({ start: START, simulator: { world: WORLD }, queues: [] });
    await addToWatchlist(s.db.pool, videos, START);
  });
  afterAll(async () => {
    await s?.close();
  });

  /** One dispatcher round without BullMQ (a failed job here is simply not retried before the next). */
  async function cycle(): Promise<number> {
    const now = s.clock.now();
    const claimed = [];
    for (const tier of [Tier.HOURLY, Tier.DAILY, Tier.WEEKLY] as TierCode[])
      claimed.push(...(await claimDueBatches(s.db.pool, { tier, limit: 100, now, leaseMs: 15 * MINUTE_MS })));
    let failed = 0;
    for (const job of packJobs(claimed)) await track(s.ctx.deps, job).catch(() => failed++);
    return failed;
  }

  it('labels polls delayed by YouTube failing `outage`, and those delayed by nothing known `late`', async () => {
    for (let h = 0; h <= 14; h++) {
      s.clock.set(at(h));
      // YouTube fails from 3 h to 5 h; nothing runs from 9 h to 11 h (the system was stopped).
      s.ctx.simulator!.setFaults(h >= 3 && h <= 5 ? { errorRate: 1 } : {});
      if (h >= 9 && h <= 11) continue;
      expect(await cycle()).toBe(h >= 3 && h <= 5 ? 1 : 0);
    }
    expect(await gapSummary(s)).toEqual([
      // Planned at 3 h: the claims that lapsed at 3, 4 and 5 h did not move the plan.
      { videos: 50, reason: 'outage', taken: true, dueH: 3, polledH: 6 },
      { videos: 50, reason: 'late', taken: true, dueH: 9, polledH: 12 },
    ]);
    expect(await longGaps(s)).toEqual([...Array(50).fill(3), ...Array(50).fill(9)].sort((a, b) => a - b));
    const [outage] = await incidentsBetween(s.db.pool, START, at(14));
    expect(outage).toMatchObject({ reason: 'outage', startedAt: at(3), endedAt: at(5), failures: 3 });
  }, 60_000);
});
