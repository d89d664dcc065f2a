/**
 * Where Hydra keeps its state in Redis. Every name starts with the configured prefix (`{pleiades}`):
 * the braces put all of them in one Redis Cluster slot, which the Lua scripts need. Keys are named by
 * fingerprint only; an API key never reaches Redis.
 *
 * - `<prefix>:hydra:state`      hash, lasting: `<fp>:disabled`, `<fp>:cool` (until, Redis ms),
 *                               `<fp>:strikes`, `<fp>:ex:<bucket>` (exhausted until, Hydra clock ms),
 *                               `pool:<name>:ex:<bucket>` (the pool was reported exhausted until).
 * - `<prefix>:hydra:used:<day>` hash per Pacific day, expiring a day after it ends: `<fp>:<bucket>`
 *                               (units charged), `low:<pool>:<bucket>` (quota.low already raised).
 * - `<prefix>:hydra:rps`        hash, the keys' per-second windows: `<fp>:w` (Redis second), `<fp>:n`
 *                               (calls in it), read and counted by acquire.lua with the quota charge.
 * - `<prefix>:hydra:roster`     hash `<fp>` → pool: the keys some process used, by fingerprint, so that
 *                               `pleiades keys` can show a pool it does not hold (the demo's simulator keys).
 *
 * Usage is counted per key, not per pool: YouTube counts a key's quota once, even if the key is listed
 * in two pools.
 */
export interface HydraKeys {
  state: string;
  used(day: string): string;
  rps: string;
  roster: string;
  /** Everything Hydra owns, for tests and cleanup. */
  pattern: string;
}

export function hydraKeys(prefix: string): HydraKeys {
  const base = `${prefix}:hydra`;
  return {
    state: `${base}:state`,
    used: (day) => `${base}:used:${day}`,
    rps: `${base}:rps`,
    roster: `${base}:roster`,
    pattern: `${base}:*`,
  };
}

/** The roster (pool → fingerprints) that processes using Hydra under this prefix wrote. */
export async function readRoster(
  redis: { hgetall(key: string): Promise<Record<string, string>> },
  prefix: string,
): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const [fp, pool] of Object.entries(await redis.hgetall(hydraKeys(prefix).roster))) {
    out[pool] ??= [];
    out[pool].push(fp);
  }
  return out;
}
