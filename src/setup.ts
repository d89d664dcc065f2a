import type { Config } from './config/index.ts';
import { ensureDatabase, migrate } from './db/migrate.ts';
import { createPool } from './db/pool.ts';
import type { Logger } from './log.ts';

/**
 * Everything `pleiades migrate` does: create the database when missing, then apply the numbered SQL
 * migrations. Returns the versions applied.
 */
export async function migrateAll(config: Config, log: Logger): Promise<number[]> {
  if (await ensureDatabase(config.DATABASE_URL)) log.info('created the database');
  const pool = createPool(config.DATABASE_URL, { max: 2, applicationName: 'pleiades-migrate' });
  try {
    return await migrate(pool, log);
  } finally {
    await pool.end();
  }
}
