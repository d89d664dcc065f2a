import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Simulator, startSimulator } from '@pleiades/youtube-simulator';
import { keyFingerprint } from '@pleiades/youtube-simulator/fingerprint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Context, createContext } from '../app/context.ts';
import { serverCpu } from '../bench/procs.ts';
import { DAY_MS } from '../src/clock.ts';
import { loadConfig } from '../src/config/index.ts';
import { addToWatchlist } from '../src/dao/watchlist.ts';
import { silentLogger } from '../src/log.ts';
import { dispatchTracker } from '../workers/tracker-dispatch.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { exited, spawnPleiades, waitFor } from './helpers/processes.ts';
import { createTestRedis, type TestRedis } from './helpers/redis.ts';

/**
 * Horizontal scaling: 1, then 2, then 4 real `pleiades worker --queues tracker` processes each work a
 * full cycle of a watchlist of 100,000 due videos (the same videos, in a fresh database per process
 * count so that every count starts alike) through one Redis, one Postgres server and one key pool.
 * Every cycle tracks every due video exactly once, and the key pool's quota is shared by all the
 * processes of all the cycles: what the simulator charged stays within the pool's daily quota and
 * matches Hydra's own count, kept in Redis for every process.
 */
const VIDEOS = 100_000;
const PROCESS_COUNTS = [1, 2, 4];
const KEYS = ['scale-key-aaaaaaaaaaaaaaaa', 'scale-key-bbbbbbbbbbbbbbbb', 'scale-key-cccccccccccccccc'];
// Three cycles of 2,000 calls (50 ids each) need 6,000 units: the pool has 7,500, so quota is not the
// bottleneck, but a process that spent outside the shared count would show.
const UNITS_PER_KEY = 2_500;

const dbs: TestDatabase[] = [];
let redis: TestRedis;
let sim: Simulator;
let vaultDir: string;
let ids: string[];
const contexts: Context[] = [];

beforeAll(async () => {
  redis = await createTestRedis();
  vaultDir = mkdtempSync(join(tmpdir(), 'pleiades-scaling-'));
  sim = await startSimulator({
    keys: KEYS,
    unitsQuota: UNITS_PER_KEY,
    world: { videosPerDay: 10_000, historyDays: 30, deletedFraction: 0, privateFraction: 0 },
  });
  ids = sim.world.videoIdsPublishedBetween(Date.now() - 25 * DAY_MS, Date.now() - DAY_MS, VIDEOS);
  expect(ids.length).toBe(VIDEOS);
}, 60_000);

afterAll(async () => {
  for (const ctx of contexts) await ctx.close();
  await sim?.close();
  await redis?.cleanup();
  for (const db of dbs) await db.drop();
  rmSync(vaultDir, { recursive: true, force: true });
});

/** CPU seconds used so far by a process (utime + stime from /proc; 100 ticks a second on Linux). */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0; // it ended meanwhile
  }
}

/** A database with the watchlist, all due now, and this process's view of the system on it. */
async function setUp(): Promise<{ ctx: Context; env: Record<string, string> }> {
  const db = await createTestDatabase();
  dbs.push(db);
  const env = {
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    REDIS_PREFIX: redis.prefix,
    VAULT_DIR: vaultDir,
    YOUTUBE_API_KEY_POOL_JSON: JSON.stringify(KEYS),
    YOUTUBE_API_ROOT: sim.url,
    HYDRA_UNITS_QUOTA: String(UNITS_PER_KEY),
    // YouTube's per-key rate is not what this test measures.
    HYDRA_KEY_RPS: '1000',
    WORKER_CONCURRENCY: '16',
    DATABASE_POOL_MAX: '8',
    LOG_LEVEL: 'info',
  };
  const ctx = await createContext(loadConfig(env, { dotenvPath: false }), silentLogger, {
    simulator: false,
    events: false,
  });
  contexts.push(ctx);
  const now = Date.now();
  for (let i = 0; i < ids.length; i += 10_000)
    await addToWatchlist(
      ctx.pool,
      ids
        .slice(i, i + 10_000)
        .map((id) => ({ id, publishedAt: sim.world.publishedAt(sim.world.indexOf(id)) })),
      now,
    );
  return { ctx, env };
}

async function startWorkers(
  n: number,
  env: Record<string, string>,
): Promise<ReturnType<typeof spawnPleiades>[]> {
  const procs = Array.from({ length: n }, () => spawnPleiades(['worker', '--queues', 'tracker'], env));
  for (const p of procs)
    await waitFor('a worker to start', async () => {
      if (p.exitCode !== null) throw new Error(`worker exited: ${p.output()}`);
      return p.output().includes('worker running');
    });
  return procs;
}

