import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { World } from '@pleiades/youtube-simulator/world';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Context, createContext } from '../app/context.ts';
import { seedSteadyState } from '../bench/cycle.ts';
import type { CapacityView } from '../dashboard/capacity.ts';
import { startDashboard } from '../dashboard/server.ts';
import { subscribeActivityLog } from '../src/activity.ts';
import { DAY_MS, HOUR_MS, ManualClock, MINUTE_MS } from '../src/clock.ts';
import { loadConfig } from '../src/config/index.ts';
import { addToWatchlist } from '../src/dao/watchlist.ts';
import { silentLogger } from '../src/log.ts';
import { lifecycleCode } from '../src/observations/lifecycle.ts';
import { startWorkers, type WorkerSet } from '../workers/runtime.ts';
import { dispatchTracker } from '../workers/tracker-dispatch.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { failedJobs } from './helpers/queues.ts';
import { createTestRedis, type TestRedis } from './helpers/redis.ts';
import { baseTestEnv } from './helpers/system.ts';

/**
 * Recovery after adding a key (issue #16): the world of test/capacity-week.test.ts (one 200-unit key,
 * ~304 units a day wanted) under `demote` until the slowest HOURLY videos are demoted; then the
 * operator adds a second key the way a deploy does — the processes stop and start again with a pool
 * of two keys, on the same Redis (Hydra's spending) and Postgres (watchlist, capacity state) — and the
 * run goes on. The demoted videos must come back to HOURLY with `capacity_restored` in the data, the
 * planner must show the new supply, and no poll may be taken twice across the restart.
 */
const START = Date.UTC(2026, 10, 25, 8); // midnight in California: Pacific days are whole steps
const QUOTA = 200;
const WORLD = { videosPerDay: 200, historyDays: 31, originMs: START, channels: 200 };
const STEP_MS = 10 * MINUTE_MS;
const ONE_KEY = ['the-only-key-aaaaaaaaaa'];
const TWO_KEYS = [...ONE_KEY, 'the-added-key-bbbbbbbbb'];
const DEMOTED = lifecycleCode('capacity_demoted');
const RESTORED = lifecycleCode('capacity_restored');

interface Deployment {
  ctx: Context;
  workers: WorkerSet;
  world: World;
  close(): Promise<void>;
}

/** One deployment of the agents (context, simulator over HTTP, tracker workers) with `keys`. */
async function deploy(
  keys: string[],
  db: TestDatabase,
  redis: TestRedis,
  vaultDir: string,
  clock: ManualClock,
): Promise<Deployment> {
  const config = loadConfig(
    {
      ...baseTestEnv(db, redis, vaultDir),
      WORKER_LOCK_MS: '5000',
      WORKER_STALLED_INTERVAL_MS: '1000',
      YOUTUBE_API_KEY_POOL_JSON: JSON.stringify(keys),
      HYDRA_UNITS_QUOTA: String(QUOTA),
      DISCOVERY_SHARE_SEARCH: '0',
      DISCOVERY_SHARE_CHANNELS: '0',
      DISCOVERY_SHARE_TRACKING: '1',
      TRACKER_OVERLOAD_POLICY: 'demote',
      HYDRA_KEY_RPS: '100000',
      TRACKER_DISPATCH_EVERY_S: String(STEP_MS / 1000),
    },
    { dotenvPath: false },
  );
  // The same simulator options give the same world (videos, channels) in both deployments.
  const ctx = await createContext(config, silentLogger, {
    clock,
    simulator: { unitsQuota: QUOTA, world: WORLD },
  });
  if (ctx.events) await subscribeActivityLog(ctx.events, silentLogger);
  const workers = startWorkers(ctx.deps, { queues: ['tracker'] });
  return {
    ctx,
    workers,
    world: ctx.simulator!.world as World,
    async close() {
      await workers.close();
      await ctx.close();
    },
  };
}

