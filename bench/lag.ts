import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createContext } from '../app/context.ts';
import { MINUTE_MS } from '../src/clock.ts';
import { loadConfig } from '../src/config/index.ts';
import { silentLogger } from '../src/log.ts';
import { dispatchTracker } from '../workers/tracker-dispatch.ts';
import { benchDatabase } from './db.ts';
import type { Figure } from './figures.ts';
import { benchRedis, log, memoryOf, type Proc, sleep, startSimulatorProcess, stop } from './procs.ts';
import { startWorkerProcesses, workerEnv } from './tracker.ts';
import { defaultWorld, fillWatchlist, latestVideos } from './world.ts';

const DISPATCH_EVERY_MS = 5_000;

/**
 * Schedule lag at a steady load: a watchlist whose due times are spread so that `perSecond` videos
 * come due every second for `minutes` minutes (the watchlist keeps minutes, so each minute's
 * perSecond × 60 videos are due at its start), the scheduler's loop dispatching every 5 s from this
 * process, `procs` × `concurrency` tracker worker processes. Lag = taken_at − due, from staging.
 */
export async function benchLag(o: {
  perSecond: number;
  minutes: number;
  procs: number;
  concurrency: number;
  startNow?: boolean;
}): Promise<Figure[]> {
  const db = await benchDatabase('pleiades_bench_lag', { events: true });
  const redis = await benchRedis();
  const vaultDir = mkdtempSync(join(tmpdir(), 'pleiades-bench-lag-'));
  const sim = await startSimulatorProcess({ keys: 4, unitsQuota: 1_000_000_000 });
  const procs: Proc[] = [];
  try {
    const now = Date.now();
    const perMinute = o.perSecond * 60;
    const videos = latestVideos(defaultWorld(now), perMinute * o.minutes, now - MINUTE_MS);
    // Due from the next minute at least 20 s away (the fill and the workers' start fit before it), or
    // (`startNow`, the quick run) from the current minute: those videos are due before they exist, so
    // their lag counts from when the workers were ready.
    const first = o.startNow
      ? Math.floor(now / MINUTE_MS) * MINUTE_MS
      : Math.ceil((now + 20_000) / MINUTE_MS) * MINUTE_MS;
    for (let m = 0; m < o.minutes; m++)
      await fillWatchlist(db.pool, videos.slice(m * perMinute, (m + 1) * perMinute), first + m * MINUTE_MS);
    await db.pool.query('VACUUM ANALYZE');
    const env = workerEnv({
      db: db.url,
      redisUrl: redis.url,
      prefix: redis.prefix,
      sim,
      vaultDir,
      concurrency: o.concurrency,
      unitsQuota: 1_000_000_000,
    });
    const ctx = await createContext(loadConfig(env, { dotenvPath: false }), silentLogger, {
      simulator: false,
      events: false,
    });
    try {
      procs.push(...(await startWorkerProcesses(o.procs, 'tracker', env)));
      const ready = Date.now();
      log(`lag: ${videos.length.toLocaleString('en-US')} videos due from ${new Date(first).toISOString()}`);
      const tracker = ctx.queues.get('tracker');
      let hwm = 0;
      for (;;) {
        const t = Date.now();
        const d = await dispatchTracker(ctx.deps);
        const c = await tracker.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
        for (const p of procs) hwm = Math.max(hwm, memoryOf(p.pid!).hwm);
        if (
          t >= first + (o.minutes - 1) * MINUTE_MS &&
          d.jobs === 0 &&
          Object.values(c).every((n) => n === 0)
        )
          break;
        await sleep(Math.max(0, DISPATCH_EVERY_MS - (Date.now() - t)));
      }
      const r = await db.pool.query<{ n: number; p50: number; p99: number; max: number }>(
        `SELECT count(*)::int AS n,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY lag) AS p50,
                percentile_cont(0.99) WITHIN GROUP (ORDER BY lag) AS p99, max(lag) AS max
         FROM (SELECT extract(epoch FROM taken_at) - greatest(due_min * 60, $1::float8) AS lag FROM staging) s`,
        [ready / 1000],
      );
      const x = r.rows[0]!;
      const p99 = Math.round(Number(x.p99) * 10) / 10;
      return [
        {
          name: `p99 schedule lag at ${o.perSecond.toLocaleString('en-US')} videos/s`,
          value: p99,
          unit: 's',
          goal: '<= 60 s',
          ok: p99 <= 60,
          how: `${videos.length.toLocaleString('en-US')} videos due over ${o.minutes} min (${perMinute.toLocaleString('en-US')} at each minute's start), dispatch every 5 s, ${o.procs} worker process(es) × ${o.concurrency}; taken_at − due (or the workers' start, if later) of ${x.n.toLocaleString('en-US')} snapshots: p50 ${Number(x.p50).toFixed(1)} s, max ${Number(x.max).toFixed(1)} s; worker VmHWM ${Math.round(hwm / 2 ** 20)} MB`,
        },
      ];
    } finally {
      await Promise.all(procs.map((p) => stop(p)));
      await ctx.close();
    }
  } finally {
    await sim.close();
    await redis.drop();
    await db.drop();
    rmSync(vaultDir, { recursive: true, force: true });
  }
}