/** One cycle: dispatch every due video (as the scheduler would, 2,000 batches at a time) and drain. */
async function cycle(ctx: Context): Promise<{ videos: number; seconds: number }> {
  const deps = ctx.deps;
  const tracker = ctx.queues.get('tracker');
  let videos = 0;
  const t0 = performance.now();
  for (;;) {
    const d = await dispatchTracker(deps, { maxJobs: 2000 });
    videos += d.videos;
    const c = await tracker.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    if (d.jobs === 0 && Object.values(c).every((n) => n === 0)) break;
    if (d.jobs === 0) await new Promise((r) => setTimeout(r, 20));
  }
  return { videos, seconds: (performance.now() - t0) / 1000 };
}

describe('tracker workers scale out across processes', () => {
  it('tracks every due video exactly once per cycle with 1, 2 and 4 processes, sharing the quota', async () => {
    const rows: { procs: number; videos: number; seconds: number; cpu: Record<string, number> }[] = [];
    for (const procs of PROCESS_COUNTS) {
      const { ctx, env } = await setUp();
      const workers = await startWorkers(procs, env);
      try {
        const cpu0 = { workers: 0, test: cpuSeconds(process.pid), ...serverCpu() };
        const r = await cycle(ctx);
        const server = serverCpu();
        // CPU seconds per role over the cycle (the simulator runs in this test's process).
        const cpu = {
          workers: workers.reduce((a, w) => a + cpuSeconds(w.pid!), 0),
          'test + simulator': cpuSeconds(process.pid) - cpu0.test,
          postgres: server.postgres - cpu0.postgres,
          redis: server.redis - cpu0.redis,
        };
        expect(r.videos).toBe(VIDEOS);
        rows.push({ procs, ...r, cpu });
      } finally {
        for (const w of workers) w.kill('SIGTERM');
        for (const w of workers) expect(await exited(w), w.output()).toBe(0);
      }
      // Every due video has exactly one snapshot from this cycle: none lost, none twice.
      const s = await ctx.pool.query(
        'SELECT count(*)::int AS snapshots, count(DISTINCT video_id)::int AS videos FROM staging',
      );
      expect(s.rows[0]).toEqual({ snapshots: VIDEOS, videos: VIDEOS });
      expect((await ctx.queues.get('tracker').getFailed()).map((j) => j.failedReason)).toEqual([]);
      // Nothing is due again until the next cycle.
      expect((await dispatchTracker(ctx.deps)).videos).toBe(0);
      // The next database numbers its batches alike, and a tracker job's id comes from its claim: the
      // finished jobs of this cycle go, or BullMQ would take the next cycle's jobs for duplicates.
      await ctx.queues.get('tracker').obliterate({ force: true });
    }

    // The quota: what YouTube (the simulator) charged, per key, is within each key's daily quota,
    // nothing met quotaExceeded, and Hydra's shared count (Redis) saw every unit any process spent.
    const stats = sim.stats();
    const charged = new Map<string, number>();
    for (const [fp, days] of Object.entries(stats.keys))
      for (const d of Object.values(days)) {
        charged.set(fp, (charged.get(fp) ?? 0) + d.units);
        expect(d.units).toBeLessThanOrEqual(UNITS_PER_KEY);
        expect(d.errors.quotaExceeded ?? 0).toBe(0);
      }
    const total = [...charged.values()].reduce((a, b) => a + b, 0);
    expect(total).toBeLessThanOrEqual(KEYS.length * UNITS_PER_KEY);
    // One unit per call of (nearly always) 50 ids: a few calls take the ends of the watchlist's batches.
    expect(total).toBeGreaterThanOrEqual((VIDEOS / 50) * PROCESS_COUNTS.length);
    expect(total).toBeLessThanOrEqual((VIDEOS / 50 + 10) * PROCESS_COUNTS.length);
    const hydraCount = new Map((await contexts[0]!.hydra.keys()).map((k) => [k.fingerprint, k.unitsUsed]));
    for (const key of KEYS) {
      const fp = keyFingerprint(key);
      expect(charged.get(fp), 'every key of the pool is used').toBeGreaterThan(0);
      expect(hydraCount.get(fp)).toBe(charged.get(fp));
    }

    const base = rows[0]!.videos / rows[0]!.seconds;
    console.log(
      [
        'tracker throughput per worker process count (100,000 videos a cycle, concurrency 16 each):',
        '| processes | seconds | videos/s | vs 1 process | CPU s over the cycle |',
        '|---|---|---|---|---|',
        ...rows.map(
          (r) =>
            `| ${r.procs} | ${r.seconds.toFixed(1)} | ${Math.round(r.videos / r.seconds)} | ${(r.videos / r.seconds / base).toFixed(2)}× | ${Object.entries(
              r.cpu,
            )
              .map(([k, v]) => `${k} ${v.toFixed(1)}`)
              .join(', ')} |`,
        ),
      ].join('\n'),
    );
  }, 170_000);
});
