import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Simulator, startSimulator } from '@pleiades/youtube-simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueues, type QueueSet } from '../queues/index.ts';
import { scheduleEvery } from '../queues/schedulers.ts';
import { DAY_MS } from '../src/clock.ts';
import { type Config, loadConfig } from '../src/config/index.ts';
import { recordedFlushRanges } from '../src/dao/vault-flushes.ts';
import { silentLogger } from '../src/log.ts';
import { createVault } from '../src/vault/index.ts';
import { verifyVault } from '../src/vault/verify.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { exited, spawnPleiades, waitFor, workerProcessEnv } from './helpers/processes.ts';
import { failedJobs } from './helpers/queues.ts';
import { createTestRedis, type TestRedis } from './helpers/redis.ts';
import { served, stagedCounts, vaultMetrics, watchWorldVideos } from './helpers/reliability.ts';

/**
 * The long-running processes killed with SIGKILL: the scheduler, and `pleiades start` (everything in
 * one process) in the middle of its work. Schedules live in Redis and claims in Postgres, so nothing
 * depends on the killed process: work resumes on its own, and no snapshot is lost or doubled.
 */

const WORLD = { videosPerDay: 2000, historyDays: 30, deletedFraction: 0, privateFraction: 0 };
const KEYS = ['AIzaSy-process-kill-key-one-0000000', 'AIzaSy-process-kill-key-two-0000000'];

interface Setup {
  db: TestDatabase;
  redis: TestRedis;
  sim: Simulator;
  dir: string;
  env: Record<string, string>;
  config: Config;
  queues: QueueSet;
  close(): Promise<void>;
}

async function setup(latencyMs: number, extra: Record<string, string>): Promise<Setup> {
  const db = await createTestDatabase();
  const redis = await createTestRedis();
  const sim = await startSimulator({ keys: KEYS, faults: { latencyMs }, world: WORLD });
  const dir = mkdtempSync(join(tmpdir(), 'pleiades-kill-'));
  const env = {
    ...workerProcessEnv({
      databaseUrl: db.url,
      redisUrl: redis.url,
      prefix: redis.prefix,
      vaultDir: join(dir, 'vault'),
      keys: KEYS,
      simulatorUrl: sim.url,
      lockMs: 2000,
    }),
    TRACKER_DISPATCH_EVERY_S: '1',
    TRACKER_LEASE_S: '120',
    ...extra,
  };
  const config = loadConfig(env, { dotenvPath: false });
  const queues = createQueues({ redisUrl: redis.url, prefix: redis.prefix });
  // No search query is due: only the watchlist the test gives makes work (`start` seeds an empty queue).
  await db.pool.query(
    `INSERT INTO search_queue (query, query_norm, state) VALUES ('off', 'off', 'disabled')`,
  );
  return {
    db,
    redis,
    sim,
    dir,
    env,
    config,
    queues,
    async close() {
      await queues.close();
      await sim.close();
      await redis.cleanup();
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const schedulers = async (queues: QueueSet, config: Config) => {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(scheduleEvery(config)) as (keyof ReturnType<typeof scheduleEvery>)[]) {
    const list = await queues.get(name).getJobSchedulers();
    for (const s of list) out[`${name}/${s.key}`] = s.every === undefined ? s.pattern : Number(s.every);
  }
  return out;
};

describe('the scheduler killed with SIGKILL', () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setup(50, {});
  });
  afterAll(async () => {
    await s?.close();
  });

  it('leaves its schedules in Redis; the workers go on dispatching and tracking without it', async () => {
    const expected = Object.fromEntries(
      Object.entries(scheduleEvery(s.config)).map(([name, every]) => [`${name}/${name}`, every]),
    );
    const scheduler = spawnPleiades(['scheduler', '--keep-running'], s.env);
    await waitFor('the schedulers', async () => {
      const now = await schedulers(s.queues, s.config);
      return Object.keys(now).length === Object.keys(expected).length;
    });
    scheduler.kill('SIGKILL');
    expect(await exited(scheduler)).toBe(null);
    expect(scheduler.signalCode).toBe('SIGKILL');
    expect(await schedulers(s.queues, s.config)).toEqual(expected);

    const now = Date.now();
    await watchWorldVideos(s.db.pool, s.sim.world, now, 1000, now - 20 * DAY_MS, now - DAY_MS);
    const worker = spawnPleiades(['worker', '--queues', 'tracker-dispatch,tracker'], s.env);
    try {
      // Nobody but the schedules in Redis starts tracker-dispatch jobs now.
      await waitFor(
        'every due video tracked',
        async () => (await stagedCounts(s.db.pool)).rows >= 1000,
        40_000,
      );
      expect(await stagedCounts(s.db.pool)).toEqual({ rows: 1000, videos: 1000, maxPerVideo: 1 });
      expect(await failedJobs(s.queues, ['tracker-dispatch', 'tracker'])).toEqual([]);
      expect(served(s.sim.stats(), 'videos.list').ok).toBe(20);
      // A scheduler started again (or ten of them) leaves one schedule per queue.
      const again = spawnPleiades(['scheduler'], s.env);
      expect(await exited(again), again.output()).toBe(0);
      expect(await schedulers(s.queues, s.config)).toEqual(expected);
    } finally {
      worker.kill('SIGTERM');
      expect(await exited(worker), worker.output()).toBe(0);
    }
  });
});