/** Waits for the tracker queue to empty (a condition, not a time). */
async function settle(d: Deployment): Promise<void> {
  const tracker = d.ctx.queues.get('tracker');
  for (;;) {
    const c = await tracker.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    if (Object.values(c).every((n) => n === 0)) return;
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Steps the clock from `from` to `to`: new videos join the watchlist, the dispatcher runs, jobs finish. */
async function run(d: Deployment, clock: ManualClock, from: number, to: number): Promise<void> {
  let last = from;
  for (let t = from + STEP_MS; t <= to; t += STEP_MS) {
    clock.set(t);
    const ids = d.world.videoIdsPublishedBetween(last, t, 100_000);
    last = t;
    if (ids.length)
      await addToWatchlist(
        d.ctx.pool,
        ids.map((id) => ({ id, publishedAt: d.world.publishedAt(d.world.indexOf(id)) })),
        t,
      );
    if ((await dispatchTracker(d.ctx.deps)).jobs > 0) await settle(d);
  }
  expect(await failedJobs(d.ctx.queues, ['tracker'])).toEqual([]);
}

const count = async (db: TestDatabase, sql: string, params: unknown[] = []): Promise<number> =>
  (await db.pool.query<{ n: number }>(sql, params)).rows[0]!.n;

/** Videos young enough for HOURLY (under 47 h at `now`) that are polled DAILY: only demotion does that. */
const demotedNow = (db: TestDatabase, now: number) =>
  count(db, 'SELECT count(*)::int AS n FROM watchlist WHERE tier = 1 AND published_min > $1', [
    Math.floor((now - 47 * HOUR_MS) / MINUTE_MS),
  ]);

describe('recovery after adding a key, policy demote', () => {
  let db: TestDatabase;
  let redis: TestRedis;
  let vaultDir: string;
  let d: Deployment | undefined;
  const clock = new ManualClock(START);
  const ADDED_AT = START + DAY_MS;
  const END = ADDED_AT + 36 * HOUR_MS;
  let before: { demoted: number; events: number; threshold: number; available: number; keys: number };

  beforeAll(async () => {
    db = await createTestDatabase();
    redis = await createTestRedis();
    vaultDir = mkdtempSync(join(tmpdir(), 'pleiades-vault-'));
    // A day on one key: the watchlist outgrows it and the slowest HOURLY videos are demoted.
    d = await deploy(ONE_KEY, db, redis, vaultDir, clock);
    await seedSteadyState(d.ctx.pool, d.world, START, 30);
    await run(d, clock, START, ADDED_AT);
    const state = (await db.pool.query('SELECT demote_below_vph, plan FROM capacity_state')).rows[0];
    before = {
      demoted: await demotedNow(db, ADDED_AT),
      events: await count(db, 'SELECT count(*)::int AS n FROM lifecycle_staging WHERE event = $1', [DEMOTED]),
      threshold: state.demote_below_vph,
      available: state.plan.availableUnits,
      keys: state.plan.pool.keys,
    };
    // The operator adds a key: the processes are redeployed with two, on the same Redis and Postgres.
    await d.close();
    d = await deploy(TWO_KEYS, db, redis, vaultDir, clock);
    await run(d, clock, ADDED_AT, END);
  }, 300_000);

  afterAll(async () => {
    await d?.close();
    await redis?.cleanup();
    await db?.drop();
    if (vaultDir) rmSync(vaultDir, { recursive: true, force: true });
  });

  it('demoted videos on one key, with every demotion recorded', () => {
    expect(before.keys).toBe(1);
    expect(before.available).toBe(QUOTA);
    expect(before.threshold).toBeGreaterThan(0);
    expect(before.demoted).toBeGreaterThan(0);
    expect(before.events).toBeGreaterThanOrEqual(before.demoted);
  });

  it('brings the demoted videos back to HOURLY once the key is added, recording each return', async () => {
    const state = (await db.pool.query('SELECT demote_below_vph, overloaded FROM capacity_state')).rows[0];
    expect(state.demote_below_vph).toBe(0);
    expect(state.overloaded).toBe(false);
    // No video young enough for HOURLY is left in DAILY.
    expect(await demotedNow(db, END)).toBe(0);
    // Every video demoted on one key that is still young enough came back, and the data says so: a
    // capacity_restored after its last capacity_demoted, and HOURLY in the watchlist.
    const r = await db.pool.query<{ young: number; restored: number; hourly: number }>(
      `WITH last_demoted AS (
         SELECT video_id, max(due_min) AS at FROM lifecycle_staging WHERE event = $1 GROUP BY video_id
       )
       SELECT count(*)::int AS young,
              count(*) FILTER (WHERE EXISTS (
                SELECT 1 FROM lifecycle_staging l WHERE l.video_id = d.video_id AND l.event = $2 AND l.due_min > d.at
              ))::int AS restored,
              count(*) FILTER (WHERE w.tier = 0)::int AS hourly
       FROM last_demoted d JOIN watchlist w USING (video_id)
       WHERE w.published_min > $3`,
      [DEMOTED, RESTORED, Math.floor((END - 47 * HOUR_MS) / MINUTE_MS)],
    );
    expect(r.rows[0]!.young).toBeGreaterThan(0);
    expect(r.rows[0]!.restored).toBe(r.rows[0]!.young);
    expect(r.rows[0]!.hourly).toBe(r.rows[0]!.young);
    // Returns happened only after the key was added, and none without a demotion before it.
    const stray = await count(
      db,
      `SELECT count(*)::int AS n FROM lifecycle_staging r WHERE r.event = $1 AND NOT EXISTS (
         SELECT 1 FROM lifecycle_staging x WHERE x.video_id = r.video_id AND x.event = $2 AND x.due_min < r.due_min)`,
      [RESTORED, DEMOTED],
    );
    expect(stray).toBe(0);
    expect(
      await count(db, 'SELECT count(*)::int AS n FROM lifecycle_staging WHERE event = $1', [RESTORED]),
    ).toBeGreaterThan(0);
  });

  it('shows the new supply in GET /api/capacity', async () => {
    const ctx = d!.ctx;
    const dashboard = await startDashboard(
      {
        config: ctx.deps.config,
        pool: ctx.pool,
        queues: ctx.queues,
        redis: ctx.redis,
        log: silentLogger,
        clock,
        statsCacheMs: 0,
        hydra: ctx.hydra,
      },
      { port: 0, host: '127.0.0.1' },
    );
    try {
      const res = await fetch(`${dashboard.url}/api/capacity`);
      expect(res.status).toBe(200);
      const view = (await res.json()) as CapacityView;
      expect(view.policy).toBe('demote');
      expect(view.plan!.pool).toMatchObject({ keys: 2, usableKeys: 2, unitsPerKey: QUOTA });
      expect(view.plan!.availableUnits).toBe(2 * QUOTA);
      expect(view.plan!.neededUnits).toBeLessThanOrEqual(view.plan!.availableUnits);
      expect(view.plan!.exceedsInDays).toBeNull();
      expect(view.state.demoteBelowVph).toBe(0);
      // The keys themselves never appear in the answer.
      const text = JSON.stringify(view);
      for (const k of TWO_KEYS) expect(text).not.toContain(k);
    } finally {
      await dashboard.close();
    }
  });

  it('takes no poll twice, across the redeploy and the returns', async () => {
    // (video, planned minute) is a snapshot's identity; a video's polls are taken at least an hour
    // apart, less the packing window (3 min for HOURLY), whether it was demoted, restored or neither.
    // (Planned minutes may be closer: a DAILY poll pulled ahead to fill a job that restores the video
    // plans its next HOURLY poll from when it was taken.)
    expect(
      await count(
        db,
        `SELECT count(*)::int AS n FROM (SELECT video_id, due_min FROM staging GROUP BY 1, 2 HAVING count(*) > 1) x`,
      ),
    ).toBe(0);
    const close = await db.pool.query<{ video_id: string; due_min: number; gap: number }>(
      `SELECT video_id::text, due_min, gap FROM (
         SELECT video_id, due_min,
                extract(epoch FROM taken_at - lag(taken_at) OVER (PARTITION BY video_id ORDER BY taken_at)) / 60 AS gap
         FROM staging) x
       WHERE gap < 50 LIMIT 5`,
    );
    expect(close.rows).toEqual([]);
    // The restored videos were polled HOURLY after their return.
    const after = await count(
      db,
      `SELECT count(*)::int AS n FROM staging s JOIN lifecycle_staging l
         ON l.video_id = s.video_id AND l.event = $1 AND s.due_min > l.due_min AND s.tier = 0`,
      [RESTORED],
    );
    expect(after).toBeGreaterThan(0);
  });
});
