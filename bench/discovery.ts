import { createServer } from 'node:net';
import { createContext } from '../app/context.ts';
import { dashboardDeps } from '../app/system.ts';
import { type RunningDashboard, startDashboard } from '../dashboard/server.ts';
import { HOUR_MS, ManualClock, pacificDay } from '../src/clock.ts';
import { loadConfig } from '../src/config/index.ts';
import { discoveryOnDay, type RouteDay } from '../src/dao/discovery-daily.ts';
import { countChannelsByState, followChannels } from '../src/dao/followed-channels.ts';
import { addToSearchQueue } from '../src/dao/search-queue.ts';
import { silentLogger } from '../src/log.ts';
import { videoIdToBigInt } from '../src/video-id.ts';
import { dispatchChannels } from '../workers/channel-dispatch.ts';
import { dispatchHunter } from '../workers/hunter-dispatch.ts';
import { startWorkers } from '../workers/runtime.ts';
import { ingestAnnounced, subscribeChannels } from '../workers/websub.ts';
import { type Coverage, coverage, coverageFigures, DiscoveryLog, searchRecall } from './coverage.ts';
import { benchDatabase } from './db.ts';
import type { Figure } from './figures.ts';
import { benchRedis, log, sleep } from './procs.ts';

/**
 * Discovery routes over one simulated Pacific day with ONE API key and YouTube's 2026 quotas (100
 * search.list calls, 10,000 units): search alone; search with channel polling (every channel search
 * finds is followed; polling gets the default 38% share of the units); and search, polling and WebSub
 * push (the simulator's hub, the dashboard's callback, signed notifications). Time is a ManualClock
 * shared by the simulator, Hydra and the agents, stepped hourly; figures are the routes' own records
 * (discovery_daily), checked against the simulator's count of what it charged.
 */

const KEY = 'AIzaSy-discovery-bench-the-only-key-00';
// A Pacific midnight (08:00 UTC in November): the run is one whole quota day.
const DAY_START = Date.UTC(2026, 10, 25, 8);
const TAIL_MS = HOUR_MS;

/**
 * `coverage`: every channel of the world followed (and subscribed, and polled once for its backfill) in
 * the hour before the day, then all routes in 10-minute steps: what share of the day's uploads each
 * route finds within 1 h and 24 h, in the realistic simulator (search and hub as imperfect as YouTube's).
 */
type Scenario = 'search' | 'channels' | 'websub' | 'coverage';

