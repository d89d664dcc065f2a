import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectedJobs,
  hourlyShape,
  hourlySpanMinutes,
  jobsPerHourOnGrid,
  planCapacity,
  pollsPerDay,
  tiersByAge,
  unitsPerArrival,
  unitsPerDay,
} from '../src/capacity/capacity.ts';
import { capacityReason, nextThreshold, overloadTier } from '../src/capacity/overload.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../src/clock.ts';
import type { ClaimedBatch } from '../src/dao/watchlist.ts';
import { addToWatchlist } from '../src/dao/watchlist.ts';
import { DEFAULT_POLICY, nextPollAt, Tier, type TierCode } from '../src/tiers.ts';
import { claimJobs, hourlyReserve } from '../src/tracker-jobs.ts';
import { cutJobs, jobSize, jobsForDue, packWindowMs, shouldHold } from '../src/tracker-packing.ts';
import { videoIdFromBits } from '../src/video-id.ts';
import { startTestDashboard, TEST_KEYS, type TestDashboard } from './helpers/dashboard.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';

const NOW = Date.UTC(2026, 10, 25, 12);
const base = {
  now: NOW,
  pool: { name: 'tracking', keys: 1, usableKeys: 1, unitsPerKey: 10_000, searchPerKey: 100 },
  trackingUnits: 10_000,
  usedToday: 0,
  remainingToday: 10_000,
  policy: DEFAULT_POLICY,
  idsPerUnit: 50,
};

