import type { Redis } from 'ioredis';
import type { Clock } from '../clock.ts';
import type { Config } from '../config/index.ts';
import { ValidationError } from '../errors/index.ts';
import type { Logger } from '../log.ts';
import type { HydraEvent } from './events.ts';
import { createHydra, type Hydra } from './hydra.ts';
import type { KeyPools } from './pools.ts';

/**
 * A Hydra configured from the environment (REDIS_PREFIX, HYDRA_*, YOUTUBE_API_KEY_POOL_JSON).
 * `pools` overrides the configured pools: with no pool configured, the caller passes the built-in
 * simulator's keys.
 */
export function createHydraFromConfig(
  config: Config,
  deps: { redis: Redis; clock?: Clock; log?: Logger; onEvent?: (e: HydraEvent) => void; pools?: KeyPools },
): Hydra {
  const pools = deps.pools ?? config.YOUTUBE_API_KEY_POOL_JSON;
  if (!pools)
    throw new ValidationError([
      {
        field: 'YOUTUBE_API_KEY_POOL_JSON',
        message: 'no key pool is set (pass the simulator keys as pools)',
      },
    ]);
  return createHydra({
    redis: deps.redis,
    prefix: config.REDIS_PREFIX,
    pools,
    enabled: config.HYDRA_ENABLED,
    keyRps: config.HYDRA_KEY_RPS,
    searchQuota: config.HYDRA_SEARCH_QUOTA,
    unitsQuota: config.HYDRA_UNITS_QUOTA,
    quotaLowFraction: config.HYDRA_QUOTA_LOW_FRACTION,
    ...(deps.clock ? { clock: deps.clock } : {}),
    ...(deps.log ? { log: deps.log } : {}),
    ...(deps.onEvent ? { onEvent: deps.onEvent } : {}),
  });
}
