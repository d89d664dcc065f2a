import { Command } from 'commander';
import { createQueues } from '../../../queues/index.ts';
import { installSchedulers } from '../../../queues/schedulers.ts';
import { loadConfig } from '../../../src/config/index.ts';
import { createLogger } from '../../../src/log.ts';
import { createRedis, redisTarget } from '../../../src/redis.ts';

export function schedulerCommand(): Command {
  return new Command('scheduler')
    .description('install the job schedulers (idempotent: safe to run from several replicas), then exit')
    .option('--keep-running', 'stay up (for orchestrators that expect a long-running process)')
    .action(async (o: { keepRunning?: boolean }) => {
      const config = loadConfig();
      const log = createLogger({
        level: config.LOG_LEVEL,
        format: config.LOG_FORMAT,
        name: 'pleiades-scheduler',
      });
      const redis = createRedis(redisTarget(config), 'client');
      const queues = createQueues({
        redisUrl: redisTarget(config),
        prefix: config.REDIS_PREFIX,
        connection: redis,
      });
      const every = await installSchedulers(queues, config);
      log.info({ everyMs: every }, 'job schedulers installed');
      if (o.keepRunning) {
        // Re-apply every minute so a changed configuration or a flushed Redis heals itself.
        const timer = setInterval(
          () =>
            void installSchedulers(queues, config).catch((e: Error) =>
              log.error({ err: e.message }, 'scheduler upsert failed'),
            ),
          60_000,
        );
        const stop = async () => {
          clearInterval(timer);
          await queues.close();
          redis.disconnect();
          process.exit(0);
        };
        process.on('SIGTERM', stop);
        process.on('SIGINT', stop);
        return;
      }
      await queues.close();
      redis.disconnect();
    });
}
