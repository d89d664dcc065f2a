import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Simulator } from '@pleiades/youtube-simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Context } from '../app/context.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { drain } from './helpers/queues.ts';
import { createTestRedis, type TestRedis } from './helpers/redis.ts';
import { type CuttableProxy, served, stagedCounts, startCuttableProxy } from './helpers/reliability.ts';
import { expectEachVideoVaultedOnce, startTracking, startWorkerRig, stopWorkers } from './helpers/restart.ts';

/**
 * The workers lose Postgres for a while: a TCP proxy between them and the server drops every open
 * connection and refuses new ones for three seconds, as a restart or a failover of the database does.
 * The workers recover by themselves; nothing is lost and nothing is stored twice.
 */
let db: TestDatabase;
let redis: TestRedis;
let sim: Simulator;
let proxy: CuttableProxy;
let ctx: Context;
let dir: string;
let env: Record<string, string>;
const KEYS = ['AIzaSy-pg-restart-key-one-000000000', 'AIzaSy-pg-restart-key-two-000000000'];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pleiades-pg-restart-'));
  db = await createTestDatabase();
  redis = await createTestRedis();
  const pgPort = Number(new URL(db.url).port || 5432);
  proxy = await startCuttableProxy(pgPort, new URL(db.url).hostname);
  // The test itself reaches Postgres directly; only the workers go through the proxy.
  ({ sim, env, ctx } = await startWorkerRig({
    keys: KEYS,
    databaseUrl: db.url,
    redisUrl: redis.url,
    prefix: redis.prefix,
    dir,
  }));
});
afterAll(async () => {
  await ctx?.close();
  await sim?.close();
  await proxy?.close();
  await redis?.cleanup();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('Postgres connections lost while workers run', () => {
  it('the workers recover by themselves: every due video tracked once, no job failed', async () => {
    const workerEnv = { ...env, DATABASE_URL: proxy.url(db.url) };
    const { tracker, workers } = await startTracking({ sim, env, ctx }, workerEnv);
    try {
      const before = proxy.accepted();
      proxy.cut();
      await new Promise((r) => setTimeout(r, 3000));
      proxy.restore();
      await drain(ctx.queues, ['tracker'], 60_000);
      for (const w of workers) expect(w.exitCode, w.output()).toBe(null);
      // The workers opened new connections once Postgres was back.
      expect(proxy.accepted()).toBeGreaterThan(before);
      expect((await tracker.getFailed()).map((j) => j.failedReason)).toEqual([]);
      const done = await tracker.getCompleted(0, 1000);
      expect(done.length).toBe(60);
      expect(await stagedCounts(ctx.pool)).toEqual({ rows: 3000, videos: 3000, maxPerVideo: 1 });
      // Some batches failed an attempt during the outage and were retried; only those may have asked
      // YouTube again, and each retry at most once.
      const retries = done.reduce((a, j) => a + Math.max(0, j.attemptsMade - 1), 0);
      expect(retries).toBeGreaterThan(0);
      const ok = served(sim.stats(), 'videos.list').ok;
      expect(ok).toBeGreaterThanOrEqual(60);
      expect(ok).toBeLessThanOrEqual(60 + retries);
      const scheduled = await ctx.pool.query(
        'SELECT count(*)::int AS n, count(DISTINCT v)::int AS d FROM (SELECT unnest(video_ids) AS v FROM watchlist_schedule) x',
      );
      expect(scheduled.rows[0]).toEqual({ n: 3000, d: 3000 });
      await expectEachVideoVaultedOnce(ctx);
    } finally {
      await stopWorkers(workers);
    }
  });
});
