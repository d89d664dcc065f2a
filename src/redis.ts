import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';

/**
 * Where Redis is: one node (`url`), a Redis Cluster (`clusterNodes`, seeds of the cluster) or a
 * primary found through Sentinel (`sentinels` + `sentinelName`). In every topology the URL still gives
 * the data nodes' user, password, database and TLS (`rediss://`).
 */
export interface RedisTarget {
  url: string;
  clusterNodes?: { host: string; port: number }[] | undefined;
  sentinels?: { host: string; port: number }[] | undefined;
  sentinelName?: string | undefined;
  sentinelPassword?: string | undefined;
}

/** The Redis settings of a loaded configuration (src/config/schema.ts). */
export function redisTarget(c: {
  REDIS_URL: string;
  REDIS_CLUSTER_NODES?: { host: string; port: number }[] | undefined;
  REDIS_SENTINELS?: { host: string; port: number }[] | undefined;
  REDIS_SENTINEL_NAME?: string | undefined;
  REDIS_SENTINEL_PASSWORD?: string | undefined;
}): RedisTarget {
  return {
    url: c.REDIS_URL,
    clusterNodes: c.REDIS_CLUSTER_NODES,
    sentinels: c.REDIS_SENTINELS,
    sentinelName: c.REDIS_SENTINEL_NAME,
    sentinelPassword: c.REDIS_SENTINEL_PASSWORD,
  };
}

const asTarget = (t: string | RedisTarget): RedisTarget => (typeof t === 'string' ? { url: t } : t);

/** Which topology, for logs and `pleiades doctor` (addresses only: never a password). */
export function describeRedisTarget(t: string | RedisTarget): string {
  const target = asTarget(t);
  const list = (nodes: { host: string; port: number }[]) => nodes.map((n) => `${n.host}:${n.port}`).join(',');
  if (target.clusterNodes) return `Redis Cluster via ${list(target.clusterNodes)}`;
  if (target.sentinels) return `Sentinel master "${target.sentinelName}" via ${list(target.sentinels)}`;
  const u = new URL(target.url);
  return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
}

/** User, password, database and TLS of the data nodes, from the URL (what ioredis reads from it). */
function nodeAuth(url: string, opts: { cluster?: boolean } = {}): RedisOptions {
  const u = new URL(url);
  // A Redis Cluster has database 0 only (SELECT fails there): its URL's /db is ignored.
  const db = opts.cluster ? 0 : Number(u.pathname.slice(1) || '0');
  return {
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(Number.isInteger(db) && db > 0 ? { db } : {}),
    ...(url.startsWith('rediss://') ? { tls: {} } : {}),
  };
}

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

/**
 * A connection to the target. For a Redis Cluster this is an ioredis `Cluster`, typed as `Redis`: it
 * answers the same commands (routing each to its slot's node, following MOVED/ASK), `defineCommand`
 * included, and BullMQ accepts either (https://docs.bullmq.io/patterns/redis-cluster). Every key
 * Pleiades writes starts with the braced REDIS_PREFIX, so all of them, and every Lua script's keys,
 * share one hash slot.
 */
export function createRedis(target: string | RedisTarget, kind: 'worker' | 'client' = 'client'): Redis {
  const t = asTarget(target);
  const base = redisOptions(t.url, kind);
  let r: Redis;
  if (t.clusterNodes) {
    // The cluster reconnects its nodes itself (clusterRetryStrategy): no per-node retry strategy.
    const { retryStrategy, ...perNode } = base;
    const options: ClusterOptions = {
      // Per-node options: BullMQ reads maxRetriesPerRequest from here for a Cluster's blocking
      // connections (it must be null for workers: https://docs.bullmq.io/guide/going-to-production).
      redisOptions: { ...perNode, ...nodeAuth(t.url, { cluster: true }) },
      clusterRetryStrategy: retryStrategy!,
      enableReadyCheck: true,
      // Writes and reads go to masters: BullMQ's scripts write, and a replica may be behind.
      scaleReads: 'master',
      // A failover or resharding moves slots: follow the redirections, and refresh the slot map often
      // enough that a moved slot is found again quickly.
      maxRedirections: 32,
      retryDelayOnFailover: 200,
      retryDelayOnClusterDown: 500,
      slotsRefreshTimeout: 5000,
    };
    r = new Cluster(t.clusterNodes, options) as unknown as Redis;
  } else if (t.sentinels) {
    r = new Redis({
      ...base,
      ...nodeAuth(t.url),
      sentinels: t.sentinels,
      name: t.sentinelName!,
      ...(t.sentinelPassword ? { sentinelPassword: t.sentinelPassword } : {}),
      // Subscribes to the sentinels' +switch-master, so a failover is noticed at once rather than at
      // the next failed command (ioredis SentinelConnectionOptions.failoverDetector).
      failoverDetector: true,
      // ioredis applies `tls` to the primary it resolves only with this flag; the sentinels themselves
      // are asked in plain text (docs/deploy.md, caveats).
      ...(t.url.startsWith('rediss://') ? { enableTLSForSentinelMode: true } : {}),
      sentinelRetryStrategy: (times: number) => Math.min(500 * times, 5000),
    });
  } else {
    r = new Redis(t.url, base);
  }
  // Errors surface through the commands that fail; an unhandled 'error' event would crash the process.
  r.on('error', () => {});
  return r;
}

/** True for a Redis Cluster connection (ioredis `Cluster`). */
export const isCluster = (r: Redis): boolean => (r as unknown as { isCluster?: boolean }).isCluster === true;

/** The nodes that hold data: every master of a cluster, or the one connection. */
export function dataNodes(r: Redis): Redis[] {
  return isCluster(r) ? (r as unknown as Cluster).nodes('master') : [r];
}

export async function checkRedis(
  target: string | RedisTarget,
  timeoutMs = 10_000,
): Promise<{ ok: true; version: string } | { ok: false; error: string }> {
  const t = asTarget(target);
  if (t.clusterNodes || t.sentinels) {
    // A cluster or a sentinel set is checked through the same client the workers use, bounded in time.
    const r = createRedis(t, 'client');
    let timer: NodeJS.Timeout | undefined;
    try {
      const info = await Promise.race([
        r.info('server'),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      return { ok: true, version: /redis_version:(\S+)/.exec(info)?.[1] ?? '?' };
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    } finally {
      clearTimeout(timer);
      r.disconnect();
    }
  }
  const r = new Redis(t.url, {
    ...redisOptions(t.url, 'client'),
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
  let deleted = 0;
  // SCAN walks one node's keys: a cluster's masters are scanned one by one.
  for (const node of dataNodes(redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      // One DEL per page: the keys share the prefix's hash tag, so one slot even in a cluster.
      if (keys.length) deleted += await node.del(...keys);
    } while (cursor !== '0');
  }
  return deleted;
}
