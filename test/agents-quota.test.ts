import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS, nextPacificMidnight } from '../src/clock.ts';
import { addToWatchlist } from '../src/dao/watchlist.ts';
import { dispatchTracker } from '../workers/tracker-dispatch.ts';
import { drain, failedJobs } from './helpers/queues.ts';
import { startTestSystem, type TestSystem } from './helpers/system.ts';

/** With quota for only part of the watchlist, the youngest tier goes first and no job fails. */
let s: TestSystem;
const UNITS = 8;

beforeAll(async () => {
  s = await startTestSystem({
    env: {
      YOUTUBE_API_KEY_POOL_JSON: '["only-key-aaaaaaaa"]',
      HYDRA_UNITS_QUOTA: String(UNITS),
      // The `defer` policy: HOURLY first, the slower tiers wait. Under the default `demote`, the capacity
      // check rightly finds 8 units short of this watchlist and moves slow HOURLY videos to DAILY
      // (test/capacity-week.test.ts covers that policy).
      TRACKER_OVERLOAD_POLICY: 'defer',
    },
    simulator: {
      unitsQuota: UNITS,
      world: { videosPerDay: 2000, historyDays: 40, deletedFraction: 0, privateFraction: 0 },
    },
    queues: ['tracker'],
  });
});
afterAll(async () => {
  await s?.close();
});

const stagedByTier = async () =>
  Object.fromEntries(
    (await s.db.pool.query('SELECT tier, count(*)::int AS n FROM staging GROUP BY tier')).rows.map((r) => [
      r.tier,
      r.n,
    ]),
  );

describe('quota-aware tracking', () => {
  it('tracks every HOURLY video first, the rest waits, nothing fails, and it goes on after the reset', async () => {
    // 300 HOURLY videos want 6 units an hour, far beyond the key's 8 a day: the units left after this
    // hour's polls are kept for HOURLY's next ones (src/tracker-jobs.ts hourlyReserve), not spent on DAILY.
    const world = s.ctx.simulator!.world;
    const now = s.clock.now();
    const young = world.videoIdsPublishedBetween(now - 20 * HOUR_MS, now, 300);
    const old = world.videoIdsPublishedBetween(now - 20 * DAY_MS, now - 10 * DAY_MS, 300);
    expect(young.length).toBe(300);
    expect(old.length).toBe(300);
    // Old videos enter first, so a naive first-in-first-out tracker would serve them first.
    await addToWatchlist(
      s.db.pool,
      old.map((id) => ({ id, publishedAt: world.publishedAt(world.indexOf(id)) })),
      now,
    );
    await addToWatchlist(
      s.db.pool,
      young.map((id) => ({ id, publishedAt: world.publishedAt(world.indexOf(id)) })),
      now,
    );
    const first = await dispatchTracker(s.ctx.deps);
    await drain(s.ctx.queues, ['tracker']);
    expect(first.jobs).toBe(6); // 12 batches due, 8 units: the 6 HOURLY ones
    expect(await stagedByTier()).toEqual({ 0: 300 });
    // Spent: the next dispatch sends nothing rather than failing jobs.
    expect((await dispatchTracker(s.ctx.deps)).jobs).toBe(0);
    expect(await failedJobs(s.ctx.queues, ['tracker'])).toEqual([]);
    // After Pacific midnight the quota is back: the HOURLY videos again first (6 jobs: the young 300);
    // DAILY still waits, the units left held back for HOURLY's next polls (the HOURLY reserve).
    s.clock.set(nextPacificMidnight(s.clock.now()) + 60_000);
    expect((await dispatchTracker(s.ctx.deps)).jobs).toBe(6);
    await drain(s.ctx.queues, ['tracker']);
    expect(await stagedByTier()).toEqual({ 0: 600 });
    expect(await failedJobs(s.ctx.queues, ['tracker'])).toEqual([]);
  });
});