describe('the capacity planner', () => {
  it('counts polls a day per tier and divides by ids per unit', () => {
    expect(pollsPerDay({ HOURLY: 100, DAILY: 1000, WEEKLY: 700 })).toEqual({
      HOURLY: 2400,
      DAILY: 1000,
      WEEKLY: 100,
      LIVE: 0,
      total: 3500,
    });
    const p = planCapacity({
      ...base,
      tiers: { HOURLY: 100, DAILY: 1000, WEEKLY: 700 },
      ageDays: [],
      arrivalsPerDay: 0,
    });
    expect(p.neededUnits).toBe(70);
    expect(p.availableUnits).toBe(10_000);
    expect(p.headroomUnits).toBe(9_930);
    expect(p.load).toBe(0.007);
    // Measured at 28 ids a unit, the tracker packs worse than the model: its polls at that rate.
    expect(
      planCapacity({ ...base, idsPerUnit: 28, tiers: p.tiers, ageDays: [], arrivalsPerDay: 0 }).neededUnits,
    ).toBe(125);
    // A tier videos have just entered has its first polls an interval away: the schedule's polls due
    // in the next 24 hours count, not the tier's size over its interval.
    const fresh = planCapacity({
      ...base,
      tiers: p.tiers,
      slowDue: { DAILY: 1000, WEEKLY: 0 },
      ageDays: [],
      arrivalsPerDay: 0,
    });
    expect(fresh.pollsPerDay).toEqual({ HOURLY: 2400, DAILY: 1000, WEEKLY: 0, LIVE: 0, total: 3400 });
    expect(fresh.neededUnits).toBe(68);
  });

  it('counts live streams at the LIVE cadence: 288 polls a day each, 24 of them already HOURLY', () => {
    const tiers = { HOURLY: 10_000, DAILY: 0, WEEKLY: 0 };
    expect(pollsPerDay(tiers, undefined, 3)).toEqual({
      HOURLY: 240_000,
      DAILY: 0,
      WEEKLY: 0,
      LIVE: 3 * (288 - 24),
      total: 240_000 + 792,
    });
    const plan = (live?: number) =>
      planCapacity({
        ...base,
        tiers,
        ageDays: [],
        arrivalsPerDay: 0,
        ...(live === undefined ? {} : { live }),
      });
    const quiet = plan();
    const busy = plan(100);
    expect(quiet.live).toEqual({ videos: 0, pollsPerDay: 0 });
    expect(busy.live).toEqual({ videos: 100, pollsPerDay: 26_400 });
    // 100 live streams: 26,400 more polls a day, 528 more units at 50 ids a unit, every day ahead too.
    expect(busy.pollsPerDay.total - quiet.pollsPerDay.total).toBe(100 * (288 - 24));
    expect(busy.neededUnits - quiet.neededUnits).toBe(528);
    // The projection keeps as many streams live; with no video left HOURLY in 7 days (no ages given)
    // nothing else is due with them: 2 calls every 5 minutes.
    expect(quiet.projection[7]).toBe(0);
    expect(busy.projection[7]).toBe(2 * 288);
    // On a small watchlist a stream's polls every 5 minutes take a call each: 288 units a day.
    const small = planCapacity({
      ...base,
      tiers: { HOURLY: 1, DAILY: 0, WEEKLY: 0 },
      ageDays: [],
      arrivalsPerDay: 0,
      live: 1,
    });
    expect(small.pollsPerDay.LIVE).toBe(264);
    expect(small.neededUnits).toBe(288);
  });

  it('models HOURLY jobs per span of due times, the slower tiers riding in their empty places', () => {
    // Dispatch every 10 s, a 2-minute window: an HOURLY job covers 5 minutes of due times.
    expect(hourlySpanMinutes(2, 10)).toBe(5);
    // Dispatches the window apart or more: what fell due since the last one, on their grid.
    expect(hourlySpanMinutes(2, 600)).toBe(10);
    expect(hourlySpanMinutes(2, 120)).toBe(2);
    expect(hourlyShape(2, 600)).toEqual({ spanMin: 10, grid: { everyMin: 10, aheadMin: 2 } });
    // Poisson spans: E[ceil(n/50)], smooth in the mean (45 a span takes 1.2 jobs, not 1 or 2).
    expect(expectedJobs(0)).toBe(0);
    expect(expectedJobs(1)).toBeCloseTo(1 - Math.exp(-1), 10);
    expect(expectedJobs(10)).toBeCloseTo(1, 4);
    expect(expectedJobs(45)).toBeCloseTo(1.204, 3);
    expect(expectedJobs(1000)).toBeCloseTo(20.49, 2);
    // 250 HOURLY videos: ~21 due in 5 minutes, one part-filled job each, 288 a day...
    expect(unitsPerDay({ HOURLY: 250, DAILY: 0, WEEKLY: 0 }, { spanMin: 5 })).toBeCloseTo(288, 3);
    // ...whose empty places carry 8,400 DAILY polls at no extra unit; more DAILY take jobs of their own.
    expect(unitsPerDay({ HOURLY: 250, DAILY: 8_400, WEEKLY: 0 }, { spanMin: 5 })).toBeCloseTo(288, 3);
    expect(unitsPerDay({ HOURLY: 250, DAILY: 10_400, WEEKLY: 0 }, { spanMin: 5 })).toBe(328);
    // A large HOURLY tier fills its jobs but the last of a span: 1,000 ± 32 due a span, 20.5 jobs.
    expect(unitsPerDay({ HOURLY: 12_000, DAILY: 0, WEEKLY: 0 }, { spanMin: 5 })).toBeCloseTo(5_901, 0);
    expect(unitsPerDay({ HOURLY: 270, DAILY: 0, WEEKLY: 0 }, { spanMin: 10 })).toBeCloseTo(173.3, 1);
    expect(unitsPerDay({ HOURLY: 250, DAILY: 0, WEEKLY: 0 })).toBe(120);
  });

  it('counts the jobs of the due times the schedule has, not only of their number', () => {
    const even = Array.from({ length: 60 }, () => 4); // 240 videos, 4 due every minute
    const lumped = Array.from({ length: 60 }, (_, m) => (m === 0 ? 240 : 0)); // all due at :00
    // A dispatch every 10 minutes taking 2 minutes ahead: blocks (t-8, t+2]; 40 a block, 6 jobs.
    expect(jobsPerHourOnGrid(even, 10, 2)).toBe(6);
    expect(jobsPerHourOnGrid(even, 10, 2, 1.5)).toBe(12);
    // The planner counts on the measured minutes where dispatches are on a grid...
    const grid = { spanMin: 10, grid: { everyMin: 10, aheadMin: 2 } };
    expect(unitsPerDay({ HOURLY: 240, DAILY: 0, WEEKLY: 0 }, { ...grid, dueByMinute: lumped })).toBe(5 * 24);
    expect(unitsPerDay({ HOURLY: 240, DAILY: 0, WEEKLY: 0 }, { ...grid, dueByMinute: even })).toBe(6 * 24);
    // ...and on Poisson spans where a held job gathers the small groups between bunches.
    expect(
      unitsPerDay({ HOURLY: 240, DAILY: 0, WEEKLY: 0 }, { spanMin: 5, dueByMinute: lumped }),
    ).toBeCloseTo(288, 3);
  });

  it('prices a new video a day on the full tier policy (DESIGN.md: about 2.5 units a day)', () => {
    // 48 hourly + 28 daily polls, then (365 − 30) / 7 weekly ones a day once a year old.
    expect(unitsPerArrival(DEFAULT_POLICY, 50)).toBeCloseTo((48 + 28 + 335 / 7) / 50, 10);
    const p = planCapacity({
      ...base,
      tiers: { HOURLY: 0, DAILY: 0, WEEKLY: 0 },
      ageDays: [],
      arrivalsPerDay: 0,
    });
    expect(p.affordableArrivalsPerDay).toBe(Math.floor(10_000 / ((48 + 28 + 335 / 7) / 50)));
  });

  it('projects the need with the arrival rate and says when it passes the supply', () => {
    // 4,000 new videos a day, a fresh watchlist: HOURLY fills in 2 days, DAILY grows by 4,000 a day.
    expect(tiersByAge([4000, 4000], DEFAULT_POLICY, 1, 4000)).toEqual({
      HOURLY: 8000,
      DAILY: 4000,
      WEEKLY: 0,
    });
    const p = planCapacity({
      ...base,
      trackingUnits: 4_500,
      tiers: { HOURLY: 8000, DAILY: 0, WEEKLY: 0 },
      ageDays: [4000, 4000],
      arrivalsPerDay: 4000,
    });
    // Today: 8,000 × 24 / 50 = 3,840; day d adds 4,000·d daily polls / 50 = 80·d units.
    expect(p.projection).toEqual([3840, 3920, 4000, 4080, 4160, 4240, 4320, 4400]);
    expect(p.exceedsInDays).toBeNull();
    const tight = planCapacity({
      ...base,
      trackingUnits: 4_100,
      tiers: p.tiers,
      ageDays: [4000, 4000],
      arrivalsPerDay: 4000,
    });
    expect(tight.exceedsInDays).toBe(4);
    expect(tight.affordableArrivalsPerDay).toBe(0);
    const over = planCapacity({
      ...base,
      trackingUnits: 3_000,
      tiers: p.tiers,
      ageDays: [4000, 4000],
      arrivalsPerDay: 4000,
    });
    expect(over.exceedsInDays).toBe(0);
    expect(over.headroomUnits).toBe(-840);
    expect(over.load).toBe(1.28);
    expect(
      planCapacity({ ...base, trackingUnits: 0, tiers: p.tiers, ageDays: [], arrivalsPerDay: 0 }).load,
    ).toBeNull();
  });
});

