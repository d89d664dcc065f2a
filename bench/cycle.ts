import type { World } from '@pleiades/youtube-simulator/world';
import { createContext } from '../app/context.ts';
import { DAY_MS, HOUR_MS, ManualClock } from '../src/clock.ts';
import { loadConfig } from '../src/config/index.ts';
import { addToWatchlist } from '../src/dao/watchlist.ts';
import type { Pool } from '../src/db/pool.ts';
import { silentLogger } from '../src/log.ts';
import {
  DEFAULT_POLICY,
  DEFAULT_VELOCITY,
  TIER_INTERVAL_MS,
  TIER_NAMES,
  tierFor,
  tierForAge,
} from '../src/tiers.ts';
import { startWorkers } from '../workers/runtime.ts';
import { dispatchTracker } from '../workers/tracker-dispatch.ts';
import { benchDatabase } from './db.ts';
import type { Figure } from './figures.ts';
import { benchRedis, sleep, unitsCharged } from './procs.ts';

/**
 * Ids per videos.list unit as the watchlist lives: videos arrive as the hunter finds them (100,000 a
 * day, the target, added page by page as they are published), the scheduler dispatches every 10 s,
 * and every tracked batch is rescheduled. Time is simulated (a ManualClock shared by the simulator,
 * Hydra and the agents, in this process) so that hours pass in seconds; units are the simulator's own
 * count. The first hour fills the HOURLY tier; after it every due video has been through a full cycle.
 */
export async function benchCycle(opts: {
  hours: number;
  videosPerDay?: number;
  /** TRACKER_DISPATCH_EVERY_S (default 10): the scheduler's cadence, and so how much is packed at once. */
  dispatchEveryS?: number;
  /**
   * Days of earlier arrivals already on the watchlist, in their steady-state schedule (each video due
   * on its tier's grid from its publication): 2 = the young watchlist (HOURLY only), 0 = none.
   */
  seedDays?: number;
  /** Name of the regime in the figures' names (default: the arrival rate). */
  label?: string;
}): Promise<Figure[]> {
  const STEP_MS = (opts.dispatchEveryS ?? 10) * 1000;
  const db = await benchDatabase('pleiades_bench_cycle', { max: 12 });
  const redis = await benchRedis();
  const start = Date.UTC(2026, 10, 25, 12);
  const clock = new ManualClock(start);
  const keys = ['AIzaCycleKey-aaaaaaaaaaaaaaaaaaaaaaaaaaa', 'AIzaCycleKey-bbbbbbbbbbbbbbbbbbbbbbbbbbb'];
  const config = loadConfig(
    {
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      REDIS_PREFIX: redis.prefix,
      YOUTUBE_API_KEY_POOL_JSON: JSON.stringify(keys),
      HYDRA_UNITS_QUOTA: '100000000',
      HYDRA_KEY_RPS: '100000',
      LOG_LEVEL: 'silent',
    },
    { dotenvPath: false },
  );
  const ctx = await createContext(config, silentLogger, {
    clock,
    events: false,
    simulator: {
      keys,
      unitsQuota: 100_000_000,
      world: {
        videosPerDay: opts.videosPerDay ?? 100_000,
        historyDays: Math.max(1, opts.seedDays ?? 0),
        originMs: start,
      },
    },
  });
  const workers = startWorkers(ctx.deps, { queues: ['tracker'], concurrency: 16 });
  const sim = ctx.simulator!;
  const tracker = ctx.queues.get('tracker');
  let asked = 0;
  let jobs = 0;
  let mark = { asked: 0, units: 0, jobs: 0 };
  try {
    if (opts.seedDays) await seedSteadyState(ctx.pool, sim.world, start, opts.seedDays);
    const seeded = unitsCharged(sim.stats()).total;
    let from = start;
    const steps = Math.round((opts.hours * HOUR_MS) / STEP_MS);
    for (let s = 1; s <= steps; s++) {
      clock.advance(STEP_MS);
      const now = clock.now();
      // What the hunter found since the last step, one search page at a time.
      const ids = sim.world.videoIdsPublishedBetween(from, now, 100_000);
      from = now;
      for (let i = 0; i < ids.length; i += 50)
        await addToWatchlist(
          ctx.pool,
          ids
            .slice(i, i + 50)
            .map((id) => ({ id, publishedAt: sim.world.publishedAt(sim.world.indexOf(id)) })),
          now,
        );
      const d = await dispatchTracker(ctx.deps);
      asked += d.videos;
      jobs += d.jobs;
      for (;;) {
        const c = await tracker.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
        if (Object.values(c).every((n) => n === 0)) break;
        await sleep(2);
      }
      // Steady state: the last full hour (every HOURLY video tracked once more in it).
      if (s === steps - Math.round(HOUR_MS / STEP_MS))
        mark = { asked, units: unitsCharged(sim.stats()).total, jobs };
    }
    const units = unitsCharged(sim.stats()).total - seeded;
    const shift = await p99ShiftPct(ctx.pool);
    const staged = await ctx.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM staging');
    const lastHour = (asked - mark.asked) / Math.max(1, units - mark.units);
    const round = (x: number) => Math.round(x * 100) / 100;
    const rate = (opts.videosPerDay ?? 100_000).toLocaleString('en-US');
    const regime = opts.label ?? `${rate} new videos/day`;
    const slow = STEP_MS === 10_000 ? '' : `, dispatch every ${STEP_MS / 1000} s`;
    const how = `${opts.hours} simulated hours, ${rate} new videos/day added page by page${opts.seedDays ? ` onto ${opts.seedDays} days of earlier arrivals in their steady-state schedule` : ''}, dispatch every ${STEP_MS / 1000} s, ${asked.toLocaleString('en-US')} ids in ${jobs.toLocaleString('en-US')} calls`;
    const whole = asked / Math.max(1, units);
    return [
      {
        name: `ids per unit, ${regime}, last full hour${slow}`,
        value: round(lastHour),
        unit: 'ids/unit',
        goal: '>= 49',
        ok: lastHour >= 49,
        how: `${how}; ids asked in the last hour ÷ units the simulator charged in it`,
      },
      {
        name: `ids per unit, ${regime}, whole run${slow}`,
        value: round(whole),
        unit: 'ids/unit',
        goal: '>= 49',
        ok: whole >= 49,
        how: `${how}; ${staged.rows[0]!.n.toLocaleString('en-US')} snapshots staged for ${units.toLocaleString('en-US')} units`,
      },
      {
        name: `p99 poll shift from its unaligned time, ${regime}${slow}`,
        value: round(shift),
        unit: '% of tier interval',
        goal: '<= 5',
        ok: shift <= 5,
        how: `${how}; |taken_at − due_at| ÷ the tier's interval over every staged snapshot (due_at is the unaligned planned time)`,
      },
    ];
  } finally {
    await workers.close();
    await ctx.close();
    await redis.drop();
    await db.drop();
  }
}

