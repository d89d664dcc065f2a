import { Command } from 'commander';
import { loadConfig } from '../../../src/config/index.ts';
import { createLogger } from '../../../src/log.ts';
import { closeOnSignal } from '../lifecycle.ts';

export function startCommand(): Command {
  return new Command('start')
    .description(
      'run everything in one process: migrations, simulator (without keys), schedulers, workers, dashboard',
    )
    .action(async () => {
      const config = loadConfig();
      const log = createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT });
      // Loaded here so that `pleiades --help` and light commands start fast.
      const { startSystem } = await import('../../system.ts');
      const system = await startSystem(config, log, { demo: true });
      closeOnSignal(log, () => system.close());
    });
}
