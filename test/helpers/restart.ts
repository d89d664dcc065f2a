import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { type Simulator, startSimulator } from '@pleiades/youtube-simulator';
import type { Queue } from 'bullmq';
import { expect } from 'vitest';
import { type Context, createContext } from '../../app/context.ts';
import { DAY_MS } from '../../src/clock.ts';
import { loadConfig } from '../../src/config/index.ts';
import { silentLogger } from '../../src/log.ts';
import { dispatchTracker } from '../../workers/tracker-dispatch.ts';
import { exited, spawnPleiades, waitFor, workerProcessEnv } from './processes.ts';
import { served, stagedCounts, vaultMetrics, watchWorldVideos } from './reliability.ts';

/**
 * What the restart tests share (a dependency goes away while two real worker processes track a
 * watchlist): the rig, the start of the tracking, and the check that every video reached the vault
 * once.
 */

export interface WorkerRig {
  sim: Simulator;
  /** The environment of the worker processes. */
  env: Record<string, string>;
  /** The test's own connections (never through what the test cuts). */
  ctx: Context;
}

/** A simulator answering in 150 ms (so batches are always in flight), worker env, and a context. */
export async function startWorkerRig(o: {
  keys: string[];
  databaseUrl: string;
  redisUrl: string;
  prefix: string;
  dir: string;
  /** More settings for the workers and the context (e.g. REDIS_CLUSTER_NODES). */
  env?: Record<string, string>;
  /** How long the simulator takes to answer (default 150 ms) and jobs per worker (default 4). */
  latencyMs?: number;
  concurrency?: number;
}): Promise<WorkerRig> {
  const sim = await startSimulator({
    keys: o.keys,
    faults: { latencyMs: o.latencyMs ?? 150 },
    world: { videosPerDay: 2000, historyDays: 30, deletedFraction: 0, privateFraction: 0 },
  });
  const env = {
    ...workerProcessEnv({
      databaseUrl: o.databaseUrl,
      redisUrl: o.redisUrl,
      prefix: o.prefix,
      vaultDir: join(o.dir, 'vault'),
      keys: o.keys,
      simulatorUrl: sim.url,
      concurrency: o.concurrency ?? 4,
    }),
    ...o.env,
  };
  const ctx = await createContext(loadConfig(env, { dotenvPath: false }), silentLogger, {
    simulator: false,
    events: false,
  });
  return { sim, env, ctx };
}

/** 3,000 due videos in 60 tracker jobs, and two worker processes busy with them. */
export async function startTracking(
  rig: WorkerRig,
  workerEnv: Record<string, string> = rig.env,
  /** How long the workers may take to start and finish ten jobs (a loaded machine needs more). */
  startTimeoutMs = 30_000,
): Promise<{ tracker: Queue; workers: (ChildProcess & { output(): string })[] }> {
  const { ctx, sim } = rig;
  const now = Date.now();
  await watchWorldVideos(ctx.pool, sim.world, now, 3000, now - 20 * DAY_MS, now - DAY_MS);
  expect((await dispatchTracker(ctx.deps)).jobs).toBe(60);
  const tracker = ctx.queues.get('tracker');
  const workers = [1, 2].map(() => spawnPleiades(['worker', '--queues', 'tracker'], workerEnv));
  try {
    await waitFor(
      'jobs completing',
      async () => {
        const c = await tracker.getJobCounts('completed', 'active');
        return c.completed! >= 10 && c.active! > 0;
      },
      startTimeoutMs,
    );
  } catch (err) {
    for (const w of workers) w.kill('SIGKILL');
    throw err;
  }
  return { tracker, workers };
}

/** After a forced flush, the vault holds one metrics row for each of the 3,000 videos. */
/**
 * The rig's 60 jobs all completed and none failed or waits, each of the 3,000 videos staged once, and
 * YouTube answered one videos.list per batch (a job run again found its batch done and did not call).
 */
export async function expectEveryJobDoneOnce(tracker: Queue, ctx: Context, sim: Simulator): Promise<void> {
  expect((await tracker.getFailed()).map((j) => j.failedReason)).toEqual([]);
  expect(await tracker.getJobCounts('completed', 'failed', 'waiting', 'delayed')).toEqual({
    completed: 60,
    failed: 0,
    waiting: 0,
    delayed: 0,
  });
  expect(await stagedCounts(ctx.pool)).toEqual({ rows: 3000, videos: 3000, maxPerVideo: 1 });
  expect(served(sim.stats(), 'videos.list').ok).toBe(60);
}

export async function expectEachVideoVaultedOnce(ctx: Context): Promise<void> {
  await ctx.deps.vault.flush(ctx.pool, { clock: ctx.deps.clock, force: true });
  const rows = await vaultMetrics(ctx.deps.vault.provider);
  expect(rows.length).toBe(3000);
  expect(new Set(rows.map((r) => r.video_id)).size).toBe(3000);
}

/** SIGTERM, and each worker exits 0 (a graceful stop). */
export async function stopWorkers(workers: (ChildProcess & { output(): string })[]): Promise<void> {
  for (const w of workers) w.kill('SIGTERM');
  for (const w of workers) expect(await exited(w), w.output()).toBe(0);
}
