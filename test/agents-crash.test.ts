import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Simulator, startSimulator } from '@pleiades/youtube-simulator';
import { QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Context, createContext } from '../app/context.ts';
import { DAY_MS } from '../src/clock.ts';
import { loadConfig } from '../src/config/index.ts';
import { addToWatchlist } from '../src/dao/watchlist.ts';
import { silentLogger } from '../src/log.ts';
import { readParquetRows } from '../src/vault/parquet.ts';
import { dispatchTracker } from '../workers/tracker-dispatch.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { exited, spawnPleiades, waitFor, workerProcessEnv } from './helpers/processes.ts';
import { drain } from './helpers/queues.ts';
import { createTestRedis, type TestRedis } from './helpers/redis.ts';

/**
 * Two real worker processes; one is killed with SIGKILL in the middle of its batches. Every due video
 * is still tracked, and no (video, snapshot time) reaches the vault twice.
 */
let db: TestDatabase;
let redis: TestRedis;
let sim: Simulator;
let ctx: Context;
let vaultDir: string;
let env: Record<string, string>;
const KEYS = ['crash-key-aaaaaaaaaaaa', 'crash-key-bbbbbbbbbbbb'];

beforeAll(async () => {
  db = await createTestDatabase();
  redis = await createTestRedis();
  vaultDir = mkdtempSync(join(tmpdir(), 'pleiades-crash-'));
  // Each videos.list call takes 150 ms, so a worker always has batches in flight when it is killed.
  sim = await startSimulator({
    keys: KEYS,
    faults: { latencyMs: 150 },
    world: { videosPerDay: 2000, historyDays: 30, deletedFraction: 0, privateFraction: 0 },
  });
  env = workerProcessEnv({
    databaseUrl: db.url,
    redisUrl: redis.url,
    prefix: redis.prefix,
    vaultDir,
    keys: KEYS,
    simulatorUrl: sim.url,
    lockMs: 2000,
    concurrency: 4,
  });
  ctx = await createContext(loadConfig(env, { dotenvPath: false }), silentLogger, { simulator: false });
});
afterAll(async () => {
  await ctx?.close();
  await sim?.close();
  await redis?.cleanup();
  await db?.drop();
  rmSync(vaultDir, { recursive: true, force: true });
});

describe('a worker killed mid-batch', () => {
  it('loses no due video and duplicates no snapshot', async () => {
    const now = Date.now();
    const ids = sim.world.videoIdsPublishedBetween(now - 20 * DAY_MS, now - DAY_MS, 3000);
    expect(ids.length).toBe(3000);
    await addToWatchlist(
      ctx.pool,
      ids.map((id) => ({ id, publishedAt: sim.world.publishedAt(sim.world.indexOf(id)) })),
      now,
    );
    const events = new QueueEvents('tracker', {
      connection: {
        host: new URL(redis.url).hostname,
        port: Number(new URL(redis.url).port || 6379),
        db: Number(new URL(redis.url).pathname.slice(1) || 0),
      },
      prefix: redis.prefix,
    });
    await events.waitUntilReady();
    let stalled = 0;
    events.on('stalled', () => stalled++);
    const a = spawnPleiades(['worker', '--queues', 'tracker'], env);
    let b: ReturnType<typeof spawnPleiades> | null = null;
    try {
      const dispatched = await dispatchTracker(ctx.deps);
      expect(dispatched.videos).toBe(3000);
      const tracker = ctx.queues.get('tracker');
      // A alone works the queue; kill it while it has batches running, after some completed; then B starts.
      await waitFor('jobs completing', async () => {
        const c = await tracker.getJobCounts('completed', 'active');
        return c.completed! >= 8 && c.active! > 0;
      });
      a.kill('SIGKILL');
      expect(await exited(a)).toBe(null);
      b = spawnPleiades(['worker', '--queues', 'tracker'], env);
      await drain(ctx.queues, ['tracker'], 90_000);
      // The killed worker had batches in flight: BullMQ found them stalled and the other worker took them.
      expect(stalled).toBeGreaterThan(0);
      expect((await tracker.getCompleted(0, 10_000)).filter((j) => j.stalledCounter > 0).length).toBe(
        stalled,
      );
      const staged = await ctx.pool.query(
        'SELECT count(*)::int AS n, count(DISTINCT video_id)::int AS v FROM staging',
      );
      expect(staged.rows[0]).toEqual({ n: 3000, v: 3000 });
      expect((await tracker.getFailed()).map((j) => j.failedReason)).toEqual([]);
      // Flush and read the vault back with an independent reader.
      await ctx.deps.vault.flush(ctx.pool, { clock: ctx.deps.clock, force: true });
      const rows: { video_id: string }[] = [];
      for (const day of readdirSync(join(vaultDir, 'metrics')))
        for (const f of readdirSync(join(vaultDir, 'metrics', day)).filter((x) => x.endsWith('.parquet'))) {
          // hyparquet: a reader independent of the writer (@dsnp/parquetjs)
          rows.push(
            ...((await readParquetRows(readFileSync(join(vaultDir, 'metrics', day, f)))) as {
              video_id: string;
            }[]),
          );
        }
      expect(rows.length).toBe(3000);
      expect(new Set(rows.map((r) => r.video_id)).size).toBe(3000);
    } finally {
      await events.close();
      a.kill('SIGKILL');
      if (b) {
        b.kill('SIGTERM');
        expect(await exited(b), b.output()).toBe(0);
      }
    }
  });
});
