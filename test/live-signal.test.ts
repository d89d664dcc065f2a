import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDashboard, startDashboard } from '../dashboard/server.ts';
import { createQueues } from '../queues/index.ts';
import { HOUR_MS, MINUTE_MS } from '../src/clock.ts';
import { addToWatchlist } from '../src/dao/watchlist.ts';
import { createHydra } from '../src/hydra/index.ts';
import { silentLogger } from '../src/log.ts';
import { LIVE_CADENCE_MS } from '../src/tracker/signals/live.ts';
import { claimJobs } from '../src/tracker-jobs.ts';
import { track } from '../workers/tracker.ts';
import { TEST_KEYS } from './helpers/dashboard.ts';
import { startTestSystem, type TestSystem } from './helpers/system.ts';

/**
 * The live-stream signal end to end: a premiere scheduled in the simulator goes from upcoming to live
 * to ended while the real tracker polls it over HTTP (googleapis client, Hydra) on a ManualClock,
 * minute by minute through the dispatcher's claim and packing. The vault is flushed and read back
 * with DuckDB: `live/` holds its concurrent-viewer series, one row per poll, and once it ended the
 * LIVE cadence stops.
 */
const START = Date.UTC(2026, 10, 25, 12);
const PREMIERE_AT = START + 30 * MINUTE_MS;
const LENGTH = 40 * MINUTE_MS;
const PEAK = 5000;
const RUN = 3 * HOUR_MS + 10 * MINUTE_MS;

let s: TestSystem;
let premiere: string;
let ordinary: string;
type Row = Record<string, string | number | null>;
let live: Row[];
let metrics: Row[];
/** GET /api/capacity's plan before the premiere, while it is live, and after it ended. */
const plans: Record<'before' | 'during' | 'after', { live: { videos: number }; pollsPerDay: Row }> =
  {} as never;

/** One dispatch as tracker-dispatch claims it (tiers in order, jobs packed and held), each job tracked. */
async function cycle(): Promise<void> {
  const jobs = await claimJobs(s.db.pool, {
    budget: 100,
    now: s.clock.now(),
    leaseMs: 15 * MINUTE_MS,
    windowFraction: s.config.TRACKER_PACK_WINDOW_PCT / 100,
    dispatchEveryMs: MINUTE_MS, // this test dispatches every simulated minute
  });
  for (const job of jobs) await track(s.ctx.deps, job);
}

const ms = (x: unknown) => Number(x);

beforeAll(async () => {
  s = await startTestSystem({
    start: START,
    env: { VAULT_FLUSH_INTERVAL_S: '100000000' },
    simulator: {
      world: { videosPerDay: 2000, historyDays: 2, deletedFraction: 0, privateFraction: 0 },
    },
    queues: [],
  });
  const world = s.ctx.simulator!.world;
  [premiere, ordinary] = world.videoIdsPublishedBetween(START - HOUR_MS, START, 2) as [string, string];
  world.scheduleLive(premiere, {
    kind: 'premiere',
    scheduledStart: PREMIERE_AT,
    durationMs: LENGTH,
    peakViewers: PEAK,
  });
  await addToWatchlist(
    s.db.pool,
    [premiere, ordinary].map((id) => ({ id, publishedAt: world.publishedAt(world.indexOf(id)) })),
    START,
    s.ctx.deps.policy,
  );
  // The dashboard over the same database and clock, its planner on a key pool of its own (the tracker
  // polls through the simulator): GET /api/capacity as an operator reads it.
  const queues = createQueues({ redisUrl: s.redis.url, prefix: s.redis.prefix });
  const hydra = createHydra({
    redis: s.redis.redis,
    prefix: `${s.redis.prefix}capacity:`,
    pools: TEST_KEYS,
    clock: s.clock,
    searchQuota: s.config.HYDRA_SEARCH_QUOTA,
    unitsQuota: s.config.HYDRA_UNITS_QUOTA,
  });
  const dashboard: RunningDashboard = await startDashboard(
    {
      config: s.config,
      pool: s.db.pool,
      queues,
      redis: s.redis.redis,
      log: silentLogger,
      clock: s.clock,
      statsCacheMs: 0,
      hydra,
    },
    { port: 0, host: '127.0.0.1' },
  );
  const capacity = async () => (await (await fetch(`${dashboard.url}/api/capacity`)).json()).plan;
  try {
    for (let t = 0; t <= RUN; t += MINUTE_MS) {
      if (t > 0) s.clock.advance(MINUTE_MS);
      await cycle();
      if (t === 10 * MINUTE_MS) plans.before = await capacity();
      if (START + t === PREMIERE_AT + LENGTH / 2) plans.during = await capacity();
    }
    plans.after = await capacity();
  } finally {
    await dashboard.close();
    await queues.close();
    await hydra.close();
  }
  await s.ctx.deps.vault.flush(s.db.pool, { clock: s.clock, force: true });
  const duck = await (await DuckDBInstance.create(':memory:')).connect();
  const read = async (table: string, columns: string) =>
    (
      await duck.runAndReadAll(
        `SELECT ${columns} FROM read_parquet('${s.vaultDir}/${table}/*/*.parquet', hive_partitioning=true)
         ORDER BY video_id, due_at`,
      )
    ).getRowObjectsJson() as Row[];
  // Times as epoch milliseconds.
  const at = (c: string) => `epoch_ms(${c}) AS ${c}`;
  live = await read(
    'live',
    `video_id, status, concurrent_viewers, ${['polled_at', 'due_at', 'scheduled_start_time', 'actual_start_time', 'actual_end_time'].map(at).join(', ')}`,
  );
  metrics = await read('metrics', `video_id, ${at('due_at')}, ${at('taken_at')}`);
}, 300_000);
afterAll(async () => {
  await s?.close();
});

