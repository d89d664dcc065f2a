import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Simulator } from '@pleiades/youtube-simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Context } from '../app/context.ts';
import { dashboardDeps } from '../app/system.ts';
import { type RunningDashboard, startDashboard } from '../dashboard/server.ts';
import { installSchedulers, removeSchedulers, scheduleEvery } from '../queues/schedulers.ts';
import { hydraKeys } from '../src/hydra/redis-keys.ts';
import { silentLogger } from '../src/log.ts';
import { jobDurationKey } from '../src/metrics/job-durations.ts';
import { checkRedis, dataNodes, isCluster, redisTarget } from '../src/redis.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { drain } from './helpers/queues.ts';
import { type OwnCluster, onNode, startRedisCluster } from './helpers/redis-topologies.ts';
import {
  expectEachVideoVaultedOnce,
  expectEveryJobDoneOnce,
  startTracking,
  startWorkerRig,
  stopWorkers,
} from './helpers/restart.ts';

/**
 * Pleiades on a Redis Cluster of three masters that the test starts itself (127.0.0.1, free ports):
 * queues, job schedulers, Hydra's Lua scripts and the dashboard work, and two real worker processes
 * track 3,000 videos in 60 jobs with none lost and none twice (docs/deploy.md, "Redis topologies").
 */
let db: TestDatabase;
let sim: Simulator;
let cluster: OwnCluster;
let ctx: Context;
let dir: string;
let env: Record<string, string>;
let dashboard: RunningDashboard | undefined;
const PREFIX = '{pleiades}';
const KEYS = ['AIzaSy-redis-cluster-key-one-0000000', 'AIzaSy-redis-cluster-key-two-0000000'];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pleiades-redis-cluster-'));
  cluster = await startRedisCluster(dir);
  db = await createTestDatabase();
  ({ sim, env, ctx } = await startWorkerRig({
    keys: KEYS,
    databaseUrl: db.url,
    // Only the credentials of the URL are used with a cluster: where to connect is REDIS_CLUSTER_NODES.
    redisUrl: 'redis://127.0.0.1:6379',
    prefix: PREFIX,
    dir,
    env: { REDIS_CLUSTER_NODES: cluster.nodes },
  }));
}, 240_000);
afterAll(async () => {
  await dashboard?.close();
  await ctx?.close();
  await sim?.close();
  await cluster?.stop();
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 120_000);

const slot = (key: string) => onNode(cluster.ports[0]!, (r) => r.cluster('KEYSLOT', key) as Promise<number>);

describe('Pleiades on a Redis Cluster of three masters', () => {
  it('connects as a cluster client, and every multi-key script has its keys in one hash slot', async () => {
    expect(isCluster(ctx.redis)).toBe(true);
    expect(dataNodes(ctx.redis)).toHaveLength(3);
    // What `pleiades doctor` asks.
    expect(await checkRedis(redisTarget(ctx.deps.config))).toMatchObject({ ok: true });
    // Hydra's scripts: acquire.lua and exhaust.lua take the state hash and a day's usage hash.
    const hydra = hydraKeys(PREFIX);
    const keys = [hydra.state, hydra.used('2026-11-29'), hydra.roster, hydra.rps];
    // BullMQ's keys for a queue, and the job-duration histograms.
    keys.push(`${PREFIX}:tracker:wait`, `${PREFIX}:tracker:meta`, `${PREFIX}:vault-flush:events`);
    keys.push(jobDurationKey(PREFIX, 'tracker'));
    const slots = new Set(await Promise.all(keys.map(slot)));
    expect(slots.size).toBe(1);
    // A key without the hash tag would land elsewhere: the tag, not luck, keeps them together.
    expect(await slot('pleiades:tracker:wait')).not.toBe([...slots][0]);
  });

  it('installs the job schedulers idempotently', async () => {
    const every = scheduleEvery(ctx.deps.config);
    const names = Object.keys(every) as (keyof typeof every)[];
    expect(names.length).toBeGreaterThan(3);
    await installSchedulers(ctx.queues, ctx.deps.config);
    await installSchedulers(ctx.queues, ctx.deps.config);
    for (const name of names) {
      const schedulers = await ctx.queues.get(name).getJobSchedulers();
      expect(
        schedulers.map((s) => s.key),
        name,
      ).toEqual([name]);
      // The scheduler put its next run in the queue (delayed or waiting).
      const c = await ctx.queues.get(name).getJobCounts('delayed', 'waiting', 'prioritized');
      expect(
        Object.values(c).reduce((a, b) => a + b, 0),
        name,
      ).toBeGreaterThan(0);
    }
    await removeSchedulers(ctx.queues, ctx.deps.config);
    for (const name of names) expect(await ctx.queues.get(name).getJobSchedulers(), name).toEqual([]);
    for (const name of names) await ctx.queues.get(name).obliterate({ force: true });
  }, 120_000);

  it('tracks a watchlist through two worker processes: 0 jobs lost, 0 snapshots lost or twice', async () => {
    const commands = () =>
      Promise.all(
        cluster.ports.map((p) =>
          onNode(p, async (r) => Number(/total_commands_processed:(\d+)/.exec(await r.info('stats'))?.[1])),
        ),
      );
    const before = await commands();
    const { tracker, workers } = await startTracking({ sim, env, ctx }, env, 180_000);
    try {
      await drain(ctx.queues, ['tracker'], 240_000);
      for (const w of workers) expect(w.exitCode, w.output()).toBe(null);
      // Every due video once: none lost, none duplicated.
      await expectEveryJobDoneOnce(tracker, ctx, sim);
      // Hydra's Lua charged each call to a key in the cluster: 60 units over the pool.
      const used = (await ctx.hydra.keys()).reduce((n, k) => n + k.unitsUsed, 0);
      expect(used).toBe(60);
      await expectEachVideoVaultedOnce(ctx);
      // One hash tag, one slot: every Pleiades key is on one master (docs/deploy.md says why).
      const perNode = await Promise.all(
        cluster.ports.map((p) =>
          onNode(p, async (r) => (await r.scan('0', 'MATCH', `${PREFIX}*`, 'COUNT', 100_000))[1].length),
        ),
      );
      const after = await commands();
      // A figure for docs/deploy.md, not an assertion: commands each master served during the run.
      console.log(
        `Pleiades keys per cluster master after tracking: ${perNode.join(', ')}; commands served per master: ${after.map((a, i) => a - before[i]!).join(', ')}`,
      );
      expect(perNode.filter((n) => n > 0)).toHaveLength(1);
    } finally {
      await stopWorkers(workers);
    }
  }, 300_000);

  it('serves the dashboard from the cluster: health, queues, metrics, Bull Board, enqueueing', async () => {
    dashboard = await startDashboard(dashboardDeps(ctx, ctx.deps.config, silentLogger), {
      port: 0,
      host: '127.0.0.1',
    });
    const get = (path: string) => fetch(`${dashboard!.url}${path}`);
    const health = (await (await get('/api/health')).json()) as {
      checks: Record<string, { status: string }>;
    };
    expect(health.checks.redis?.status).toBe('ok');
    const queues = (await (await get('/api/queues')).json()) as {
      queues: { name: string; counts: Record<string, number> }[];
    };
    expect(queues.queues.find((q) => q.name === 'tracker')?.counts.completed).toBe(60);
    const metrics = await get('/metrics');
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('tracker');
    expect((await get('/queues')).status).toBe(200);
    const post = await fetch(`${dashboard.url}/api/jobs/janitor`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(post.status).toBe(202);
    expect(await ctx.queues.get('janitor').getJobCounts('waiting')).toEqual({ waiting: 1 });
  }, 120_000);
});
