import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Simulator } from '@pleiades/youtube-simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Context } from '../app/context.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { drain } from './helpers/queues.ts';
import { freePort, type OwnRedis, ownRedis } from './helpers/reliability.ts';
import {
  expectEachVideoVaultedOnce,
  expectEveryJobDoneOnce,
  startTracking,
  startWorkerRig,
  stopWorkers,
} from './helpers/restart.ts';

/**
 * Redis goes away while two real worker processes track a watchlist, and comes back (a Redis of the
 * test's own, with AOF, stopped and started on the same port and directory). The workers reconnect
 * by themselves; no job is lost, every due video is tracked once, and YouTube is asked once per batch.
 */
let db: TestDatabase;
let sim: Simulator;
let redis: OwnRedis;
let ctx: Context;
let dir: string;
let env: Record<string, string>;
const KEYS = ['AIzaSy-redis-restart-key-one-000000', 'AIzaSy-redis-restart-key-two-000000'];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pleiades-redis-restart-'));
  redis = ownRedis(join(dir), await freePort());
  await redis.start();
  db = await createTestDatabase();
  ({ sim, env, ctx } = await startWorkerRig({
    keys: KEYS,
    databaseUrl: db.url,
    redisUrl: redis.url,
    prefix: '{pleiades}',
    dir,
  }));
});
afterAll(async () => {
  await ctx?.close();
  await sim?.close();
  await redis?.stop();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a Redis restart while workers run', () => {
  it('loses no job: the workers reconnect by themselves and every due video is tracked once', async () => {
    const { tracker, workers } = await startTracking({ sim, env, ctx });
    try {
      await redis.stop();
      // Down for three seconds: the workers' calls finish, their acknowledgements cannot be written.
      await new Promise((r) => setTimeout(r, 3000));
      await redis.start();
      await drain(ctx.queues, ['tracker'], 60_000);
      for (const w of workers) {
        expect(w.exitCode, w.output()).toBe(null);
        // What they said during the outage went to the JSON log, not raw to stderr.
        const lines = w.output().split('\n').slice(1).filter(Boolean);
        expect(
          lines.filter((l) => !l.startsWith('{')),
          w.output(),
        ).toEqual([]);
      }
      // Every job survived the restart (AOF) and finished: none lost, none twice; a job run again
      // after the outage found its batch done (the fence) and did not call YouTube.
      await expectEveryJobDoneOnce(tracker, ctx, sim);
      const scheduled = await ctx.pool.query(
        'SELECT count(DISTINCT v)::int AS n FROM (SELECT unnest(video_ids) AS v FROM watchlist_schedule) x',
      );
      expect(scheduled.rows[0].n).toBe(3000);
      await expectEachVideoVaultedOnce(ctx);
    } finally {
      await stopWorkers(workers);
    }
  });
});
