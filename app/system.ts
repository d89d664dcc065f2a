import { type DashboardDeps, type RunningDashboard, startDashboard } from '../dashboard/server.ts';
import { QUEUE_NAMES, type QueueName } from '../queues/index.ts';
import { installSchedulers } from '../queues/schedulers.ts';
import { subscribeActivityLog } from '../src/activity.ts';
import type { Config } from '../src/config/index.ts';
import { type DemoClock, demoConfig, demoSpeed, startDemoClock } from '../src/demo.ts';
import type { Logger } from '../src/log.ts';
import { createNotifier, installAlertRules, type Notifier } from '../src/notifier/index.ts';
import { redactUrl } from '../src/redact.ts';
import { createRedis, describeRedisTarget, redisTarget } from '../src/redis.ts';
import { migrateAll } from '../src/setup.ts';
import { startWorkers, type WorkerSet } from '../workers/runtime.ts';
import { type Context, type ContextOptions, createContext } from './context.ts';

export interface SystemOptions extends ContextOptions {
  /** Queues this process works (default: all). */
  queues?: QueueName[];
  dashboard?: boolean;
  schedulers?: boolean;
  concurrency?: number;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /**
   * Run as the living demo (what `start` does): with the simulator and DEMO_SPEED > 1, everything runs
   * on one sped-up clock (src/demo.ts). Ignored with a key pool or a given clock.
   */
  demo?: boolean;
}

export interface System {
  context: Context;
  workers: WorkerSet;
  dashboardUrl: string | null;
  /** Simulated seconds per real second (1 unless this is the demo). */
  speed: number;
  close(): Promise<void>;
}

/** What the dashboard needs, from a process's context (also used by `pleiades dashboard`). */
export function dashboardDeps(ctx: Context, config: Config, log: Logger, speed = 1): DashboardDeps {
  return {
    speed,
    config,
    pool: ctx.pool,
    queues: ctx.queues,
    redis: ctx.redis,
    log,
    clock: ctx.deps.clock,
    hydra: ctx.hydra,
    vault: ctx.deps.vault,
  };
}

/**
 * Everything in one process (what `pleiades start` and `npm start` run): migrations, the simulator when
 * no key pool is set, the job schedulers, a worker for every queue and the dashboard.
 */
export async function startSystem(
  baseConfig: Config,
  log: Logger,
  opts: SystemOptions = {},
): Promise<System> {
  await migrateAll(baseConfig, log);
  const demo = opts.demo && !opts.clock ? await startDemo(baseConfig) : null;
  const speed = demo?.speed ?? 1;
  const config = demoConfig(baseConfig, speed);
  if (demo)
    log.info(
      { speed, simulatedNow: new Date(demo.clock.now()).toISOString() },
      `demo: simulated time ×${speed} (a simulated day every ${formatDay(speed)}); DEMO_SPEED=1 for real time`,
    );
  const context = await createContext(config, log, demo ? { ...opts, clock: demo.clock } : opts);
  if (context.simulator)
    log.info({ url: context.simulator.url }, 'YouTube simulator running (no key pool configured)');
  let notifier: Notifier | null = null;
  if (context.events) {
    await subscribeActivityLog(context.events, log);
    notifier = createNotifier({ config, log });
    await installAlertRules(context.events, notifier);
  }
  if (opts.schedulers !== false) {
    const every = await installSchedulers(context.queues, config, speed);
    log.info({ everyMs: every }, 'job schedulers installed');
  }
  const queues = opts.queues ?? QUEUE_NAMES;
  const workers = startWorkers(context.deps, {
    queues,
    ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
    ...(opts.lockDurationMs ? { lockDurationMs: opts.lockDurationMs } : {}),
    ...(opts.stalledIntervalMs ? { stalledIntervalMs: opts.stalledIntervalMs } : {}),
  });
  log.info({ queues }, 'workers running');
  let dashboard: RunningDashboard | null = null;
  if (opts.dashboard !== false) {
    dashboard = await startDashboard(dashboardDeps(context, config, log, speed), {
      port: config.PORT,
      host: config.HOST,
    });
  }
  const dashboardUrl = dashboard?.url ?? null;
  log.info(
    {
      database: redactUrl(config.DATABASE_URL),
      redis:
        config.REDIS_CLUSTER_NODES || config.REDIS_SENTINELS
          ? describeRedisTarget(redisTarget(config))
          : redactUrl(config.REDIS_URL),
      vault: config.VAULT_PROVIDER === 'local' ? config.VAULT_DIR : config.VAULT_PROVIDER,
      youtube: context.simulator
        ? `simulator at ${context.simulator.url}`
        : (config.YOUTUBE_API_ROOT ?? 'YouTube'),
      dashboard: dashboardUrl,
    },
    'Pleiades is running',
  );
  return {
    context,
    workers,
    dashboardUrl,
    speed,
    async close() {
      await dashboard?.close();
      await workers.close();
      await notifier?.flush();
      await notifier?.stop();
      await context.close();
      await demo?.stop();
    },
  };
}

/** The demo's clock, when the simulator stands in for YouTube and DEMO_SPEED is above 1. */
async function startDemo(config: Config): Promise<(DemoClock & { stop(): Promise<void> }) | null> {
  const speed = demoSpeed(config);
  if (speed === 1) return null;
  const redis = createRedis(redisTarget(config), 'client');
  const demo = await startDemoClock(redis, config.REDIS_PREFIX, speed);
  return {
    ...demo,
    async stop() {
      await demo.stop();
      redis.disconnect();
    },
  };
}

const formatDay = (speed: number): string => {
  const s = Math.round(86_400 / speed);
  return s < 120 ? `${s} s` : `${Math.round(s / 6) / 10} min`;
};
