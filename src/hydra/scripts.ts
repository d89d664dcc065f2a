import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

type Command = (...args: (string | number)[]) => Promise<unknown>;

/** Registers a Lua file next to this module as an ioredis command (EVALSHA, falling back to EVAL). */
function define(redis: Redis, name: string, file: string, numberOfKeys: number): Command {
  const commands = redis as unknown as Record<string, Command>;
  if (typeof commands[name] !== 'function')
    redis.defineCommand(name, { numberOfKeys, lua: readFileSync(new URL(file, import.meta.url), 'utf8') });
  return commands[name]!.bind(redis);
}

export type AcquireResult =
  | {
      kind: 'key';
      fingerprint: string;
      usedAfter: number;
      remaining: number;
      keySpent: boolean;
      quotaLow: boolean;
      poolReset: boolean;
      strikes: number;
    }
  | { kind: 'wait'; waitMs: number }
  | { kind: 'exhausted'; resetAt: number; newly: boolean };

export interface AcquireArgs {
  stateKey: string;
  usedKey: string;
  now: number;
  bucket: string;
  cost: number;
  quota: number;
  resetAt: number;
  ttlMs: number;
  lowThreshold: number;
  /** The key's per-second rate window (hydraKeys().rps) and its limit. */
  rpsKey: string;
  rps: number;
  pool: string;
  preferred: string;
  fingerprints: string[];
}

export interface HydraScripts {
  acquire(a: AcquireArgs): Promise<AcquireResult>;
  cool(stateKey: string, fp: string, baseMs: number, maxMs: number, jitter: number): Promise<number>;
  exhaust(
    stateKey: string,
    usedKey: string,
    fp: string,
    bucket: string,
    resetAt: number,
    quota: number,
    ttlMs: number,
  ): Promise<boolean>;
}

export function loadScripts(redis: Redis): HydraScripts {
  const acquire = define(redis, 'hydraAcquire3', './acquire.lua', 3);
  const cool = define(redis, 'hydraCool', './cool.lua', 1);
  const exhaust = define(redis, 'hydraExhaust', './exhaust.lua', 2);
  return {
    async acquire(a) {
      const r = (await acquire(
        a.stateKey,
        a.usedKey,
        a.rpsKey,
        a.now,
        a.bucket,
        a.cost,
        a.quota,
        a.resetAt,
        a.ttlMs,
        a.lowThreshold,
        a.pool,
        a.preferred,
        a.rps,
        ...a.fingerprints,
      )) as (string | number)[];
      if (r[0] === 1)
        return {
          kind: 'key',
          fingerprint: String(r[1]),
          usedAfter: Number(r[2]),
          remaining: Number(r[3]),
          keySpent: r[4] === 1,
          quotaLow: r[5] === 1,
          poolReset: r[6] === 1,
          strikes: Number(r[7]),
        };
      if (r[0] === 2) return { kind: 'wait', waitMs: Math.max(1, Number(r[1])) };
      return { kind: 'exhausted', resetAt: Number(r[1]), newly: r[2] === 1 };
    },
    async cool(stateKey, fp, baseMs, maxMs, jitter) {
      const r = (await cool(stateKey, fp, baseMs, maxMs, jitter)) as number[];
      return Number(r[0]);
    },
    async exhaust(stateKey, usedKey, fp, bucket, resetAt, quota, ttlMs) {
      return (await exhaust(stateKey, usedKey, fp, bucket, resetAt, quota, ttlMs)) === 1;
    },
  };
}