interface DayRun {
  coverage?: Coverage;
  recall?: { matching: number; found: number };
  backfillUnits: number;
  /** Units charged in the hour after the day (coverage only: the routes keep running). */
  tailUnits: number;
  routes: Record<'search' | 'channel' | 'websub', RouteDay>;
  searchCalls: number;
  unitsCharged: number;
  quotaExceeded: number;
  followed: number;
  seconds: number;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

async function drain(
  ctx: Awaited<ReturnType<typeof createContext>>,
  names: ('hunter' | 'channel-poll' | 'websub-ingest')[],
) {
  for (;;) {
    let pending = 0;
    for (const n of names) {
      const c = await ctx.queues.get(n).getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      pending += Object.values(c).reduce((a, b) => a + b, 0);
    }
    if (pending === 0) return;
    await sleep(20);
  }
}

export async function runDay(
  scenario: Scenario,
  world: { channels: number; videosPerDay: number },
): Promise<DayRun> {
  const db = await benchDatabase(`pleiades_bench_discovery_${scenario}`, { max: 12 });
  const redis = await benchRedis();
  const clock = new ManualClock(DAY_START);
  const [simPort, dashPort] = [await freePort(), await freePort()];
  const websub = scenario === 'websub' || scenario === 'coverage';
  const covering = scenario === 'coverage';
  const stepMs = covering ? 10 * 60_000 : HOUR_MS;
  const log = new DiscoveryLog();
  if (covering) clock.set(DAY_START - HOUR_MS);
  const config = loadConfig(
    {
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      REDIS_PREFIX: redis.prefix,
      YOUTUBE_API_KEY_POOL_JSON: JSON.stringify([KEY]),
      HYDRA_KEY_RPS: '100000',
      LOG_LEVEL: 'silent',
      CHANNEL_AUTO_FOLLOW: scenario === 'search' ? 'none' : 'all',
      ...(websub
        ? {
            WEBSUB_CALLBACK_URL: `http://127.0.0.1:${dashPort}/websub`,
            WEBSUB_SECRET: 'discovery-bench-websub-secret-0001',
            WEBSUB_HUB_URL: `http://127.0.0.1:${simPort}/websub/hub`,
          }
        : {}),
    },
    { dotenvPath: false },
  );
  const ctx = await createContext(config, silentLogger, {
    clock,
    events: false,
    simulator: {
      port: simPort,
      keys: [KEY],
      hub: { deliverEveryMs: 0 },
      world: { ...world, historyDays: 20 },
    },
  });
  const workers = startWorkers(ctx.deps, { queues: ['hunter', 'channel-poll', 'websub-ingest'] });
  let dash: RunningDashboard | null = null;
  const t0 = performance.now();
  try {
    if (websub)
      dash = await startDashboard(dashboardDeps(ctx, config, silentLogger), {
        port: dashPort,
        host: '127.0.0.1',
      });
    await addToSearchQueue(
      ctx.pool,
      ctx.simulator!.world.popularWords(5).map((query) => ({ query, origin: 'seed' as const, priority: 10 })),
      new Date(clock.now()),
    );
    const sim = ctx.simulator!;
    if (covering) {
      // the day before: follow every channel, subscribe, and poll each once (its backfill)
      await followChannels(ctx.pool, sim.world.channelIds(), new Date(clock.now()));
      while ((await subscribeChannels(ctx.deps)).requested > 0) await sim.hub!.settled();
      await dispatchChannels(ctx.deps);
      await drain(ctx, ['channel-poll']);
      await log.note(ctx.pool, 'channel', clock.now());
      clock.set(DAY_START);
    }
    // Coverage runs the routes one hour past the day, so an upload of the day's last minutes has its
    // chance to be found within 1 h (and 24 h) too; that hour's units count against the day's finds.
    const runUntil = DAY_START + 24 * HOUR_MS + (covering ? TAIL_MS : 0);
    for (let t = DAY_START; t < runUntil; t += stepMs) {
      await dispatchHunter(ctx.deps);
      await drain(ctx, ['hunter']);
      await log.note(ctx.pool, 'search', clock.now());
      await dispatchChannels(ctx.deps);
      await drain(ctx, ['channel-poll']);
      await log.note(ctx.pool, 'channel', clock.now());
      if (websub) {
        await subscribeChannels(ctx.deps);
        await sim.hub!.settled();
        await sim.hub!.deliver();
        while ((await ingestAnnounced(ctx.deps, { limit: 5000 })).claimed > 0);
        await log.note(ctx.pool, 'websub', clock.now());
      }
      clock.advance(stepMs);
    }
    if (!covering) clock.advance(-1); // the day's last millisecond
    const day = pacificDay(DAY_START);
    const routes = await discoveryOnDay(ctx.pool, day);
    const stats = sim.stats();
    const k = Object.values(stats.keys)[0]?.[day];
    const tail = covering
      ? (Object.values(stats.keys)[0]?.[pacificDay(DAY_START + 24 * HOUR_MS)]?.units ?? 0)
      : 0;
    const before = Object.values(stats.keys)[0]?.[pacificDay(DAY_START - HOUR_MS)];
    const videoKey = (id: string) => String(videoIdToBigInt(id));
    const end = DAY_START + 24 * HOUR_MS;
    const all = new Set(sim.world.channelIds().map((_, c) => c));
    const queries = (
      await ctx.pool.query<{ query: string }>('SELECT query FROM search_queue WHERE pages_fetched > 0')
    ).rows.map((r) => r.query);
    const returned = new Set(
      (
        await ctx.pool.query<{ id: bigint }>('SELECT DISTINCT unnest(video_ids) AS id FROM rank_staging')
      ).rows.map((r) => String(r.id)),
    );
    return {
      ...(covering
        ? {
            coverage: coverage(sim.world, log, all, DAY_START, end, videoKey),
            recall: searchRecall(sim.world, returned, queries, DAY_START, end, videoKey),
          }
        : {}),
      backfillUnits: before?.units ?? 0,
      routes,
      searchCalls: k?.searchCalls ?? 0,
      unitsCharged: k?.units ?? 0,
      tailUnits: tail,
      quotaExceeded: stats.errors.quotaExceeded ?? 0,
      followed: (await countChannelsByState(ctx.pool)).active,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    await dash?.close();
    await workers.close();
    await ctx.close();
    await redis.drop();
    await db.drop();
  }
}

const perVideo = (units: number, videos: number): number =>
  videos > 0 ? Math.round((units / videos) * 1000) / 1000 : 0;

export async function benchDiscovery(opts: { quick?: boolean } = {}): Promise<Figure[]> {
  const world = opts.quick
    ? { channels: 400, videosPerDay: 12_000 }
    : { channels: 2000, videosPerDay: 40_000 };
  const how = `1 simulated day, 1 key (100 search calls, 10,000 units), world of ${world.channels} channels publishing ${world.videosPerDay.toLocaleString('en-US')} videos/day`;
  const runs = {} as Record<Scenario, DayRun>;
  for (const s of ['search', 'channels', 'websub', 'coverage'] as Scenario[]) {
    log(`discovery: ${s}…`);
    runs[s] = await runDay(s, world);
    log(
      `discovery: ${s}: ${JSON.stringify(runs[s].routes)} search calls ${runs[s].searchCalls}, units ${runs[s].unitsCharged}, ${runs[s].seconds.toFixed(1)} s`,
    );
  }
  const alone = runs.search.routes.search;
  const ch = runs.channels.routes;
  const ws = runs.websub.routes;
  const total = (r: DayRun['routes']) => r.search.newVideos + r.channel.newVideos + r.websub.newVideos;
  const fresh = (r: DayRun['routes']) => r.search.freshVideos + r.channel.freshVideos + r.websub.freshVideos;
  const withinBuckets = (r: DayRun) =>
    r.quotaExceeded === 0 && r.searchCalls <= 100 && r.unitsCharged <= 10_000;
  const cov = runs.coverage;
  const coverageFigs = coverageFigures(cov.coverage!, {
    how: `${how}; every channel followed and subscribed the day before; realistic search and hub; 10-minute steps, run 1 h past the day`,
    freshUnits: cov.unitsCharged + cov.tailUnits,
    backfillUnits: cov.backfillUnits,
    recall: cov.recall!,
    withinBuckets: withinBuckets(cov),
    routeUnits: {
      search: cov.routes.search.units,
      channel: cov.routes.channel.units,
      websub: cov.routes.websub.units,
    },
    bucketsHow: `${cov.searchCalls} search calls, ${cov.unitsCharged} units in the day (${cov.backfillUnits} the day before, ${cov.tailUnits} in the hour after), ${cov.quotaExceeded} quotaExceeded, ${cov.seconds.toFixed(0)} s`,
  });
  return [
    ...coverageFigs,
    {
      name: 'discovery: search alone, new videos/day',
      value: alone.newVideos,
      unit: 'videos',
      goal: '≤ 5,000 (100 calls × 50)',
      how: `${how}; ${alone.searchCalls} search calls, ${perVideo(alone.searchCalls, alone.newVideos)} calls and ${perVideo(alone.units, alone.newVideos)} units per new video`,
    },
    {
      name: 'discovery: channel polling, new videos/day',
      value: ch.channel.newVideos,
      unit: 'videos',
      goal: `> search alone (${alone.newVideos})`,
      ok: ch.channel.newVideos > alone.newVideos,
      how: `${how}; ${runs.channels.followed} channels followed from search hits; search found ${ch.search.newVideos} more the same day`,
    },
    {
      name: 'discovery: channel polling, fresh videos/day',
      value: ch.channel.freshVideos,
      unit: 'videos',
      goal: `> search alone (${alone.freshVideos} fresh)`,
      ok: ch.channel.freshVideos > alone.freshVideos,
      how: 'new videos published in the 24 h before they were found (the rest: the newest page of each newly followed channel)',
    },
    {
      name: 'discovery: channel polling, units per new video',
      value: perVideo(ch.channel.units, ch.channel.newVideos),
      unit: 'units',
      goal: '< 1 (search: 1 search call + 0.02 units per result at best)',
      ok: perVideo(ch.channel.units, ch.channel.newVideos) < 1,
      how: `${ch.channel.units} units (playlistItems.list, channels.list, videos.list) for ${ch.channel.newVideos} new videos`,
    },
    {
      name: 'discovery: WebSub, new videos/day',
      value: ws.websub.newVideos,
      unit: 'videos',
      goal: 'reported',
      how: `search + polling + WebSub: search ${ws.search.newVideos}, polling ${ws.channel.newVideos} (${perVideo(ws.channel.units, ws.channel.newVideos)} units/video, ${ws.channel.units} units), WebSub ${ws.websub.newVideos}`,
    },
    {
      name: 'discovery: WebSub, units per new video',
      value: perVideo(ws.websub.units, ws.websub.newVideos),
      unit: 'units',
      goal: '≈ 0.02 (videos.list, 50 ids a unit; the push is free)',
      ok: perVideo(ws.websub.units, ws.websub.newVideos) <= 0.03,
      how: `${ws.websub.units} units for ${ws.websub.newVideos} announced videos`,
    },
    {
      name: 'discovery: all routes vs search alone',
      value: Math.round((total(ws) / Math.max(1, alone.newVideos)) * 10) / 10,
      unit: '×',
      goal: '> 1',
      ok: total(ws) > alone.newVideos,
      how: `${total(ws)} new videos/day (${fresh(ws)} fresh) with all routes against ${alone.newVideos} (${alone.freshVideos} fresh) by search alone`,
    },
    {
      name: 'discovery: quota buckets exceeded',
      value: Object.values(runs).filter((r) => !withinBuckets(r)).length,
      unit: 'runs',
      goal: '0 (≤ 100 search calls, ≤ 10,000 units, no quotaExceeded)',
      ok: Object.values(runs).every(withinBuckets),
      how: Object.entries(runs)
        .filter(([k]) => k !== 'coverage')
        .map(([k, r]) => `${k}: ${r.searchCalls} calls, ${r.unitsCharged} units, ${r.seconds.toFixed(0)} s`)
        .join('; '),
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { printTable } = await import('./figures.ts');
  printTable(await benchDiscovery({ quick: process.argv.includes('--quick') }));
  process.exit(0); // worker connections of BullMQ may keep the loop alive; the run is over
}
