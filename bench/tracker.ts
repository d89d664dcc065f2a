import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createContext } from '../app/context.ts';
import { loadConfig } from '../src/config/index.ts';
import { silentLogger } from '../src/log.ts';
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
  serverCpu,
  sleep,
  spawnCli,
  startSimulatorProcess,
  stop,
  unitsCharged,
} from './procs.ts';
import { defaultWorld, fillWatchlist, latestVideos } from './world.ts';

export interface TrackerRun extends TrackerConfig {
  videos: number;
  snapshots: number;
  seconds: number;
  videosPerS: number;
  /** Video ids asked per videos.list unit charged by the simulator. */
  idsPerUnit: number;
  unitsCharged: number;
  /** Peak RSS (VmHWM) of the biggest worker process, bytes. */
  workerHwm: number;
  /** CPU seconds per process role during the run. */
  cpu: Record<string, number>;
  failed: number;
}

/** The defaults a user gets (`npm start`, `pleiades worker`): what the headline figures run at. */
export const SHIPPED = loadConfig({}, { dotenvPath: false });

/**
 * Environment of a `pleiades worker` process of the benchmark: the shipped defaults (concurrency,
 * HYDRA_KEY_RPS, DATABASE_POOL_MAX) unless `tuned` (the per-key rate limit lifted, a pool sized to
 * the concurrency) or a concurrency is given.
 */
