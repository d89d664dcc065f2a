import { Command } from 'commander';
import { loadConfig } from '../../../src/config/index.ts';
import { createLogger } from '../../../src/log.ts';
import { closeOnSignal } from '../lifecycle.ts';
import { parsePositiveInt, parseQueueList } from '../parse.ts';

export function workerCommand(): Command {
  return new Command('worker')
    .description('work jobs of some or all queues; run as many replicas as you like')
    .option('--queues <names>', 'comma-separated queue names (default: all)')
    .option('--concurrency <n>', 'jobs at once per queue (default: per queue)')
    .action(async (o: { queues?: string; concurrency?: string }) => {
      const queues = parseQueueList(o.queues);
      const concurrency = o.concurrency ? parsePositiveInt(o.concurrency, '--concurrency', 1000) : undefined;
      const config = loadConfig();
      const log = createLogger({
        level: config.LOG_LEVEL,
        format: config.LOG_FORMAT,
        name: 'pleiades-worker',
      });
      const { createContext } = await import('../../context.ts');
      const { startWorkers } = await import('../../../workers/runtime.ts');
      const ctx = await createContext(config, log, { simulator: false });
      const workers = startWorkers(ctx.deps, {
        queues,
        ...(concurrency ? { concurrency } : {}),
      });
      log.info({ queues, pid: process.pid }, 'worker running');
      closeOnSignal(log, async () => {
        await workers.close();
        await ctx.close();
      });
    });
}