describe('the demote policy', () => {
  const decide = (normal: number, previous: number, vph: number | null, t: number, ageTier = normal) =>
    overloadTier({
      normal: normal as 0,
      ageTier: ageTier as 0,
      previous: previous as 0,
      viewsPerHour: vph,
      demoteBelowVph: t,
      now: NOW,
    });

  it('moves the slowest videos one tier slower, deterministically and with hysteresis', () => {
    expect(decide(Tier.HOURLY, Tier.HOURLY, 5, 0)).toMatchObject({ tier: Tier.HOURLY, event: null });
    const d = decide(Tier.HOURLY, Tier.HOURLY, 5, 10);
    expect(d).toMatchObject({ tier: Tier.DAILY, event: 'capacity_demoted' });
    expect(d.detail).toBe('HOURLY→DAILY: 5 views/h below 10');
    expect(d.nextAt).toBe(NOW + DAY_MS);
    // A poll late for want of quota goes back to its own grid, at least half an interval ahead; a poll
    // the packing moved (within its window) or a tier change starts from now.
    const late = (dueAt: number, lateAfterMs = 2 * MINUTE_MS, tier: TierCode = Tier.HOURLY) =>
      nextPollAt({ tier, previousTier: Tier.HOURLY, dueAt, now: NOW, lateAfterMs });
    expect(late(NOW - 20 * MINUTE_MS)).toBe(NOW + 40 * MINUTE_MS);
    expect(late(NOW - 50 * MINUTE_MS)).toBe(NOW + 70 * MINUTE_MS);
    expect(late(NOW - 3 * HOUR_MS - 10 * MINUTE_MS)).toBe(NOW + 50 * MINUTE_MS);
    expect(late(NOW - MINUTE_MS)).toBe(NOW + HOUR_MS);
    expect(late(NOW + 2 * MINUTE_MS)).toBe(NOW + HOUR_MS);
    expect(late(NOW - 20 * MINUTE_MS, 2 * MINUTE_MS, Tier.DAILY)).toBe(NOW + DAY_MS);
    expect(decide(Tier.HOURLY, Tier.HOURLY, 5, 10)).toEqual(d);
    // Already demoted: stays until twice the threshold, without a second event.
    expect(decide(Tier.HOURLY, Tier.DAILY, 15, 10)).toMatchObject({ tier: Tier.DAILY, event: null });
    expect(decide(Tier.HOURLY, Tier.DAILY, 20, 10)).toMatchObject({
      tier: Tier.HOURLY,
      event: 'capacity_restored',
    });
    // Threshold gone (keys added): back at the next poll.
    expect(decide(Tier.HOURLY, Tier.DAILY, 1, 0)).toMatchObject({
      tier: Tier.HOURLY,
      event: 'capacity_restored',
    });
    // Only HOURLY videos are demoted (they are where the units go); WEEKLY is the slowest tier; an
    // unknown rate (a first poll) is never demoted.
    expect(decide(Tier.DAILY, Tier.DAILY, 0.1, 10)).toMatchObject({ tier: Tier.DAILY, event: null });
    expect(decide(Tier.WEEKLY, Tier.WEEKLY, 0, 10)).toMatchObject({ tier: Tier.WEEKLY, event: null });
    expect(decide(Tier.HOURLY, Tier.HOURLY, null, 10)).toMatchObject({ tier: Tier.HOURLY, event: null });
    // An older video the velocity rules lift from DAILY to HOURLY was not demoted: no restore, and it is
    // not demoted either (it grows far faster than any threshold).
    expect(decide(Tier.HOURLY, Tier.DAILY, 1500, 0, Tier.DAILY)).toMatchObject({
      tier: Tier.HOURLY,
      event: null,
    });
    expect(decide(Tier.HOURLY, Tier.DAILY, 1500, 10, Tier.DAILY)).toMatchObject({
      tier: Tier.HOURLY,
      event: null,
    });
  });

  it('raises the threshold while overloaded, lowers it once the need fits, holds it in between', () => {
    expect(nextThreshold(0, 1.5)).toBe(1);
    expect(nextThreshold(1, 1.5)).toBe(1.5);
    expect(nextThreshold(1.5, 1.01)).toBe(1.5);
    expect(nextThreshold(1.5, 0.99)).toBe(1.5);
    expect(nextThreshold(2.25, 0.5)).toBe(1.5);
    expect(nextThreshold(1.2, 0.5)).toBe(0);
    // Below the supply, but the videos a lower threshold brings back would pass it: held.
    expect(nextThreshold(2.25, 0.94, 0.02, 1.44)).toBe(2.25);
    expect(capacityReason('quota', { demoteBelowVph: 0, overloaded: true })).toBe('capacity');
    expect(capacityReason('quota', { demoteBelowVph: 0, overloaded: false })).toBe('quota');
    expect(capacityReason('outage', { demoteBelowVph: 0, overloaded: true })).toBe('outage');
  });
});

