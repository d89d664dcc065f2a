import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/index.ts';
import { silentLogger } from '../src/log.ts';
import { createContext } from '../workers/context.ts';
import { dispatchTracker } from '../workers/tracker-dispatch.ts';
import { stagingCeiling } from './ceilings.ts';
import { type BenchDatabase, benchDatabase, cloneDatabase, dropDatabase } from './db.ts';
import type { Figure } from './figures.ts';
import {
  benchRedis,
  cpuSecondsOf,
  log,
  memoryOf,
  type Proc,
  type SimulatorProcess,
  sleep,
  spawnCli,
  startSimulatorProcess,
  stop,
  unitsCharged,
} from './procs.ts';
import { defaultWorld, fillWatchlist, latestVideos } from './world.ts';

export interface TrackerRun {
  procs: number;
  concurrency: number;
  nodeOptions?: string;
  shipped?: boolean;
  videos: number;
  snapshots: number;
  seconds: number;
  videosPerS: number;
  /** Video ids asked per videos.list unit charged by the simulator. */
  idsPerUnit: number;
  /** Peak RSS (VmHWM) of the biggest worker process, bytes. */
  workerHwm: number;
  /** CPU seconds per process role during the run. */
  cpu: Record<string, number>;
  failed: number;
}

/** Environment of a `pleiades worker` process of the benchmark. */
export function workerEnv(o: {
  db: string;
  redisUrl: string;
  prefix: string;
  sim: SimulatorProcess;
  vaultDir: string;
  concurrency: number;
  unitsQuota: number;
  poolMax?: number;
  /** Leave concurrency and the pool size at the shipped defaults (the CLI's, as `pleiades worker`). */
  shipped?: boolean;
}): Record<string, string> {
  const tuning: Record<string, string> = o.shipped
    ? {}
    : {
        WORKER_CONCURRENCY: String(o.concurrency),
        DATABASE_POOL_MAX: String(o.poolMax ?? Math.min(20, Math.max(4, Math.ceil(o.concurrency / 2)))),
      };
  return {
    DATABASE_URL: o.db,
    REDIS_URL: o.redisUrl,
    REDIS_PREFIX: o.prefix,
    YOUTUBE_API_KEY_POOL_JSON: JSON.stringify(o.sim.keys),
    YOUTUBE_API_ROOT: o.sim.url,
    ...tuning,
    HYDRA_UNITS_QUOTA: String(o.unitsQuota),
    // The per-key rate limit models YouTube's per-second limits; the simulator has none.
    HYDRA_KEY_RPS: '100000',
    VAULT_DIR: o.vaultDir,
    LOG_LEVEL: 'info',
  };
}

/** Starts `n` worker processes for `queues` and waits until each says it runs. */
export async function startWorkerProcesses(
  n: number,
  queues: string,
  env: Record<string, string>,
): Promise<Proc[]> {
  const procs = Array.from({ length: n }, () => spawnCli(['worker', '--queues', queues], env));
  const until = Date.now() + 60_000;
  for (const p of procs)
    while (!p.output().includes('worker running')) {
      if (p.exitCode !== null || Date.now() > until) throw new Error(`worker did not start: ${p.output()}`);
      await sleep(50);
    }
  return procs;
}

const ROLE_NAMES: Record<string, string> = { postgres: 'postgres', 'redis-server': 'redis' };

