import { ValidationError } from '../errors/index.ts';

/** Named key pools, as `YOUTUBE_API_KEY_POOL_JSON` parses them (a bare array is pool "default"). */
export type KeyPools = Record<string, string[]>;

/**
 * The pool a caller gets when it asks for `wanted` ("hunting", "tracking"…): that pool if it exists,
 * else "default", else the first pool. A deployment with a single array of keys thus serves everyone.
 */
export function resolvePool(pools: KeyPools, wanted?: string): string {
  if (wanted !== undefined && pools[wanted]) return wanted;
  if (pools.default) return 'default';
  const first = Object.keys(pools)[0];
  if (first === undefined) throw new ValidationError([{ field: 'pools', message: 'no key pool is defined' }]);
  return first;
}

/**
 * Single-key mode (HYDRA_ENABLED=false): every pool shrinks to its first key, so no call ever rotates.
 * Quota accounting, cooling and AllKeysExhaustedError still apply to that one key.
 */
export function singleKeyPools(pools: KeyPools): KeyPools {
  const out: KeyPools = {};
  for (const [name, keys] of Object.entries(pools)) if (keys[0] !== undefined) out[name] = [keys[0]];
  return out;
}