let seq = 0n;
const batch = (size: number, dueMin = 1000): ClaimedBatch => ({
  batchId: String(++seq),
  tier: 0,
  dueMin,
  leaseMin: 1015,
  videos: Array.from({ length: size }, (_, i) => ({
    id: videoIdFromBits((seq << 8n) + BigInt(i)),
    publishedMin: 900,
    tier: 0,
    misses: 0,
    lastTrackedMin: 0,
  })),
});

describe('full jobs', () => {
  it('cuts small batches into jobs of exactly 50, splitting where a boundary falls', () => {
    const claimed = [12, 50, 30, 20, 7, 3, 49, 1].map((n) => batch(n));
    const { jobs, splits } = cutJobs(claimed);
    expect(jobs.map(jobSize)).toEqual([50, 50, 50, 22]);
    // 12 + 30 + 8 of the 20; 12 of the 20 + 7 + 3 + 28 of the 49; 21 of the 49 + 1.
    expect(splits.map((s) => s.keep)).toEqual([8, 28]);
    expect(jobs.flat().reduce((a, p) => a + p.to - p.from, 0)).toBe(172);
    // Pulled-ahead batches only fill, even a full one.
    const extra = cutJobs([batch(20)], [batch(50, 1002)]);
    expect(extra.jobs.map(jobSize)).toEqual([50, 20]);
  });

  it('moves a poll at most the window: 4% of HOURLY is 2 minutes, never above 5%', () => {
    expect(packWindowMs(Tier.HOURLY, 0.04)).toBe(2 * 60_000);
    expect(packWindowMs(Tier.DAILY, 0.04)).toBe(57 * 60_000);
    expect(packWindowMs(Tier.HOURLY, 0.5)).toBe(3 * 60_000);
    const job = cutJobs([batch(10, 1000)]).jobs[0]!;
    expect(shouldHold(job, 1000 * 60_000 + 60_000, 2 * 60_000)).toBe(true);
    expect(shouldHold(job, 1000 * 60_000 + 2 * 60_000, 2 * 60_000)).toBe(false);
  });
});

