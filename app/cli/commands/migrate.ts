import { Command } from 'commander';
import { loadConfig } from '../../../src/config/index.ts';
import { createLogger } from '../../../src/log.ts';
import { migrateAll } from '../../../src/setup.ts';

export function migrateCommand(): Command {
  return new Command('migrate')
    .description('create the database if missing and apply pending migrations (safe from several replicas)')
    .action(async () => {
      const config = loadConfig();
      const log = createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT });
      const applied = await migrateAll(config, log);
      log.info({ applied: applied.length }, applied.length ? 'migrations applied' : 'schema is up to date');
    });
}
