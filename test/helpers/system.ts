import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SimulatorOptions } from '@pleiades/youtube-simulator';
import { type Context, createContext } from '../../app/context.ts';
import type { QueueName } from '../../queues/index.ts';
import { subscribeActivityLog } from '../../src/activity.ts';
import { ManualClock } from '../../src/clock.ts';
import { type Config, loadConfig } from '../../src/config/index.ts';
import { silentLogger } from '../../src/log.ts';
import { startWorkers, type WorkerSet } from '../../workers/runtime.ts';
import { createTestDatabase, type TestDatabase } from './db.ts';
import { createTestRedis, type TestRedis } from './redis.ts';

export interface TestSystem {
  db: TestDatabase;
  redis: TestRedis;
  config: Config;
  clock: ManualClock;
  ctx: Context;
  workers: WorkerSet;
  vaultDir: string;
  close(): Promise<void>;
}

/**
 * The agents in this process against a database, Redis prefix and vault directory of the test's own,
 * the built-in simulator on a ManualClock that the agents share, and BullMQ workers for `queues`.
 */
export async function startTestSystem(opts: {
  env?: Record<string, string>;
  queues?: QueueName[];
  simulator?: SimulatorOptions;
  start?: number;
}): Promise<TestSystem> {
  const db = await createTestDatabase();
  const redis = await createTestRedis();
  const vaultDir = mkdtempSync(join(tmpdir(), 'pleiades-vault-'));
  const config = loadConfig(
    {
      ...baseTestEnv(db, redis, vaultDir),
      WORKER_LOCK_MS: '5000',
      WORKER_STALLED_INTERVAL_MS: '1000',
      ...opts.env,
    },
    { dotenvPath: false },
  );
  const clock = new ManualClock(opts.start ?? Date.UTC(2026, 10, 25, 12));
  const ctx = await createContext(config, silentLogger, { clock, simulator: opts.simulator ?? {} });
  // The built-in `activity` group consumes every event, as in `pleiades start`.
  if (ctx.events) await subscribeActivityLog(ctx.events, silentLogger);
  const workers = startWorkers(ctx.deps, {
    queues: opts.queues ?? ['hunter', 'tracker', 'janitor', 'painter', 'scribe', 'vault-flush'],
  });
  return {
    db,
    redis,
    config,
    clock,
    ctx,
    workers,
    vaultDir,
    async close() {
      await workers.close();
      await ctx.close();
      await redis.cleanup();
      await db.drop();
      rmSync(vaultDir, { recursive: true, force: true });
    },
  };
}

/** The settings every test system shares: its own database, Redis prefix and vault, and no logs. */
export function baseTestEnv(
  db: { url: string },
  redis: { url: string; prefix: string },
  vaultDir: string,
): Record<string, string> {
  return {
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    REDIS_PREFIX: redis.prefix,
    VAULT_DIR: vaultDir,
    LOG_LEVEL: 'silent',
  };
}