export function workerEnv(o: {
  db: string;
  redisUrl: string;
  prefix: string;
  sim: SimulatorProcess;
  vaultDir: string;
  concurrency?: number;
  unitsQuota: number;
  tuned?: boolean;
}): Record<string, string> {
  const concurrency = o.concurrency ?? SHIPPED.WORKER_CONCURRENCY;
  return {
    DATABASE_URL: o.db,
    REDIS_URL: o.redisUrl,
    REDIS_PREFIX: o.prefix,
    YOUTUBE_API_KEY_POOL_JSON: JSON.stringify(o.sim.keys),
    YOUTUBE_API_ROOT: o.sim.url,
    WORKER_CONCURRENCY: String(concurrency),
    HYDRA_UNITS_QUOTA: String(o.unitsQuota),
    ...(o.tuned
      ? {
          // YouTube's per-second limits lifted: the pipeline's own ceiling.
          HYDRA_KEY_RPS: '100000',
          DATABASE_POOL_MAX: String(Math.min(20, Math.max(4, Math.ceil(concurrency / 2)))),
        }
      : {}),
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

/**
 * Tracker end-to-end: `videos` due watchlist videos, dispatched by this process (claim + addBulk, as the
 * tracker-dispatch job does), worked by `procs` real `pleiades worker --queues tracker` processes
 * (videos.list over HTTP to the simulator process, one transaction of staging inserts and schedule
 * updates per 50-video batch). Timed from the start of the dispatch until the queue is drained.
 */
export async function runTracker(
  o: TrackerConfig & { template: string; sim: SimulatorProcess; videos: number; now: number },
): Promise<TrackerRun> {
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
    ...(o.tuned ? { tuned: true } : {}),
  });
  const config = loadConfig(env, { dotenvPath: false });
  const ctx = await createContext(config, silentLogger, { simulator: false, events: false });
  let workers: Proc[] = [];
  try {
    workers = await startWorkerProcesses(o.procs, 'tracker', {
      ...env,
      ...(o.nodeOptions ? { NODE_OPTIONS: o.nodeOptions } : {}),
    });
    // The work is what the watchlist holds due, not what was asked of the world (ids of the world may
    // collide, and 19,999 due videos once made the loop below wait out whole dispatch intervals for a
    // 20,000th that did not exist: 999 videos/s, a figure of the bench, not of the pipeline).
    const due = await dueVideos(db.pool, o.now);
    const before = unitsCharged(await o.sim.stats());
    const cpu0 = cpuSnapshot(workers, o.sim);
    const t0 = performance.now();
    let dispatched = 0;
    let drainedAt = t0;
    // The scheduler's tracker-dispatch job (up to TRACKER_MAX_BATCHES_PER_DISPATCH batches each):
    // every TRACKER_DISPATCH_EVERY_S as shipped, or (tuned) again as soon as it claimed nothing. The
    // run is timed to the first moment the queue is empty after the last dispatch that claimed work,
    // not to the next tick (a user's backlog is done when its last job is); it ends once every due
    // video is dispatched, or a dispatch finds nothing more to claim (a part-filled last job of a tier
    // may be held back for company by the packing window: src/tracker-packing.ts).
    const tracker = ctx.queues.get('tracker');
    const everyMs = o.tuned ? 0 : config.TRACKER_DISPATCH_EVERY_S * 1000;
    let busy = false;
    for (;;) {
      const t = performance.now();
      const d = await dispatchTracker(ctx.deps);
      dispatched += d.videos;
      if (d.jobs > 0) busy = true;
      let drained = false;
      for (;;) {
        const c = await tracker.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
        drained = Object.values(c).every((n) => n === 0);
        if (drained && busy) {
          drainedAt = performance.now();
          busy = false;
        }
        if ((drained && dispatched >= due) || performance.now() - t >= everyMs) break;
        await sleep(20);
      }
      if (drained && (dispatched >= due || d.jobs === 0)) break;
      if (d.jobs === 0 && everyMs === 0) await sleep(20);
    }
    const seconds = (drainedAt - t0) / 1000;
    const cpu1 = cpuSnapshot(workers, o.sim);
    const after = unitsCharged(await o.sim.stats());
    const staged = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM staging');
    const failed = (await tracker.getJobCounts('failed')).failed ?? 0;
    const cpu: Record<string, number> = {};
    for (const k of Object.keys(cpu1)) cpu[k] = Math.round((cpu1[k]! - (cpu0[k] ?? 0)) * 10) / 10;
    const hwm = Math.max(...workers.map((w) => memoryOf(w.pid!).hwm));
    if (dispatched !== due)
      log(
        `${due - dispatched} of ${due} due videos held back by the packing window (a part-filled last job)`,
      );
    return {
      label: o.label,
      procs: o.procs,
      concurrency: o.concurrency,
      latency: o.latency,
      ...(o.tuned ? { tuned: true } : {}),
      ...(o.nodeOptions ? { nodeOptions: o.nodeOptions } : {}),
      videos: dispatched,
      snapshots: staged.rows[0]!.n,
      seconds,
      videosPerS: Math.round(dispatched / seconds),
      idsPerUnit: Math.round((dispatched / Math.max(1, after.total - before.total)) * 100) / 100,
      unitsCharged: after.total - before.total,
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

/** Videos of the watchlist due at `now` (what a run has to track). */
async function dueVideos(pool: BenchDatabase['pool'], now: number): Promise<number> {
  const r = await pool.query<{ n: number }>(
    'SELECT coalesce(sum(cardinality(video_ids)), 0)::int AS n FROM watchlist_schedule WHERE due_min <= $1',
    [Math.floor(now / 60_000)],
  );
  return r.rows[0]!.n;
}

/**
 * A filled watchlist database to clone for each run: `videos` of the simulator's world, all due, and
 * due for longer than the packing window (src/tracker-packing.ts): a part-filled last job is then
 * dispatched at once rather than held for company, as in a backlog that has waited.
 */
export async function trackerTemplate(name: string, videos: number, now: number): Promise<BenchDatabase> {
  const db = await benchDatabase(name, { events: true });
  await fillWatchlist(db.pool, latestVideos(defaultWorld(now), videos, now - 60_000), now - BACKLOG_MS);
  await db.pool.query('VACUUM ANALYZE');
  await db.pool.end();
  return db;
}

export interface TrackerConfig {
  /** How the figures name the configuration. */
  label: string;
  procs: number;
  concurrency: number;
  /** The simulator's answer times: YouTube's (what a user sees) or none (the pipeline's ceiling). */
  latency: 'youtube' | 'off';
  /** HYDRA_KEY_RPS lifted, a pool sized to the concurrency, dispatch as fast as the queue drains. */
  tuned?: boolean;
  /** NODE_OPTIONS of the worker processes (V8 flags), when not the defaults. */
  nodeOptions?: string;
}

/**
 * Keys of the pool. Hydra lets a key take HYDRA_KEY_RPS calls a second (50 × 50 videos as shipped), so
 * the pool caps the tracker at KEYS × 2,500 videos/s: 4 keys capped it at exactly the 10,000 of the
 * goal, and the figure measured the limiter rather than the pipeline (8,300–8,500 videos/s against
 * 9,100–9,800 with 8 keys, same code and run). A pool that tracks 10,000 videos a second for a day
 * holds ~1,700 keys (864 million videos ÷ 50 a unit ÷ 10,000 units a key), far past this cap.
 */
const KEYS = 8;
/** The videos/s the pool's rate limit allows at the shipped HYDRA_KEY_RPS (50 videos a call). */
const RPS_CAP = KEYS * SHIPPED.HYDRA_KEY_RPS * 50;
/** How long the bench's backlog has been due: past the HOURLY packing window (5% of an hour at most). */
const BACKLOG_MS = 10 * 60_000;

/** The configurations measured: the shipped one with and without latency, then tuned ones (labelled). */
export function trackerConfigs(tunedSet: boolean): TrackerConfig[] {
  const c = SHIPPED.WORKER_CONCURRENCY;
  const shipped = `1 worker × ${c}`;
  const configs: TrackerConfig[] = [
    { label: 'shipped defaults, YouTube latency', procs: 1, concurrency: c, latency: 'youtube' },
    { label: 'shipped defaults, no latency', procs: 1, concurrency: c, latency: 'off' },
    // Issue 17's one configuration: two `pleiades worker` processes as shipped, the pipeline's ceiling.
    { label: SHIPPED_2, procs: 2, concurrency: c, latency: 'off' },
    ...(tunedSet
      ? [
          { label: `tuned ${shipped}`, procs: 1, concurrency: c, latency: 'off', tuned: true },
          { label: 'tuned 1 worker × 32', procs: 1, concurrency: 32, latency: 'off', tuned: true },
          { label: `tuned 2 workers × ${c}`, procs: 2, concurrency: c, latency: 'off', tuned: true },
          { label: 'tuned 2 workers × 32', procs: 2, concurrency: 32, latency: 'off', tuned: true },
          {
            label: 'tuned 2 workers × 32, YouTube latency',
            procs: 2,
            concurrency: 32,
            latency: 'youtube',
            tuned: true,
          },
          {
            label: `shipped defaults, no latency, ${SMALL_HEAP}`,
            procs: 1,
            concurrency: c,
            latency: 'off',
            nodeOptions: SMALL_HEAP,
          },
        ]
      : [{ label: `tuned 2 workers × ${c}`, procs: 2, concurrency: c, latency: 'off', tuned: true }]),
  ] as TrackerConfig[];
  return configs;
}

const SMALL_HEAP = '--max-semi-space-size=4 --max-old-space-size=128';
const SHIPPED_2 = 'shipped defaults, 2 workers, no latency';

/**
 * Tracker end-to-end figures: one filled watchlist, each configuration (worker processes ×
 * concurrency, latency, shipped or tuned) from a fresh copy of it, against a simulator process of
 * its own with or without YouTube's answer times. The headline figures run the shipped defaults.
 */
export async function benchTracker(opts: {
  videos: number;
  /** The whole set of tuned configurations (the full run); else one (the quick run). */
  tuned: boolean;
}): Promise<{ figures: Figure[]; runs: TrackerRun[] }> {
  const now = Date.now();
  const template = await trackerTemplate('pleiades_bench_tracker', opts.videos, now);
  const runs: TrackerRun[] = [];
  try {
    for (const c of trackerConfigs(opts.tuned)) {
      const sim = await startSimulatorProcess({ keys: KEYS, unitsQuota: 1_000_000_000, latency: c.latency });
      try {
        const r = await runTracker({ template: template.name, sim, ...c, videos: opts.videos, now });
        log(`${c.label}: ${r.videosPerS} videos/s, cpu ${JSON.stringify(r.cpu)}, HWM ${mb(r.workerHwm)} MB`);
        runs.push(r);
      } finally {
        await sim.close();
      }
    }
  } finally {
    await dropDatabase(template.name);
  }
  // The Postgres ceiling of this same run (the machine is shared: a ceiling from another moment
  // would flatter or punish the ratio).
  const measured = await stagingCeiling(Math.min(200_000, Math.max(20_000, opts.videos)));
  const ceiling = { ...measured.figure, name: 'ceiling: Postgres staging inserts, tracker run' };
  const cpuText = (r: TrackerRun) =>
    Object.entries(r.cpu)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  const setting = (r: TrackerRun) =>
    r.tuned
      ? `${r.procs} worker process(es) × ${r.concurrency}, HYDRA_KEY_RPS lifted, DATABASE_POOL_MAX ${Math.min(20, Math.max(4, Math.ceil(r.concurrency / 2)))}, dispatched as fast as the queue drains`
      : `${r.procs} worker process × ${r.concurrency} (WORKER_CONCURRENCY), HYDRA_KEY_RPS ${SHIPPED.HYDRA_KEY_RPS} × ${KEYS} keys (at most ${RPS_CAP.toLocaleString('en-US')} videos/s), DATABASE_POOL_MAX ${SHIPPED.DATABASE_POOL_MAX}, dispatch every ${SHIPPED.TRACKER_DISPATCH_EVERY_S} s (≤ ${SHIPPED.TRACKER_MAX_BATCHES_PER_DISPATCH.toLocaleString('en-US')} batches)`;
  const latencyText = (r: TrackerRun) =>
    r.latency === 'youtube'
      ? "the simulator answering with YouTube's latency (docs/simulator.md)"
      : 'the simulator answering at once';
  const how = (r: TrackerRun) =>
    `${setting(r)}${r.nodeOptions ? `, NODE_OPTIONS ${r.nodeOptions}` : ''}; ${latencyText(r)}; ${r.videos.toLocaleString('en-US')} due videos claimed by tracker-dispatch in this process and worked by \`pleiades worker --queues tracker\` (videos.list over HTTP, one transaction of staging inserts + schedule per 50 ids) in ${r.seconds.toFixed(1)} s, dispatch → drained; ${r.snapshots.toLocaleString('en-US')} snapshots (the rest deleted/private), ${r.failed} failed jobs; CPU s: ${cpuText(r)}`;
  const shipped = runs.find((r) => r.label === 'shipped defaults, YouTube latency')!;
  const tunedRuns = runs.filter((r) => r.tuned);
  const best = tunedRuns.reduce((a, b) => (b.videosPerS > a.videosPerS ? b : a), tunedRuns[0]!);
  const throughput = (r: TrackerRun, name = `tracker end-to-end, ${r.label}`): Figure => ({
    name,
    value: r.videosPerS,
    unit: 'videos/s',
    goal: r.nodeOptions || r.label.startsWith('tuned') ? 'reported' : '>= 10,000',
    ...(r.nodeOptions || r.label.startsWith('tuned') ? {} : { ok: r.videosPerS >= 10_000 }),
    // With YouTube's answer times a run waits on them (concurrency × 50 ÷ ~0.15 s), not on the CPU:
    // a faster machine does not make it faster (4,436 videos/s recorded on a machine 1.85× slower
    // than one that gave 4,278), so the gate does not scale it by the machine's speed.
    ...(r.latency === 'youtube' ? { gate: { scale: 'fixed' as const } } : {}),
    how: how(r),
  });
  const figures: Figure[] = [
    ceiling,
    ...shippedFigures(runs.find((r) => r.label === SHIPPED_2)!, ceiling.value, measured.postgresUsPerRow),
    ...runs.filter((r) => !r.nodeOptions).map((r) => throughput(r)),
    {
      ...throughput(best, 'tracker end-to-end, tuned (best)'),
      goal: '>= 10,000',
      ok: best.videosPerS >= 10_000,
      how: `best tuned configuration (${best.label}): ${how(best)}`,
    },
    {
      name: 'ids per videos.list unit, full watchlist',
      value: shipped.idsPerUnit,
      unit: 'ids/unit',
      goal: '>= 49.5',
      ok: shipped.idsPerUnit >= 49.5,
      how: `the shipped run with latency: ${shipped.videos.toLocaleString('en-US')} ids asked ÷ ${shipped.unitsCharged.toLocaleString('en-US')} units the simulator charged (a watchlist of full schedule batches, as one that has been through a round)`,
    },
    {
      name: 'worker RSS under load, shipped defaults',
      value: mb(shipped.workerHwm),
      unit: 'MB',
      goal: '<= 150 MB',
      ok: shipped.workerHwm <= 150 * 2 ** 20,
      how: `peak VmHWM (/proc/PID/status) of the worker of the headline run (${shipped.label}, ${shipped.videosPerS.toLocaleString('en-US')} videos/s), default Node flags; per run: ${runs.map((r) => `${r.label} ${mb(r.workerHwm)}`).join(', ')}`,
    },
    ...runs
      .filter((r) => r.nodeOptions)
      .map((r) => ({
        name: `worker RSS under load, ${r.nodeOptions}`,
        value: mb(r.workerHwm),
        unit: 'MB',
        goal: '<= 150 MB',
        ok: r.workerHwm <= 150 * 2 ** 20,
        how: `VmHWM of ${r.label} (${r.videosPerS.toLocaleString('en-US')} videos/s): V8 sizes its young generation from the machine's memory unless told`,
      })),
  ];
  return { figures, runs };
}

const mb = (b: number) => Math.round(b / 2 ** 20);

/** CPU µs per tracked video of each process role in a run. */
export function cpuPerVideo(r: TrackerRun): Record<string, number> {
  return Object.fromEntries(
    Object.entries(r.cpu).map(([k, sec]) => [k, Math.round((sec * 1e6) / Math.max(1, r.videos))]),
  );
}

/** Issue 17's figures, all from the one run of two shipped-default workers (stable names: the record keys on them). */
function shippedFigures(r: TrackerRun, ceilingRowsPerS: number, ceilingPgUsPerRow: number): Figure[] {
  const ratio = Math.round((r.videosPerS / ceilingRowsPerS) * 100) / 100;
  const us = cpuPerVideo(r);
  const pgRatio = Math.round((ceilingPgUsPerRow / Math.max(1, us.postgres ?? 0)) * 100) / 100;
  const where = `${r.procs} \`pleiades worker --queues tracker\` processes at the shipped defaults (no concurrency, pool or V8 setting given), a pool of ${KEYS} keys (HYDRA_KEY_RPS ${SHIPPED.HYDRA_KEY_RPS}: at most ${RPS_CAP.toLocaleString('en-US')} videos/s), the simulator answering at once, ${r.videos.toLocaleString('en-US')} videos`;
  return [
    {
      name: 'tracker / Postgres ceiling, shipped defaults',
      value: ratio,
      unit: '×',
      goal: '>= 0.5',
      ok: ratio >= 0.5,
      how: `${r.videosPerS} videos/s (${where}) over the staging-insert ceiling of this run (${ceilingRowsPerS} rows/s)`,
    },
    {
      // The ratio above puts the workers, Redis, the simulator and the bench on Postgres's two cores;
      // this one asks what a deployment does, Postgres on cores of its own: the share of the ceiling
      // the tracker would reach there, from Postgres's CPU alone. Reported beside, not instead.
      name: 'tracker / Postgres ceiling, Postgres CPU only, shipped defaults',
      value: pgRatio,
      unit: '×',
      goal: 'reported',
      gate: { better: 'higher', scale: 'fixed', slack: 0.05 },
      how: `Postgres CPU per staged row in the ceiling of this run (${ceilingPgUsPerRow} µs) over Postgres CPU per tracked video (${us.postgres} µs: the job's lease check and completion statement, and its share of the dispatch's claim); ${where}`,
    },
    {
      name: 'worker VmHWM, shipped defaults, 2 workers',
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
      how: `CPU seconds (utime + stime from /proc) of ${k === 'workers' ? 'the worker processes' : `every ${k} server process`} during the run over videos tracked; ${where}; all roles: ${JSON.stringify(us)}`,
    })),
  ];
}
