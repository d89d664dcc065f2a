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
import { SHIPPED, startWorkerProcesses, workerEnv } from './tracker.ts';
import { defaultWorld, fillWatchlist, latestVideos } from './world.ts';

/**
 * Schedule lag at a steady load, at the shipped defaults: a watchlist whose due times are spread so
 * that `perSecond` videos come due every second for `minutes` minutes (the watchlist keeps minutes,
 * so each minute's perSecond × 60 videos are due at its start), tracker-dispatch running every
 * TRACKER_DISPATCH_EVERY_S (10 s) from this process, one `pleiades worker --queues tracker` process
 * at WORKER_CONCURRENCY and HYDRA_KEY_RPS as shipped, the simulator answering with YouTube's latency
 * (or, `latency: 'off'`, at once: the pipeline's ceiling). Lag = taken_at − due, from staging.
 */
export async function benchLag(o: {
  perSecond: number;
  minutes: number;
  latency?: 'youtube' | 'off';
}): Promise<Figure[]> {
  const latency = o.latency ?? 'youtube';
  const dispatchEveryMs = SHIPPED.TRACKER_DISPATCH_EVERY_S * 1000;
  const db = await benchDatabase('pleiades_bench_lag', { events: true });
  const redis = await benchRedis();
  const vaultDir = mkdtempSync(join(tmpdir(), 'pleiades-bench-lag-'));
  const sim = await startSimulatorProcess({ keys: 4, unitsQuota: 1_000_000_000, latency });
  const procs: Proc[] = [];
  try {
    const now = Date.now();
    const perMinute = o.perSecond * 60;
    const videos = latestVideos(defaultWorld(now), perMinute * o.minutes, now - MINUTE_MS);
    // Due from the next minute at least 30 s away (the fill and the worker's start fit before it): the
    // load starts on a quiet system, as a steady one would be.
    const first = Math.ceil((now + 30_000) / MINUTE_MS) * MINUTE_MS;
    for (let m = 0; m < o.minutes; m++)
      await fillWatchlist(db.pool, videos.slice(m * perMinute, (m + 1) * perMinute), first + m * MINUTE_MS);
    await db.pool.query('VACUUM ANALYZE');
    const env = workerEnv({
      db: db.url,
      redisUrl: redis.url,
      prefix: redis.prefix,
      sim,
      vaultDir,
      unitsQuota: 1_000_000_000,
    });
    const ctx = await createContext(loadConfig(env, { dotenvPath: false }), silentLogger, {
      simulator: false,
      events: false,
    });
    try {
      procs.push(...(await startWorkerProcesses(1, 'tracker', env)));
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
        await sleep(Math.max(0, dispatchEveryMs - (Date.now() - t)));
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
      const label = latency === 'youtube' ? 'YouTube latency' : 'no latency';
      return [
        {
          name: `p99 schedule lag, shipped defaults, ${label}`,
          value: p99,
          unit: 's',
          goal: '<= 60 s',
          ok: p99 <= 60,
          how: `${o.perSecond.toLocaleString('en-US')} videos/s due for ${o.minutes} min (${videos.length.toLocaleString('en-US')} videos, ${perMinute.toLocaleString('en-US')} at each minute's start), tracker-dispatch every ${dispatchEveryMs / 1000} s, 1 worker process × ${SHIPPED.WORKER_CONCURRENCY}, HYDRA_KEY_RPS ${SHIPPED.HYDRA_KEY_RPS} × 4 keys, ${latency === 'youtube' ? "the simulator answering with YouTube's latency" : 'the simulator answering at once'}; taken_at − due of ${x.n.toLocaleString('en-US')} snapshots: p50 ${Number(x.p50).toFixed(1)} s, max ${Number(x.max).toFixed(1)} s; worker VmHWM ${Math.round(hwm / 2 ** 20)} MB`,
          // Lag is set by the dispatch interval more than by the machine: compared as it is, with a
          // dispatch interval's worth of slack.
          gate: { scale: 'fixed', slack: dispatchEveryMs / 1000 },
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