/** The shipped tier policy (TIER_VELOCITY_ENABLED is on by default: src/config/schema.ts). */
const SHIPPED_POLICY = { ...DEFAULT_POLICY, velocity: { ...DEFAULT_VELOCITY, enabled: true } };

/**
 * Puts the arrivals of the `days` before `start` on the watchlist as a long-running system would have
 * them: each video in the tier its age and its growth over its last interval give under the shipped
 * velocity rules (a dormant 10-day-old video is WEEKLY already, as it would have been since its first
 * poll after 72 hours), due at its tier's next grid point counted from its publication (the unaligned
 * schedule), in pages of 5,000.
 */
export async function seedSteadyState(pool: Pool, world: World, start: number, days: number): Promise<void> {
  const ids = (from: number, to: number) => world.videoIdsPublishedBetween(from, to, 10_000_000);
  for (let t = start - days * DAY_MS; t < start; t += HOUR_MS) {
    const page = ids(t, Math.min(start, t + HOUR_MS));
    for (let i = 0; i < page.length; i += 5_000)
      await addToWatchlist(
        pool,
        page.slice(i, i + 5_000).map((id) => {
          const index = world.indexOf(id);
          const publishedAt = world.publishedAt(index);
          const byAge = tierForAge(start - publishedAt, SHIPPED_POLICY);
          const before = TIER_INTERVAL_MS[TIER_NAMES[byAge] as 'HOURLY'];
          const gained =
            world.statistics(index, start).viewCount - world.statistics(index, start - before).viewCount;
          const tier = tierFor(
            start - publishedAt,
            { viewsPerHour: Math.max(0, gained) / (before / HOUR_MS), previousTier: byAge },
            SHIPPED_POLICY,
          );
          const every = TIER_INTERVAL_MS[TIER_NAMES[tier] as 'HOURLY'];
          return {
            id,
            publishedAt,
            tier,
            dueAt: start + ((((publishedAt - start) % every) + every) % every),
          };
        }),
        start,
      );
  }
}

/** The 99th percentile of |taken_at − due_at| over staged snapshots, in % of the snapshot's tier interval. */
async function p99ShiftPct(pool: Pool): Promise<number> {
  const r = await pool.query<{ p: number | null }>(
    `SELECT percentile_cont(0.99) WITHIN GROUP (ORDER BY abs(extract(epoch FROM taken_at) * 1000 - due_min * 60000.0)
       / CASE tier WHEN 0 THEN ${HOUR_MS} WHEN 1 THEN ${DAY_MS} ELSE ${7 * DAY_MS} END * 100) AS p FROM staging`,
  );
  return r.rows[0]?.p ?? 0;
}
