import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Simulator } from '@pleiades/youtube-simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Context } from '../app/context.ts';
import { dispatchTracker } from '../workers/tracker-dispatch.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { waitFor } from './helpers/processes.ts';
import { drain } from './helpers/queues.ts';
import { type OwnSentinelSet, onNode, startSentinelSet } from './helpers/redis-topologies.ts';
import { stagedCounts } from './helpers/reliability.ts';
import { expectEachVideoVaultedOnce, startTracking, startWorkerRig, stopWorkers } from './helpers/restart.ts';

/**
 * Pleiades through Redis Sentinel (a primary, a replica and three sentinels the test starts on local
 * ports): two real worker processes track 3,000 videos while the sentinels fail the primary over to
 * the replica. The workers follow the new primary by themselves; no snapshot is lost or written twice,
 * and no job fails (docs/deploy.md, "Redis topologies").
 */
let db: TestDatabase;
let sim: Simulator;
let set: OwnSentinelSet;
let ctx: Context;
let dir: string;
let env: Record<string, string>;
const KEYS = ['AIzaSy-redis-sentinel-key-one-000000', 'AIzaSy-redis-sentinel-key-two-000000'];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pleiades-redis-sentinel-'));
  set = await startSentinelSet(dir);
  db = await createTestDatabase();
  ({ sim, env, ctx } = await startWorkerRig({
    keys: KEYS,
    databaseUrl: db.url,
    // With sentinels, the URL gives only credentials: the sentinels say where the primary is.
    redisUrl: 'redis://127.0.0.1:6379',
    prefix: '{pleiades}',
    dir,
    // Slow answers and two jobs per worker: about 4 jobs a second, so the failover (a few seconds)
    // lands while most of the 60 jobs are still to do.
    latencyMs: 1000,
    concurrency: 2,
    env: {
      REDIS_SENTINELS: set.sentinels,
      REDIS_SENTINEL_NAME: set.name,
      // A batch whose job the failover lost comes back to dispatch when its lease lapses: 5 minutes,
      // far longer than the queue takes to drain (so a batch whose job merely waits is not claimed
      // again), short enough for the test to see a lost job recovered.
      TRACKER_LEASE_S: '300',
    },
  }));
}, 240_000);
afterAll(async () => {
  await ctx?.close();
  await sim?.close();
  await set?.stop();
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 120_000);

/**
 * A read of the test's own. Its connection is a client one (fail fast, by design: src/redis.ts) and
 * the failover closes connections (the sentinels CLIENT KILL the demoted primary's clients), so a read
 * that meets the switch is asked again; the workers, whose connections wait, are what is under test.
 */
async function settled<T>(read: () => Promise<T>): Promise<T> {
  const until = Date.now() + 60_000;
  for (;;) {
    try {
      return await read();
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

describe('Pleiades through Redis Sentinel', () => {
  it('a failover during tracking loses no job and no snapshot, and duplicates none', async () => {
    expect(await set.currentPrimary()).toBe(set.primaryPort);
    const { tracker, workers } = await startTracking({ sim, env, ctx }, env, 180_000);
    try {
      // The failover starts while jobs are still to do: what follows needs the new primary.
      const done = (await tracker.getJobCounts('completed')).completed!;
      expect(done).toBeLessThan(60);
      const newPrimary = await set.failover();
      expect(newPrimary).toBe(set.replicaPort);
      const doneAtSwitch = (await settled(() => tracker.getJobCounts('completed'))).completed!;
      // The queue data moved with the primary: the replica had it all.
      expect(await settled(() => onNode(newPrimary, (r) => r.exists('{pleiades}:tracker:meta')))).toBe(1);
      // As the scheduler would: dispatch again until every due video has its snapshot (a batch whose
      // job the failover lost is claimable again once its lease lapses).
      const until = Date.now() + 420_000;
      let redispatched = 0;
      for (;;) {
        const staged = await stagedCounts(ctx.pool).catch(() => null);
        if (staged?.videos === 3000) break;
        if (Date.now() > until) throw new Error(`only ${staged?.videos} of 3000 videos tracked`);
        redispatched += (await dispatchTracker(ctx.deps).catch(() => ({ jobs: 0 }))).jobs;
        await new Promise((r) => setTimeout(r, 2000));
      }
      await settled(() => drain(ctx.queues, ['tracker'], 120_000));
      // Figures for the note, not assertions: how far tracking was, and what dispatch had to redo.
      console.log(
        `sentinel failover: ${done} of 60 jobs done when it began, ${doneAtSwitch} when the replica was primary; ${redispatched} jobs dispatched again afterwards`,
      );
      for (const w of workers) expect(w.exitCode, w.output()).toBe(null);
      expect((await settled(() => tracker.getFailed())).map((j) => j.failedReason)).toEqual([]);
      expect(await settled(() => tracker.getJobCounts('failed', 'waiting', 'active', 'delayed'))).toEqual({
        failed: 0,
        waiting: 0,
        active: 0,
        delayed: 0,
      });
      // 0 lost, 0 duplicated: one snapshot per video, and every video scheduled for its next poll.
      expect(await stagedCounts(ctx.pool)).toEqual({ rows: 3000, videos: 3000, maxPerVideo: 1 });
      const scheduled = await ctx.pool.query(
        'SELECT count(DISTINCT v)::int AS n FROM (SELECT unnest(video_ids) AS v FROM watchlist_schedule) x',
      );
      expect(scheduled.rows[0].n).toBe(3000);
      await expectEachVideoVaultedOnce(ctx);
      // The sentinels still name the former replica; the old primary is turned into its replica.
      expect(await set.currentPrimary()).toBe(set.replicaPort);
      await waitFor(
        'the old primary to follow the new one',
        async () =>
          (await onNode(set.primaryPort, (r) => r.info('replication')).catch(() => '')).includes(
            'role:slave',
          ),
        120_000,
      );
    } catch (err) {
      // What the workers and the Redis processes said, to read a failure on a loaded machine by.
      for (const w of workers) console.error(`--- worker ${w.pid}\n${w.output()}`);
      console.error(set.output().slice(-8000));
      throw err;
    } finally {
      await stopWorkers(workers);
    }
  }, 600_000);
});
