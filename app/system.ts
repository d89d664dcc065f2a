import { type DashboardDeps, type RunningDashboard, startDashboard } from '../dashboard/server.ts';
import { QUEUE_NAMES, type QueueName } from '../queues/index.ts';
import { installSchedulers } from '../queues/schedulers.ts';
import { subscribeActivityLog } from '../src/activity.ts';
import type { Config } from '../src/config/index.ts';
import type { Logger } from '../src/log.ts';
import { createNotifier, installAlertRules, type Notifier } from '../src/notifier/index.ts';
import { redactUrl } from '../src/redact.ts';
import { migrateAll } from '../src/setup.ts';
import { type Context, type ContextOptions, createContext } from '../workers/context.ts';
import { startWorkers, type WorkerSet } from '../workers/runtime.ts';

export interface SystemOptions extends ContextOptions {
  /** Queues this process works (default: all). */
  queues?: QueueName[];
  dashboard?: boolean;
  schedulers?: boolean;
  concurrency?: number;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
}

export interface System {
  context: Context;
  workers: WorkerSet;
  dashboardUrl: string | null;
  close(): Promise<void>;
}

/** What the dashboard needs, from a process's context (also used by `pleiades dashboard`). */
export function dashboardDeps(ctx: Context, config: Config, log: Logger): DashboardDeps {
  return {
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
export async function startSystem(config: Config, log: Logger, opts: SystemOptions = {}): Promise<System> {
  await migrateAll(config, log);
  const context = await createContext(config, log, opts);
  if (context.simulator)
    log.info({ url: context.simulator.url }, 'YouTube simulator running (no key pool configured)');
  let notifier: Notifier | null = null;
  if (context.events) {
    await subscribeActivityLog(context.events, log);
    notifier = createNotifier({ config, log });
    await installAlertRules(context.events, notifier);
  }
  if (opts.schedulers !== false) {
    const every = await installSchedulers(context.queues, config);
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
    dashboard = await startDashboard(dashboardDeps(context, config, log), {
      port: config.PORT,
      host: config.HOST,
    });
  }
  const dashboardUrl = dashboard?.url ?? null;
  log.info(
    {
      database: redactUrl(config.DATABASE_URL),
      redis: redactUrl(config.REDIS_URL),
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
    async close() {
      await dashboard?.close();
      await workers.close();
      await notifier?.flush();
      await notifier?.stop();
      await context.close();
    },
  };
}