describe('units about to expire at the quota reset', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('are spent on DAILY polls due within their window after it, and only then', async () => {
    // 23:55 in California (UTC-8 in November): the quota resets in 5 minutes.
    const now = Date.UTC(2026, 10, 26, 7, 55);
    const old = now - 10 * DAY_MS; // DAILY by age
    const add = (from: number, n: number, dueAt: number) =>
      addToWatchlist(
        db.pool,
        Array.from({ length: n }, (_, i) => ({
          id: videoIdFromBits(BigInt(from + i)),
          publishedAt: old,
          dueAt,
        })),
        now,
      );
    await add(1, 120, now + 40 * MINUTE_MS); // within DAILY's window (72 minutes)
    await add(1_000, 50, now + 3 * HOUR_MS); // beyond it
    const claim = (spendExpiring: boolean, budget: number) =>
      claimJobs(db.pool, { budget, now, leaseMs: 15 * MINUTE_MS, windowFraction: 0.05, spendExpiring });
    // Nothing is due: without the reset in sight, no job.
    expect(await claim(false, 10)).toEqual([]);
    // With it, the 120 polls due in 40 minutes are taken, in full jobs but the last, as far as the
    // budget goes; the ones 3 hours away are not (they would move more than their window).
    const two = await claim(true, 2);
    expect(two.map((j) => j.videos.length)).toEqual([50, 50]);
    const rest = await claim(true, 10);
    expect(rest.map((j) => j.videos.length)).toEqual([20]);
    expect(
      [...two, ...rest].every((j) => j.videos.every((v) => v.dueMin === (now + 40 * MINUTE_MS) / MINUTE_MS)),
    ).toBe(true);
  });
});

describe("the HOURLY reserve in the day's last hour", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('packs due polls as the dispatcher does: 50 a job, a job within its packing span', () => {
    expect(jobsForDue([{ min: 10, n: 120 }], 3)).toBe(3);
    // 20 left open at minute 10 take 30 of minute 12 (within the span); minute 13 starts a job.
    expect(
      jobsForDue(
        [
          { min: 10, n: 120 },
          { min: 12, n: 30 },
          { min: 13, n: 1 },
        ],
        3,
      ),
    ).toBe(4);
    expect(
      jobsForDue(
        [
          { min: 10, n: 20 },
          { min: 13, n: 20 },
        ],
        3,
      ),
    ).toBe(2);
    expect(jobsForDue([], 3)).toBe(0);
  });

  it("keeps the units of the HOURLY polls the schedule has due before the reset, not the day's mean", async () => {
    // 23:00 in California: polls due before 23:30 must be served before the reset, later ones may wait.
    const now = Date.UTC(2026, 10, 26, 7, 0);
    const add = (from: number, n: number, dueAt: number) =>
      addToWatchlist(
        db.pool,
        Array.from({ length: n }, (_, i) => ({
          id: videoIdFromBits(BigInt(from + i)),
          publishedAt: now - 3 * HOUR_MS, // HOURLY by age
          dueAt,
        })),
        now,
      );
    await add(1, 120, now + 5 * MINUTE_MS);
    await add(1_000, 30, now + 20 * MINUTE_MS);
    await add(2_000, 400, now + 45 * MINUTE_MS); // after 23:30: may wait for the reset
    const shape = { spanMin: 3 };
    // The plan says 2 jobs an hour (1 in the half hour left, with its margin 2): the schedule has 4.
    expect(await hourlyReserve(db.pool, now, { hourlyJobsPerHour: 2, shape })).toBe(4);
    // New videos arriving meanwhile (4,800 a day: 100 in the half hour) take 2 jobs more at most.
    expect(await hourlyReserve(db.pool, now, { hourlyJobsPerHour: 2, arrivalsPerDay: 4_800, shape })).toBe(6);
    // A plan above the count wins.
    expect(await hourlyReserve(db.pool, now, { hourlyJobsPerHour: 20, shape })).toBe(11);
    // Earlier in the day the plan's rate holds: 3.5 hours of 2 jobs, with its 5% margin.
    expect(await hourlyReserve(db.pool, now - 3 * HOUR_MS, { hourlyJobsPerHour: 2, shape })).toBe(8);
    // Past 23:30, polls due before it and not yet taken (a part-filled job held to fill) still keep
    // their units until the reset: 10 due at 23:29 are a fifth job.
    await add(3_000, 10, now + 29 * MINUTE_MS);
    expect(await hourlyReserve(db.pool, now + 35 * MINUTE_MS, { hourlyJobsPerHour: 2, shape })).toBe(5);
  });
});

