import { createQueues, type QueueSet } from '../../queues/index.ts';
import { type Config, loadConfig } from '../../src/config/index.ts';
import { createPool, type Pool } from '../../src/db/pool.ts';
import { redisTarget } from '../../src/redis.ts';

/** For one-shot commands: the configuration and the queues, closed when `fn` is done. */
export async function withQueues<T>(fn: (queues: QueueSet, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const queues = createQueues({ redisUrl: redisTarget(config), prefix: config.REDIS_PREFIX });
  try {
    return await fn(queues, config);
  } finally {
    await queues.close();
  }
}

/** For one-shot commands: the configuration and a small Postgres pool, closed when `fn` is done. */
export async function withPool<T>(fn: (pool: Pool, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const pool = createPool(config.DATABASE_URL, { max: 1, applicationName: 'pleiades-cli' });
  try {
    return await fn(pool, config);
  } finally {
    await pool.end();
  }
}