/** CPU seconds so far of every Postgres and Redis server process on the machine, by role. */
export function serverCpu(): Record<string, number> {
  const out: Record<string, number> = { postgres: 0, redis: 0 };
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      const role = ROLE_NAMES[comm];
      if (role) out[role]! += cpuSecondsOf(Number(pid));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/**
 * Tracker end-to-end: `videos` due watchlist videos, dispatched by this process (claim + addBulk, as the
 * tracker-dispatch job does), worked by `procs` real `pleiades worker --queues tracker` processes
 * (videos.list over HTTP to the simulator process, one transaction of staging inserts and schedule
 * updates per 50-video batch). Timed from the start of the dispatch until the queue is drained.
 */
export async function runTracker(o: {
  template: string;
  sim: SimulatorProcess;
  procs: number;
  concurrency: number;
  videos: number;
  now: number;
  nodeOptions?: string;
  shipped?: boolean;
}): Promise<TrackerRun> {
  const redis = await benchRedis();
  const db = await cloneDatabase(o.template, `${o.template}_run`);
  const vaultDir = mkdtempSync(join(tmpdir(), 'pleiades-bench-tracker-'));
  const env = workerEnv({
    db: db.url,
    redisUrl: redis.url,
    prefix: redis.prefix,
    sim: o.sim,
    vaultDir,
    concurrency: o.concurrency,
    unitsQuota: 1_000_000_000,
    ...(o.shipped ? { shipped: true } : {}),
  });
  const config = loadConfig(env, { dotenvPath: false });
  const ctx = await createContext(config, silentLogger, { simulator: false, events: false });
  let workers: Proc[] = [];
  try {
    workers = await startWorkerProcesses(o.procs, 'tracker', {
      ...env,
      ...(o.nodeOptions ? { NODE_OPTIONS: o.nodeOptions } : {}),
    });
    const before = unitsCharged(await o.sim.stats());
    const cpu0 = cpuSnapshot(workers, o.sim);
    const t0 = performance.now();
    let dispatched = 0;
    // The scheduler's tracker-dispatch job, as often as it takes: each claims up to 2,000 batches.
    const tracker = ctx.queues.get('tracker');
    for (;;) {
      const d = await dispatchTracker(ctx.deps, { maxJobs: 2000 });
      dispatched += d.videos;
      const c = await tracker.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      const pending = Object.values(c).reduce((a, b) => a + b, 0);
      if (d.jobs === 0 && pending === 0) break;
      if (d.jobs === 0) await sleep(20);
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu1 = cpuSnapshot(workers, o.sim);
    const after = unitsCharged(await o.sim.stats());
    const staged = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM staging');
    const failed = (await tracker.getJobCounts('failed')).failed ?? 0;
    const cpu: Record<string, number> = {};
    for (const k of Object.keys(cpu1)) cpu[k] = Math.round((cpu1[k]! - (cpu0[k] ?? 0)) * 10) / 10;
    const hwm = Math.max(...workers.map((w) => memoryOf(w.pid!).hwm));
    if (dispatched !== o.videos) log(`warning: dispatched ${dispatched} of ${o.videos} videos`);
    return {
      procs: o.procs,
      concurrency: o.concurrency,
      ...(o.nodeOptions ? { nodeOptions: o.nodeOptions } : {}),
      ...(o.shipped ? { shipped: true } : {}),
      videos: dispatched,
      snapshots: staged.rows[0]!.n,
      seconds,
      videosPerS: Math.round(dispatched / seconds),
      idsPerUnit: Math.round((dispatched / Math.max(1, after.total - before.total)) * 100) / 100,
      workerHwm: hwm,
      cpu,
      failed,
    };
  } finally {
    await Promise.all(workers.map((w) => stop(w)));
    // BENCH_DEBUG=1 shows what the workers logged (with NODE_OPTIONS probes, say).
    if (process.env.BENCH_DEBUG) for (const w of workers) process.stderr.write(w.output());
    await ctx.close();
    await db.drop();
    await redis.drop();
    rmSync(vaultDir, { recursive: true, force: true });
  }
}

function cpuSnapshot(workers: Proc[], sim: SimulatorProcess): Record<string, number> {
  let w = 0;
  for (const p of workers) w += cpuSecondsOf(p.pid!);
  return {
    workers: w,
    simulator: cpuSecondsOf(sim.proc.pid!),
    bench: cpuSecondsOf(process.pid),
    ...serverCpu(),
  };
}

/** A filled watchlist database to clone for each run: `videos` of the simulator's world, all due. */
export async function trackerTemplate(name: string, videos: number, now: number): Promise<BenchDatabase> {
  const db = await benchDatabase(name, { events: true });
  await fillWatchlist(db.pool, latestVideos(defaultWorld(now), videos, now - 60_000), now - 60_000);
  await db.pool.query('VACUUM ANALYZE');
  await db.pool.end();
  return db;
}

export interface TrackerConfig {
  procs: number;
  concurrency: number;
  /** NODE_OPTIONS of the worker processes (V8 flags), when not the defaults. */
  nodeOptions?: string;
  /**
   * The shipped defaults: concurrency, pool size and V8 flags as `pleiades worker` sets them (the
   * launcher's heap flags included). The headline figures come from this run.
   */
  shipped?: boolean;
}

/**
 * Tracker end-to-end figures: one filled watchlist, each configuration (worker processes ×
 * concurrency) from a fresh copy of it, the simulator in its own process throughout.
 */
export async function benchTracker(opts: {
  videos: number;
  configs: TrackerConfig[];
}): Promise<{ figures: Figure[]; runs: TrackerRun[] }> {
  const now = Date.now();
  const template = await trackerTemplate('pleiades_bench_tracker', opts.videos, now);
  const sim = await startSimulatorProcess({ keys: 4, unitsQuota: 1_000_000_000 });
  const runs: TrackerRun[] = [];
  try {
    for (const c of opts.configs) {
      const r = await runTracker({ template: template.name, sim, ...c, videos: opts.videos, now });
      log(
        `${c.procs} × ${c.concurrency}: ${r.videosPerS} videos/s, cpu ${JSON.stringify(r.cpu)}, HWM ${mb(r.workerHwm)} MB`,
      );
      runs.push(r);
    }
  } finally {
    await sim.close();
    await dropDatabase(template.name);
  }
  // The Postgres ceiling of this same run (the machine is shared: a ceiling from another moment
  // would flatter or punish the ratio).
  const ceiling = {
    ...(await stagingCeiling(Math.min(200_000, Math.max(20_000, opts.videos)))),
    name: 'ceiling: Postgres staging inserts, tracker run',
  };
  const shipped = runs.find((r) => r.shipped);
  const plain = runs.filter((r) => !r.nodeOptions);
  const tuned = runs.filter((r) => r.nodeOptions);
  const best = plain.reduce((a, b) => (b.videosPerS > a.videosPerS ? b : a), plain[0] ?? runs[0]!);
  const label = (r: TrackerRun) =>
    `${r.procs} proc × ${r.concurrency}${r.shipped ? ' (shipped defaults)' : ''}${r.nodeOptions ? ` (${r.nodeOptions})` : ''}`;
  const hwm = Math.max(...plain.map((r) => r.workerHwm));
  const cpuText = (r: TrackerRun) =>
    Object.entries(r.cpu)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  const figures: Figure[] = [ceiling];
  if (shipped) figures.push(...shippedFigures(shipped, ceiling.value));
  figures.push(
    {
      name: 'tracker end-to-end (best)',
      value: best.videosPerS,
      unit: 'videos/s',
      goal: '>= 10,000',
      ok: best.videosPerS >= 10_000,
      how: `${label(best)}; ${best.videos.toLocaleString('en-US')} due videos dispatched from this process (claim + addBulk), worked by \`pleiades worker --queues tracker\` processes (videos.list over HTTP to the simulator process, one transaction of staging inserts + schedule per 50 ids); dispatch → drained${shipped ? `; shipped defaults: ${shipped.videosPerS} videos/s` : ''}`,
    },
    ...runs.map((r) => ({
      name: `tracker ${label(r)}`,
      value: r.videosPerS,
      unit: 'videos/s',
      goal: 'reported',
      how: `${r.videos.toLocaleString('en-US')} videos in ${r.seconds.toFixed(1)} s, ${r.snapshots.toLocaleString('en-US')} snapshots (the rest deleted/private), ${r.failed} failed jobs; CPU s: ${cpuText(r)}`,
    })),
    {
      name: 'worker RSS under load (VmHWM)',
      value: mb(hwm),
      unit: 'MB',
      goal: '<= 150 MB',
      ok: hwm <= 150 * 2 ** 20,
      how: `peak /proc/PID/status VmHWM of the tracker worker processes, the CLI's own V8 flags (per run: ${plain.map((r) => `${r.procs}×${r.concurrency} ${mb(r.workerHwm)}`).join(', ')})`,
    },
    ...tuned.map((r) => ({
      name: `worker RSS under load, ${r.nodeOptions}`,
      value: mb(r.workerHwm),
      unit: 'MB',
      goal: '<= 150 MB',
      ok: r.workerHwm <= 150 * 2 ** 20,
      how: `VmHWM of ${label(r)}`,
    })),
  );
  return { figures, runs };
}

const mb = (b: number) => Math.round(b / 2 ** 20);

/** CPU µs per tracked video of each process role in a run. */
export function cpuPerVideo(r: TrackerRun): Record<string, number> {
  return Object.fromEntries(
    Object.entries(r.cpu).map(([k, s]) => [k, Math.round((s * 1e6) / Math.max(1, r.videos))]),
  );
}

/** The headline figures, all from the one shipped-defaults run (stable names: the record keys on them). */
function shippedFigures(r: TrackerRun, ceilingRowsPerS: number): Figure[] {
  const ratio = Math.round((r.videosPerS / ceilingRowsPerS) * 100) / 100;
  const us = cpuPerVideo(r);
  const where = `${r.procs} \`pleiades worker --queues tracker\` processes at the shipped defaults (no concurrency, pool or V8 setting given), ${r.videos.toLocaleString('en-US')} videos`;
  return [
    {
      name: 'tracker, shipped defaults',
      value: r.videosPerS,
      unit: 'videos/s',
      goal: '>= 10,000',
      ok: r.videosPerS >= 10_000,
      how: where,
    },
    {
      name: 'tracker / Postgres ceiling, shipped defaults',
      value: ratio,
      unit: '×',
      goal: '>= 0.5',
      ok: ratio >= 0.5,
      how: `${r.videosPerS} videos/s over the staging-insert ceiling of this run (${ceilingRowsPerS} rows/s)`,
    },
    {
      name: 'worker VmHWM, shipped defaults',
      value: mb(r.workerHwm),
      unit: 'MB',
      goal: '<= 150 MB',
      ok: r.workerHwm <= 150 * 2 ** 20,
      how: `peak /proc/PID/status VmHWM of the bigger worker process; ${where}`,
    },
    ...(['workers', 'postgres', 'redis'] as const).map((k) => ({
      name: `tracker CPU per video, ${k}, shipped defaults`,
      value: us[k] ?? 0,
      unit: 'µs',
      goal: 'reported',
      how: `CPU seconds (utime + stime from /proc) of ${k === 'workers' ? 'the worker processes' : `every ${k} server process`} during the run over videos tracked; all roles: ${JSON.stringify(us)}`,
    })),
  ];
}