describe('a premiere, scheduled → live → ended', () => {
  it('has its series in live/, exactly one row per poll up to the one that saw it end', () => {
    const polls = metrics.filter((m) => m.video_id === premiere);
    const rows = live.filter((r) => r.video_id === premiere);
    expect(live.every((r) => r.video_id === premiere)).toBe(true); // the ordinary upload has none
    const statuses = rows.map((r) => r.status);
    expect(statuses[0]).toBe('upcoming');
    expect(statuses.at(-1)).toBe('ended');
    expect(statuses.filter((x) => x === 'ended')).toHaveLength(1);
    expect(statuses.slice(1, -1).every((x) => x === 'live')).toBe(true);
    expect(statuses.filter((x) => x === 'live').length).toBeGreaterThanOrEqual(4);
    // One row per poll: the polls of the premiere until it ended are its rows, due time for due time.
    const endPoll = ms(rows.at(-1)!.due_at);
    expect(rows.map((r) => r.due_at)).toEqual(
      polls.filter((m) => ms(m.due_at) <= endPoll).map((m) => m.due_at),
    );
    expect(new Set(rows.map((r) => r.due_at)).size).toBe(rows.length);
    for (const r of rows) {
      expect(ms(r.scheduled_start_time)).toBe(PREMIERE_AT);
      expect(r.actual_start_time === null).toBe(r.status === 'upcoming');
      expect(r.actual_end_time === null).toBe(r.status !== 'ended');
      if (r.actual_end_time !== null) expect(ms(r.actual_end_time)).toBe(PREMIERE_AT + LENGTH);
    }
  });

  it('records the concurrent viewers while live, and none before or after', () => {
    const rows = live.filter((r) => r.video_id === premiere);
    for (const r of rows) {
      if (r.status !== 'live') expect(r.concurrent_viewers).toBeNull();
      else {
        const n = Number(r.concurrent_viewers);
        expect(n).toBeGreaterThan(0);
        expect(n).toBeLessThanOrEqual(PEAK * 1.05);
      }
    }
    // The curve rises to near the peak, then declines.
    const viewers = rows.filter((r) => r.status === 'live').map((r) => Number(r.concurrent_viewers));
    expect(Math.max(...viewers)).toBeGreaterThan(PEAK * 0.6);
  });

  it('is budgeted by GET /api/capacity at the LIVE cadence while live, and not before or after', () => {
    // Both videos are HOURLY throughout (24 polls a day each); while live the premiere polls every
    // 5 minutes: 288 a day, 264 more than HOURLY counts.
    expect(plans.before.live.videos).toBe(0);
    expect(plans.before.pollsPerDay).toMatchObject({ HOURLY: 48, LIVE: 0 });
    expect(plans.during.live).toEqual({ videos: 1, pollsPerDay: 288 - 24 });
    expect(plans.during.pollsPerDay).toMatchObject({ HOURLY: 48, LIVE: 264 });
    expect(plans.after.live.videos).toBe(0);
    expect(plans.after.pollsPerDay).toMatchObject({ LIVE: 0 });
  });

  it('is polled at its scheduled start, then at the LIVE cadence while live, and at its tier once ended', () => {
    const polled = metrics.filter((m) => m.video_id === premiere).map((m) => ms(m.taken_at));
    const rows = live.filter((r) => r.video_id === premiere);
    const endPoll = ms(rows.at(-1)!.polled_at);
    // Upcoming at 12:00, the next poll at the start (+ the packing window at most), not an hour later.
    expect(polled[1]! - PREMIERE_AT).toBeGreaterThanOrEqual(0);
    expect(polled[1]! - PREMIERE_AT).toBeLessThanOrEqual(3 * MINUTE_MS);
    const whileLive = polled.filter((t) => t >= polled[1]! && t <= endPoll);
    for (let k = 1; k < whileLive.length; k++) {
      const gap = whileLive[k]! - whileLive[k - 1]!;
      expect(gap).toBeGreaterThanOrEqual(LIVE_CADENCE_MS);
      expect(gap).toBeLessThanOrEqual(10 * MINUTE_MS);
    }
    // After the end: hourly again (its age tier), no more LIVE polls.
    const after = polled.filter((t) => t > endPoll);
    expect(after.length).toBeGreaterThan(0);
    expect(after[0]! - endPoll).toBeGreaterThanOrEqual(HOUR_MS);
    for (let k = 1; k < after.length; k++) expect(after[k]! - after[k - 1]!).toBeGreaterThanOrEqual(HOUR_MS);
    // The ordinary upload beside it was polled hourly throughout.
    const other = metrics.filter((m) => m.video_id === ordinary).map((m) => ms(m.taken_at));
    expect(other.length).toBe(4);
    // (the dispatcher packs polls up to its 2-minute window early or late: docs/architecture.md)
    for (let k = 1; k < other.length; k++) {
      expect(Math.abs(other[k]! - other[k - 1]! - HOUR_MS)).toBeLessThanOrEqual(3 * MINUTE_MS);
    }
  });
});
