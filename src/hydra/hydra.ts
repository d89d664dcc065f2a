import { setTimeout as sleep } from 'node:timers/promises';
import { keyFingerprint } from '@pleiades/youtube-simulator/fingerprint';
import { type ApiMethod, QUOTA_COST, type QuotaBucket } from '@pleiades/youtube-simulator/quota-costs';
import type { Redis } from 'ioredis';
import { type Clock, DAY_MS, nextPacificMidnight, pacificDay, systemClock } from '../clock.ts';
import { AllKeysExhaustedError } from '../errors/index.ts';
import { type Logger, silentLogger } from '../log.ts';
import { registerSecret } from '../redact.ts';
import { backoffMs, classify } from './classify.ts';
import type { HydraEvent } from './events.ts';
import { type KeyPools, resolvePool, singleKeyPools } from './pools.ts';
import { hydraKeys } from './redis-keys.ts';
import { loadScripts } from './scripts.ts';

export interface HydraOptions {
  redis: Redis;
  /** REDIS_PREFIX, e.g. `{pleiades}`. */
  prefix: string;
  pools: KeyPools;
  /** The quota day is the Pacific day of this clock; cooling and rate limits run on wall time. */
  clock?: Clock;
  searchQuota?: number;
  unitsQuota?: number;
  /** Requests per second per key, shared by every replica (HYDRA_KEY_RPS). */
  keyRps?: number;
  /** quota.low is raised once a day when a pool's remainder falls to this fraction of its total. */
  quotaLowFraction?: number;
  /** false: single-key mode (HYDRA_ENABLED=false), see singleKeyPools. */
  enabled?: boolean;
  log?: Logger;
  onEvent?: (e: HydraEvent) => void;
  /** 5xx / network errors / timeouts: retries on the same key, with exponential backoff. */
  retry?: { attempts?: number; baseMs?: number; maxMs?: number };
  /** rateLimitExceeded: how long a key cools (doubling per strike), and how many strikes one call takes. */
  cooling?: { baseMs?: number; maxMs?: number; attempts?: number };
  random?: () => number;
  /**
   * Keys known only by fingerprint (pool → fingerprints), for a read-only view: `keys()` and
   * `remaining()` report them; `call()` cannot use them. `pleiades keys` reads them from the roster.
   */
  fingerprints?: Record<string, string[]>;
}

export type KeyHealth = 'ok' | 'cooling' | 'exhausted' | 'disabled';

export interface KeyState {
  pool: string;
  fingerprint: string;
  /** 'exhausted' when every bucket is spent; `spent` lists the buckets spent today. */
  state: KeyHealth;
  spent: QuotaBucket[];
  searchUsed: number;
  unitsUsed: number;
  /** Next Pacific midnight, Hydra clock ms. */
  resetAt: number;
  /** Wall-clock ms until which the key rests after a rate limit. */
  coolingUntil?: number;
}

export interface Hydra {
  /** Runs `fn` with a key of the pool, charging the method's cost first; rotates, cools and retries. */
  call<T>(o: { pool?: string; method: ApiMethod }, fn: (key: string) => Promise<T>): Promise<T>;
  /** What is left today over the pool's usable keys (disabled and spent keys count nothing). */
  remaining(pool?: string): Promise<Record<QuotaBucket, number>>;
  /**
   * Units left in the pool as of this process's last call (no round trip), or undefined before its
   * first: what `remaining` said at that moment, as the charge saw it.
   */
  unitsSeen?(pool?: string): number | undefined;
  keys(): Promise<KeyState[]>;
  /** Clears a disabled or cooling key (after fixing it in the Cloud console). */
  enable(fingerprint: string): Promise<boolean>;
  readonly pools: string[];
  resolvePool(wanted?: string): string;
  close(): Promise<void>;
}

const BUCKETS: QuotaBucket[] = ['search', 'units'];

