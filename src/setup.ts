import type { Config } from './config/index.ts';
import { ensureDatabase, migrate } from './db/migrate.ts';
import { createPool } from './db/pool.ts';
import { installEventsSchema } from './events/bus.ts';
import type { Logger } from './log.ts';
import { seedSearchQueue } from './seed.ts';

/**
 * Everything `pleiades migrate` does: create the database when missing, then apply the numbered SQL
 * migrations, seed an empty search queue from SEED_QUERIES and install (or upgrade) pg-boss's schema
 * for the events bus. Returns the versions applied.
 */
export async function migrateAll(config: Config, log: Logger): Promise<number[]> {
  if (await ensureDatabase(config.DATABASE_URL)) log.info('created the database');
  const pool = createPool(config.DATABASE_URL, { max: 2, applicationName: 'pleiades-migrate' });
  let applied: number[];
  try {
    applied = await migrate(pool, log);
    const seeded = await seedSearchQueue(pool, config);
    if (seeded) log.info({ queries: seeded }, 'seeded the search queue from SEED_QUERIES');
  } finally {
    await pool.end();
  }
  await installEventsSchema(config.DATABASE_URL, { log });
  return applied;
}