describe('GET /api/capacity and pleiades capacity', () => {
  let t: TestDashboard;
  beforeAll(async () => {
    t = await startTestDashboard({ HYDRA_UNITS_QUOTA: '100' });
    const now = Date.now();
    await addToWatchlist(
      t.db.pool,
      // Due over the next hour, 4 or 5 a minute (Poisson spans at the shipped 10 s cadence: expectedJobs).
      Array.from({ length: 250 }, (_, i) => ({
        id: videoIdFromBits(BigInt(i + 1)),
        publishedAt: now - HOUR_MS,
        dueAt: now + (i % 60) * MINUTE_MS,
      })),
      now,
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers the plan of the tracking pool', async () => {
    const r = await fetch(`${t.url}/api/capacity`);
    expect(r.status).toBe(200);
    const v = await r.json();
    expect(v.policy).toBe('demote');
    // 250 HOURLY videos: 6,000 polls a day, ~21 due in each 5 minutes an HOURLY job covers at the
    // shipped cadence and window: 288 part-filled jobs a day, from 100 units (all tracking's: the pool
    // has no other route).
    expect(v.plan).toMatchObject({
      pool: { name: 'tracking', keys: 1, usableKeys: 1 },
      tiers: { HOURLY: 250, DAILY: 0, WEEKLY: 0 },
      neededUnits: 288,
      exceedsInDays: 0,
      arrivalsPerDay: 250,
    });
    expect(v.plan.availableUnits).toBeGreaterThan(0);
    const other = await (await fetch(`${t.url}/api/capacity?pool=hunting`)).json();
    expect(other.plan.pool).toMatchObject({ name: 'hunting', keys: 2 });
    expect(other.plan.availableUnits).toBe(200);
  });

  it('refuses an unknown pool or query field, naming it', async () => {
    for (const [q, field, text] of [
      ['pool=nope', 'pool', /unknown key pool "nope"; pools: (hunting, tracking|tracking, hunting)/],
      ['pool=bad%20name', 'pool', /expected a pool name/],
      ['pool=a&pool=b', 'pool', /expected a pool name/],
      ['days=3', 'days', /./],
    ] as const) {
      const r = await fetch(`${t.url}/api/capacity?${q}`);
      expect(r.status, q).toBe(400);
      const body = await r.json();
      expect(JSON.stringify(body), q).toContain(`"field":"${field}"`);
      expect(body.details.map((d: { message: string }) => d.message).join('; '), q).toMatch(text);
    }
  });

  it('prints a table, JSON with --json, and refuses a bad pool naming it', () => {
    const env = {
      ...process.env,
      DATABASE_URL: t.db.url,
      REDIS_URL: t.redis.url,
      REDIS_PREFIX: t.redis.prefix,
      LOG_LEVEL: 'silent',
      HYDRA_UNITS_QUOTA: '100',
      YOUTUBE_API_KEY_POOL_JSON: JSON.stringify(TEST_KEYS),
    };
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ['app/cli/main.ts', 'capacity', ...args], { env, encoding: 'utf8' });
    const table = cli();
    expect(table.status, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/needed units\/day\s+288\n/);
    expect(table.stdout).toMatch(/short in\s+0 days/);
    const json = cli('--json');
    expect(json.status, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout).plan.neededUnits).toBe(288);
    const unknown = cli('--pool', 'nope');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/pool: unknown key pool "nope"/);
    const bad = cli('--pool', 'no way');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/--pool: expected a pool name/);
    for (const key of [...TEST_KEYS.hunting, ...TEST_KEYS.tracking])
      expect(table.stdout + json.stdout + unknown.stderr).not.toContain(key);
  });
});