describe('`pleiades start` killed with SIGKILL in the middle of its work', () => {
  let s: Setup;
  beforeAll(async () => {
    // Slow answers and two lanes: the batches take seconds, so the kill finds some in flight. Staged
    // rows are flushed to the vault as soon as they are a second old, so flushes run throughout too.
    s = await setup(300, { WORKER_CONCURRENCY: '2', VAULT_FLUSH_INTERVAL_S: '1' });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('starts again and finishes: every snapshot once, in staging or the vault', async () => {
    const vault = createVault(s.config, silentLogger);
    const tracked = async () => {
      const rows = await vaultMetrics(vault.provider);
      const staged = await stagedCounts(s.db.pool);
      return { vault: rows.length, vaultVideos: new Set(rows.map((r) => r.video_id)).size, staged };
    };
    const now = Date.now();
    await watchWorldVideos(s.db.pool, s.sim.world, now, 2000, now - 20 * DAY_MS, now - DAY_MS);
    const tracker = s.queues.get('tracker');
    const first = spawnPleiades(['start'], s.env);
    try {
      // Killed once every batch is claimed and queued (so no claim waits for its lease to lapse), some
      // are done and others in flight.
      await waitFor(
        'batches queued, some done',
        async () => {
          const c = await tracker.getJobCounts();
          const all = Object.values(c).reduce((a, b) => a + b, 0);
          const t = await tracked();
          return all === 40 && c.active! > 0 && t.vault + t.staged.rows >= 300;
        },
        40_000,
      );
    } finally {
      first.kill('SIGKILL');
    }
    expect(await exited(first)).toBe(null);
    const atKill = await tracked();
    expect(atKill.vault + atKill.staged.rows).toBeLessThan(2000);
    expect(Object.keys(await schedulers(s.queues, s.config)).length).toBe(
      Object.keys(scheduleEvery(s.config)).length,
    );

    const second = spawnPleiades(['start'], s.env);
    try {
      await waitFor(
        'everything tracked and flushed',
        async () => {
          const t = await tracked();
          return t.staged.rows === 0 && t.vault >= 2000;
        },
        50_000,
      );
      const t = await tracked();
      expect(t).toEqual({ vault: 2000, vaultVideos: 2000, staged: { rows: 0, videos: 0, maxPerVideo: 0 } });
      // The integrity audit (`pleiades vault verify`) agrees: no key twice, every file recorded.
      const audit = await verifyVault(vault.provider, await recordedFlushRanges(s.db.pool));
      expect(audit.totals).toMatchObject({ duplicates: 0, unrecorded: 0 });
      const metricsRows = audit.days.filter((d) => d.table === 'metrics').reduce((a, d) => a + d.rows, 0);
      expect(metricsRows).toBe(2000);
      expect(await failedJobs(s.queues, ['tracker', 'tracker-dispatch', 'vault-flush'])).toEqual([]);
      expect(await tracker.getJobCounts('completed', 'waiting', 'active', 'delayed')).toEqual({
        completed: 40,
        waiting: 0,
        active: 0,
        delayed: 0,
      });
      // Only batches in flight at the kill may have asked YouTube twice (two lanes).
      const ok = served(s.sim.stats(), 'videos.list').ok;
      expect(ok).toBeGreaterThanOrEqual(40);
      expect(ok).toBeLessThanOrEqual(42);
    } finally {
      second.kill('SIGTERM');
      expect(await exited(second), second.output()).toBe(0);
    }
  }, 90_000); // two boots of the whole system: ~15 s, more on a busy machine
});
