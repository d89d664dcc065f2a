import { Redis, type RedisOptions } from 'ioredis';

/**
 * Redis connections. BullMQ workers need `maxRetriesPerRequest: null` (a blocking command must wait
 * through a reconnect rather than fail); producers and Hydra fail fast instead so an HTTP request or a
 * CLI call answers promptly when Redis is down. `rediss://` URLs get TLS from ioredis itself.
 */
export function redisOptions(url: string, kind: 'worker' | 'client'): RedisOptions {
  return {
    maxRetriesPerRequest: kind === 'worker' ? null : 3,
    enableReadyCheck: true,
    connectTimeout: 10_000,
    retryStrategy: (times) =>
      Math.min(1000 * 2 ** Math.min(times, 5), 20_000) + Math.floor(Math.random() * 250),
    // After a managed Redis fails over, connections that still reach the old primary (now a replica)
    // get READONLY on writes: reconnect (DNS then names the new primary) and resend the command.
    reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
    // TCP keep-alive probes after 30 s idle, so a connection silently dropped by a load balancer or NAT
    // (common in front of managed Redis) is noticed and re-established rather than hanging.
    keepAlive: 30_000,
    ...(url.startsWith('rediss://') ? { tls: {} } : {}),
  };
}

export function createRedis(url: string, kind: 'worker' | 'client' = 'client'): Redis {
  const r = new Redis(url, redisOptions(url, kind));
  // Errors surface through the commands that fail; an unhandled 'error' event would crash the process.
  r.on('error', () => {});
  return r;
}

export async function checkRedis(
  url: string,
): Promise<{ ok: true; version: string } | { ok: false; error: string }> {
  const r = new Redis(url, {
    ...redisOptions(url, 'client'),
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  r.on('error', () => {});
  try {
    await r.connect();
    const info = await r.info('server');
    return { ok: true, version: /redis_version:(\S+)/.exec(info)?.[1] ?? '?' };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  } finally {
    r.disconnect();
  }
}

/** Deletes every key under `prefix` (SCAN, never KEYS): for tests, benchmarks and throwaway prefixes. */
export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) deleted += await redis.del(...keys);
  } while (cursor !== '0');
  return deleted;
}
