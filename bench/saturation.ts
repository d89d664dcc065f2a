import { createContext } from '../app/context.ts';
import { DAY_MS, ManualClock, pacificDay } from '../src/clock.ts';
import { loadConfig } from '../src/config/index.ts';
import { addToWatchlist } from '../src/dao/watchlist.ts';
import { silentLogger } from '../src/log.ts';
import { startWorkers } from '../workers/runtime.ts';
import { dispatchTracker } from '../workers/tracker-dispatch.ts';
import { seedSteadyState } from './cycle.ts';
import { benchDatabase } from './db.ts';
import type { Figure } from './figures.ts';
import { benchRedis, sleep } from './procs.ts';

/**
 * One key at saturation: a watchlist that wants about 150% of the key's units (30 days of arrivals in
 * their steady-state schedule, more arriving), the shipped `demote` policy and dispatch cadence, time
 * simulated (ManualClock) for `days` Pacific days. Figures from the last day: snapshots taken per key
 * (per 10,000 units: the shipped quota; a smaller `unitsQuota` scales the world down and the figure
 * up), and the capacity planner's error — its daily need against the units the simulator charged.
 */
export async function benchSaturation(opts: {
  unitsQuota: number;
  days: number;
  stepS?: number;
}): Promise<Figure[]> {
  const STEP_MS = (opts.stepS ?? 60) * 1000;
  // 1.52 units a day per new video a day on the first 30 days (76 polls at 50 ids): 150% of the key.
  const videosPerDay = Math.round((1.5 * opts.unitsQuota) / 1.52);
  const start = Date.UTC(2026, 10, 25, 8); // Pacific midnight
  const db = await benchDatabase('pleiades_bench_saturation', { max: 12 });
  const redis = await benchRedis();
  const clock = new ManualClock(start);
  const keys = ['AIzaSaturationKey-aaaaaaaaaaaaaaaaaaaaaa'];
  const config = loadConfig(
    {
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      REDIS_PREFIX: redis.prefix,
      YOUTUBE_API_KEY_POOL_JSON: JSON.stringify(keys),
      HYDRA_UNITS_QUOTA: String(opts.unitsQuota),
      HYDRA_KEY_RPS: '100000',
      // The planner models the cadence (src/capacity/capacity.ts hourlySpanMinutes): the bench's.
      TRACKER_DISPATCH_EVERY_S: String(STEP_MS / 1000),
      DISCOVERY_SHARE_SEARCH: '0',
      DISCOVERY_SHARE_CHANNELS: '0',
      DISCOVERY_SHARE_TRACKING: '1',
      LOG_LEVEL: 'silent',
    },
    { dotenvPath: false },
  );
  const ctx = await createContext(config, silentLogger, {
    clock,
    events: false,
    simulator: {
      keys,
      unitsQuota: opts.unitsQuota,
      world: { videosPerDay, historyDays: 31, originMs: start },
    },
  });
  const workers = startWorkers(ctx.deps, { queues: ['tracker'], concurrency: 16 });
  const sim = ctx.simulator!;
  const tracker = ctx.queues.get('tracker');
  try {
    await seedSteadyState(ctx.pool, sim.world, start, 30);
    let from = start;
    let lastDayFrom = 0;
    const end = start + opts.days * DAY_MS;
    for (let t = start + STEP_MS; t <= end; t += STEP_MS) {
      clock.set(t);
      const ids = sim.world.videoIdsPublishedBetween(from, t, 1_000_000);
      from = t;
      if (ids.length)
        await addToWatchlist(
          ctx.pool,
          ids.map((id) => ({ id, publishedAt: sim.world.publishedAt(sim.world.indexOf(id)) })),
          t,
        );
      if (t === end - DAY_MS + STEP_MS) lastDayFrom = t - STEP_MS;
      if ((await dispatchTracker(ctx.deps)).jobs === 0) continue;
      for (;;) {
        const c = await tracker.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
        if (Object.values(c).every((n) => n === 0)) break;
        await sleep(2);
      }
    }
    const day = pacificDay(end - DAY_MS / 2);
    const charged = Object.values(sim.stats().keys)[0]?.[day]?.units ?? 0;
    const snaps = await ctx.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM staging WHERE taken_at >= $1 AND taken_at < $2',
      [new Date(lastDayFrom), new Date(end)],
    );
    const plan = (await ctx.pool.query('SELECT plan FROM capacity_state')).rows[0]?.plan;
    const perKey = (snaps.rows[0]!.n * 10_000) / opts.unitsQuota;
    const error = plan && charged > 0 ? (Math.abs(plan.neededUnits - charged) / charged) * 100 : 100;
    const how = `1 key of ${opts.unitsQuota.toLocaleString('en-US')} units, ${videosPerDay.toLocaleString('en-US')} new videos/day onto 30 days of arrivals (≈150% of the key), demote policy, ${opts.days} simulated days, dispatch every ${STEP_MS / 1000} s; last Pacific day (${day}): ${snaps.rows[0]!.n.toLocaleString('en-US')} snapshots for ${charged.toLocaleString('en-US')} units`;
    const round = (x: number) => Math.round(x * 100) / 100;
    return [
      {
        name: 'snapshots per key per day at saturation',
        value: Math.round(perKey),
        unit: 'snapshots',
        goal: '>= 495,000',
        ok: perKey >= 495_000,
        how: `${how}; scaled to a 10,000-unit key`,
      },
      {
        name: 'capacity planner error, daily need vs units charged',
        value: round(error),
        unit: '%',
        goal: '<= 5',
        ok: error <= 5,
        how: `${how}; the last capacity check's neededUnits (${plan ? Math.round(plan.neededUnits) : '–'}) against them`,
      },
    ];
  } finally {
    await workers.close();
    await ctx.close();
    await redis.drop();
    await db.drop();
  }
}
