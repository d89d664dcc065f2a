import { Command } from 'commander';
import { startDashboard } from '../../../dashboard/server.ts';
import { createQueues } from '../../../queues/index.ts';
import { systemClock } from '../../../src/clock.ts';
import { loadConfig, usesSimulator } from '../../../src/config/index.ts';
import { createPool } from '../../../src/db/pool.ts';
import { createHydraFromConfig } from '../../../src/hydra/index.ts';
import { createLogger } from '../../../src/log.ts';
import { registerSecret } from '../../../src/redact.ts';
import { createRedis, redisTarget } from '../../../src/redis.ts';
import { createVault } from '../../../src/vault/index.ts';

/**
 * `pleiades dashboard`: the dashboard alone, on HOST:PORT, for a deployment where workers run
 * elsewhere. Key state needs the configured key pool; with the built-in simulator (keys made up by
 * the process that runs it) only `pleiades start` can show it.
 */
export function dashboardCommand(): Command {
  return new Command('dashboard')
    .description('serve the overview page, Bull Board, the HTTP API and /metrics on HOST:PORT')
    .option('--port <port>', 'port (default: PORT)')
    .option('--host <host>', 'bind address (default: HOST)')
    .action(async (opts: { port?: string; host?: string }) => {
      const config = loadConfig({
        ...process.env,
        ...(opts.port !== undefined ? { PORT: opts.port } : {}),
        ...(opts.host !== undefined ? { HOST: opts.host } : {}),
      });
      const log = createLogger({
        level: config.LOG_LEVEL,
        format: config.LOG_FORMAT,
        name: 'pleiades-dashboard',
      });
      registerSecret(config.DASHBOARD_TOKEN);
      registerSecret(config.DASHBOARD_PASSWORD);
      const pool = createPool(config.DATABASE_URL, { max: 4, applicationName: 'pleiades-dashboard' });
      const redis = createRedis(redisTarget(config), 'client');
      const queues = createQueues({
        redisUrl: redisTarget(config),
        prefix: config.REDIS_PREFIX,
        connection: redis,
      });
      const hydra = usesSimulator(config) ? undefined : createHydraFromConfig(config, { redis, log });
      const vault = createVault(config, log);
      const deps = {
        config,
        pool,
        redis,
        queues,
        log,
        clock: systemClock,
        vault,
        ...(hydra ? { hydra } : {}),
      };
      const shutdown = async () => {
        await dashboard.close();
        await queues.close();
        await hydra?.close();
        await pool.end();
        redis.disconnect();
      };
      let dashboard: Awaited<ReturnType<typeof startDashboard>>;
      try {
        dashboard = await startDashboard(deps, { port: config.PORT, host: config.HOST });
      } catch (err) {
        await queues.close();
        await hydra?.close();
        await pool.end();
        redis.disconnect();
        throw err;
      }
      process.stdout.write(`dashboard: ${dashboard.url}\n`);
      for (const signal of ['SIGINT', 'SIGTERM'] as const)
        process.once(signal, () => {
          log.info({ signal }, 'dashboard stopping');
          void shutdown().then(() => process.exit(0));
        });
    });
}