export function createHydra(o: HydraOptions): Hydra {
  const redis = o.redis;
  const clock = o.clock ?? systemClock;
  const log = o.log ?? silentLogger;
  const random = o.random ?? Math.random;
  const quota: Record<QuotaBucket, number> = {
    search: o.searchQuota ?? 100,
    units: o.unitsQuota ?? 10_000,
  };
  const lowFraction = o.quotaLowFraction ?? 0.1;
  const retry = { attempts: 3, baseMs: 200, maxMs: 5_000, ...o.retry };
  const cooling = { baseMs: 1_000, maxMs: 60_000, attempts: 8, ...o.cooling };
  const pools = o.enabled === false ? singleKeyPools(o.pools) : o.pools;
  const names = hydraKeys(o.prefix);
  const scripts = loadScripts(redis);
  const keyRps = o.keyRps ?? 50;
  // Units left in each pool as of this process's last charge (acquire.lua returns it): read without
  // a round trip by the tracker's spent-quota check after every job.
  const seen = new Map<string, number>();

  // The keys live only here, in memory; everything stored or reported uses the fingerprint.
  const keyOf = new Map<string, string>();
  const fingerprints: Record<string, string[]> = {};
  for (const [pool, keys] of Object.entries(pools)) {
    fingerprints[pool] = [];
    for (const key of keys) {
      registerSecret(key);
      const fp = keyFingerprint(key);
      keyOf.set(fp, key);
      if (!fingerprints[pool].includes(fp)) fingerprints[pool].push(fp);
    }
  }
  for (const [pool, fps] of Object.entries(o.fingerprints ?? {}))
    fingerprints[pool] = [...new Set([...(fingerprints[pool] ?? []), ...fps])];
  // The roster: which fingerprints this process uses, for views elsewhere (never a key).
  const roster = Object.entries(fingerprints).flatMap(([pool, fps]) => fps.map((fp) => [fp, pool]));
  if (roster.length && keyOf.size) redis.hset(names.roster, Object.fromEntries(roster)).catch(() => {});

  const emit = (e: HydraEvent): void => {
    try {
      o.onEvent?.(e);
    } catch (err) {
      log.warn({ err, event: e.type }, 'a Hydra event listener threw');
    }
  };

  // The quota day's key and reset time take several Intl formatToParts calls to work out: once per
  // day, not per call. What was worked out at `from` holds until the reset (a clock that goes back
  // before `from` works it out again).
  let today = { from: Number.POSITIVE_INFINITY, resetAt: Number.NEGATIVE_INFINITY, usedKey: '' };
  const day = (now: number) => {
    if (now < today.from || now >= today.resetAt)
      today = { from: now, resetAt: nextPacificMidnight(now), usedKey: names.used(pacificDay(now)) };
    return {
      usedKey: today.usedKey,
      resetAt: today.resetAt,
      // Keep a day's counts a day longer than the day, for `pleiades keys` and post-mortems.
      ttlMs: today.resetAt - now + DAY_MS,
    };
  };

  async function call<T>(
    opts: { pool?: string; method: ApiMethod },
    fn: (key: string) => Promise<T>,
  ): Promise<T> {
    const pool = resolvePool(pools, opts.pool);
    const fps = fingerprints[pool]!;
    const { bucket, cost } = QUOTA_COST[opts.method];
    const total = fps.length * quota[bucket];
    let preferred = '';
    let transient = 0;
    let rateLimited = 0;
    for (;;) {
      const now = clock.now();
      const d = day(now);
      const a = await scripts.acquire({
        stateKey: names.state,
        usedKey: d.usedKey,
        now,
        bucket,
        cost,
        quota: quota[bucket],
        resetAt: d.resetAt,
        ttlMs: d.ttlMs,
        lowThreshold: Math.floor(total * lowFraction),
        // The key's per-second budget, shared by every replica, is taken in the same script.
        rpsKey: names.rps,
        rps: keyRps,
        pool,
        preferred,
        fingerprints: fps,
      });
      if (a.kind === 'wait') {
        // Jitter: callers waiting for the next second of a key do not all come back at once.
        await sleep(Math.min(a.waitMs, cooling.maxMs) + Math.floor(random() * 20));
        continue;
      }
      if (a.kind === 'exhausted') {
        if (a.newly) {
          log.warn(
            { pool, bucket, resetAt: new Date(a.resetAt).toISOString() },
            'every key of the pool is spent',
          );
          emit({ type: 'pool.exhausted', pool, bucket, resetAt: a.resetAt });
        }
        throw new AllKeysExhaustedError(pool, bucket, a.resetAt);
      }
      const fp = a.fingerprint;
      if (bucket === 'units') seen.set(pool, a.remaining);
      if (a.poolReset) {
        log.info({ pool, bucket }, 'the pool has quota again');
        emit({ type: 'pool.reset', pool, bucket });
      }
      if (a.keySpent) {
        log.info({ pool, fingerprint: fp, bucket }, 'key has spent its daily quota');
        emit({ type: 'key.exhausted', pool, fingerprint: fp, bucket, resetAt: d.resetAt, source: 'count' });
      }
      if (a.quotaLow) {
        log.warn({ pool, bucket, remaining: a.remaining }, 'pool quota is running low');
        emit({ type: 'quota.low', pool, bucket, remaining: a.remaining });
      }
      try {
        const result = await fn(keyOf.get(fp)!);
        if (a.strikes > 0) await redis.hdel(names.state, `${fp}:strikes`);
        return result;
      } catch (err) {
        const verdict = classify(err);
        if (verdict === 'fatal') throw err;
        if (verdict === 'quota') {
          // YouTube's count ran ahead of ours: the bucket is spent until midnight, the other one is not.
          const marked = await scripts.exhaust(
            names.state,
            d.usedKey,
            fp,
            bucket,
            d.resetAt,
            quota[bucket],
            d.ttlMs,
          );
          if (marked) {
            log.warn({ pool, fingerprint: fp, bucket }, 'YouTube reports the key spent before our count did');
            emit({
              type: 'key.exhausted',
              pool,
              fingerprint: fp,
              bucket,
              resetAt: d.resetAt,
              source: 'youtube',
            });
          }
          preferred = '';
        } else if (verdict === 'rate') {
          if (++rateLimited > cooling.attempts) throw err;
          const ms = await scripts.cool(names.state, fp, cooling.baseMs, cooling.maxMs, 0.5 + random() / 2);
          log.info({ pool, fingerprint: fp, coolMs: ms }, 'key is rate-limited: cooling it');
          preferred = '';
        } else if (verdict === 'invalid') {
          if ((await redis.hsetnx(names.state, `${fp}:disabled`, String(clock.now()))) === 1) {
            log.error(
              { pool, fingerprint: fp },
              'YouTube rejects an API key as invalid: the key is disabled',
            );
            emit({ type: 'key.invalid', pool, fingerprint: fp });
          }
          preferred = '';
        } else {
          if (++transient > retry.attempts) throw err;
          await sleep(backoffMs(transient, retry.baseMs, retry.maxMs, random));
          preferred = fp;
        }
      }
    }
  }

  async function snapshot() {
    const now = clock.now();
    const d = day(now);
    const r = await redis.multi().hgetall(names.state).hgetall(d.usedKey).time().exec();
    if (!r) throw new Error('Redis aborted the Hydra snapshot');
    for (const [err] of r) if (err) throw err;
    const state = (r[0]?.[1] ?? {}) as Record<string, string>;
    const used = (r[1]?.[1] ?? {}) as Record<string, string>;
    const [sec, micro] = (r[2]?.[1] ?? [0, 0]) as [string, string];
    const wall = Number(sec) * 1000 + Math.floor(Number(micro) / 1000);
    const of = (fp: string) => {
      const disabled = state[`${fp}:disabled`] !== undefined;
      const usedBy = { search: Number(used[`${fp}:search`] ?? 0), units: Number(used[`${fp}:units`] ?? 0) };
      const spent = BUCKETS.filter(
        (b) => Number(state[`${fp}:ex:${b}`] ?? 0) > now || usedBy[b] + 1 > quota[b],
      );
      const coolingUntil = Number(state[`${fp}:cool`] ?? 0);
      return { disabled, usedBy, spent, coolingUntil: coolingUntil > wall ? coolingUntil : undefined };
    };
    return { resetAt: d.resetAt, of };
  }

  return {
    call,
    pools: Object.keys(pools),
    resolvePool: (wanted) => resolvePool(pools, wanted),
    unitsSeen: (wanted) => seen.get(resolvePool(pools, wanted)),
    async remaining(wanted) {
      const pool = resolvePool(pools, wanted);
      const s = await snapshot();
      const out: Record<QuotaBucket, number> = { search: 0, units: 0 };
      for (const fp of fingerprints[pool]!) {
        const k = s.of(fp);
        if (k.disabled) continue;
        for (const b of BUCKETS) if (!k.spent.includes(b)) out[b] += Math.max(0, quota[b] - k.usedBy[b]);
      }
      return out;
    },
    async keys() {
      const s = await snapshot();
      const out: KeyState[] = [];
      for (const [pool, fps] of Object.entries(fingerprints))
        for (const fp of fps) {
          const k = s.of(fp);
          const state: KeyHealth = k.disabled
            ? 'disabled'
            : k.spent.length === BUCKETS.length
              ? 'exhausted'
              : k.coolingUntil
                ? 'cooling'
                : 'ok';
          out.push({
            pool,
            fingerprint: fp,
            state,
            spent: k.spent,
            searchUsed: k.usedBy.search,
            unitsUsed: k.usedBy.units,
            resetAt: s.resetAt,
            ...(k.coolingUntil ? { coolingUntil: k.coolingUntil } : {}),
          });
        }
      return out;
    },
    async enable(fp) {
      if (!keyOf.has(fp)) return false;
      await redis.hdel(names.state, `${fp}:disabled`, `${fp}:cool`, `${fp}:strikes`);
      return true;
    },
    async close() {},
  };
}
