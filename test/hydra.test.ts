import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { keyFingerprint } from '@pleiades/youtube-simulator/fingerprint';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, nextPacificMidnight, pacificDay } from '../src/clock.ts';
import { AllKeysExhaustedError, YouTubeApiError } from '../src/errors/index.ts';
import {
  createHydra,
  EXHAUSTED_EXIT_CODE,
  type HydraEvent,
  type HydraOptions,
  handleExhaustion,
  hydraKeys,
  resolvePool,
} from '../src/hydra/index.ts';
import { silentLogger } from '../src/log.ts';
import { createRedis } from '../src/redis.ts';
import { dumpPrefix, leaked } from './fixtures/hydra-scan.ts';
import { createTestRedis, type TestRedis } from './helpers/redis.ts';

/**
 * Hydra against real Redis. `fn` stands for the YouTube call (the end-to-end tests in
 * hydra-e2e.test.ts use the simulator through the real client); here it answers or throws the
 * YouTubeApiError the client would.
 */

let t: TestRedis;
const allKeys: string[] = [];
let n = 0;

beforeAll(async () => {
  t = await createTestRedis();
});
afterAll(async () => {
  // No API key may appear anywhere under the test prefix: names, hash fields or values.
  const seen = await dumpPrefix(t.redis, t.prefix);
  await t.cleanup();
  expect(seen.length).toBeGreaterThan(0);
  expect(leaked(seen, allKeys)).toEqual([]);
});

const newKeys = (count: number): string[] => {
  const keys = Array.from({ length: count }, () => `AIzaTest${randomBytes(12).toString('hex')}`);
  allKeys.push(...keys);
  return keys;
};

const start = new Date('2026-03-10T12:00:00-07:00');

function setup(over: Partial<HydraOptions> & { keys?: string[] } = {}) {
  const keys = over.keys ?? newKeys(3);
  const events: HydraEvent[] = [];
  const clock = new ManualClock(start);
  const prefix = `${t.prefix}:${++n}`;
  const opts: HydraOptions = {
    redis: t.redis,
    prefix,
    pools: { default: keys },
    clock,
    searchQuota: 5,
    unitsQuota: 10,
    keyRps: 1000,
    log: silentLogger,
    onEvent: (e) => events.push(e),
    retry: { baseMs: 5, maxMs: 20 },
    cooling: { baseMs: 30_000 },
    ...over,
  };
  return { keys, events, clock, prefix, opts, hydra: createHydra(opts) };
}

/** A stand-in for one YouTube call that records which key served it. */
const served = (log: string[]) => async (key: string) => {
  log.push(keyFingerprint(key));
  return keyFingerprint(key);
};

const count = (xs: string[]) => {
  const m = new Map<string, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
};

describe('resolvePool', () => {
  it('gives the named pool, else default, else the first', () => {
    expect(resolvePool({ hunting: ['a'], tracking: ['b'] }, 'tracking')).toBe('tracking');
    expect(resolvePool({ hunting: ['a'], default: ['b'] }, 'tracking')).toBe('default');
    expect(resolvePool({ hunting: ['a'], other: ['b'] }, 'tracking')).toBe('hunting');
    expect(resolvePool({ default: ['a'] })).toBe('default');
  });
});

describe('Hydra on Redis', () => {
  it('two instances on separate connections never charge more than the quotas, and use every unit', async () => {
    const s = setup();
    const other = createRedis(t.url);
    const second = createHydra({ ...s.opts, redis: other });
    const calls: string[] = [];
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) =>
        (i % 2 ? second : s.hydra).call({ method: 'videos.list' }, served(calls)),
      ),
    );
    other.disconnect();
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    const failed = results.filter((r) => r.status === 'rejected').map((r) => r.reason);
    expect(ok).toBe(30);
    expect(failed.every((e) => e instanceof AllKeysExhaustedError)).toBe(true);
    expect([...count(calls).values()]).toEqual([10, 10, 10]);
    expect(await s.hydra.remaining()).toEqual({ search: 15, units: 0 });
    // One pool.exhausted however many callers found the pool spent.
    expect(s.events.filter((e) => e.type === 'pool.exhausted')).toEqual([
      {
        type: 'pool.exhausted',
        pool: 'default',
        bucket: 'units',
        resetAt: nextPacificMidnight(start.getTime()),
      },
    ]);
    expect(s.events.filter((e) => e.type === 'key.exhausted')).toHaveLength(3);
  });

  it('spreads calls over the least-used keys', async () => {
    const s = setup();
    const calls: string[] = [];
    for (let i = 0; i < 9; i++) await s.hydra.call({ method: 'channels.list' }, served(calls));
    expect([...count(calls).values()]).toEqual([3, 3, 3]);
  });

  it('keeps the search bucket and the shared units apart', async () => {
    const s = setup({ keys: newKeys(1) });
    const calls: string[] = [];
    for (let i = 0; i < 5; i++) await s.hydra.call({ method: 'search.list' }, served(calls));
    const err = await s.hydra.call({ method: 'search.list' }, served(calls)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AllKeysExhaustedError);
    expect(err).toMatchObject({ pool: 'default', bucket: 'search' });
    await s.hydra.call({ method: 'videos.list' }, served(calls));
    expect(calls).toHaveLength(6);
    expect(await s.hydra.remaining()).toEqual({ search: 0, units: 9 });
    const [k] = await s.hydra.keys();
    expect(k).toMatchObject({ state: 'ok', spent: ['search'], searchUsed: 5, unitsUsed: 1 });
  });

  it('quotaExceeded spends only that bucket of that key, retries at once on another, and never calls it again today', async () => {
    const s = setup();
    const [a] = s.keys.map(keyFingerprint);
    const calls: string[] = [];
    let youtubeSaidNo = 0;
    const fn = async (key: string) => {
      calls.push(keyFingerprint(key));
      if (keyFingerprint(key) === a) {
        youtubeSaidNo++;
        throw new YouTubeApiError(
          403,
          'quotaExceeded',
          'The request cannot be completed because you have exceeded your quota.',
        );
      }
      return 'ok';
    };
    for (let i = 0; i < 12; i++) expect(await s.hydra.call({ method: 'videos.list' }, fn)).toBe('ok');
    expect(youtubeSaidNo).toBe(1);
    expect(s.events).toContainEqual({
      type: 'key.exhausted',
      pool: 'default',
      fingerprint: a,
      bucket: 'units',
      resetAt: nextPacificMidnight(start.getTime()),
      source: 'youtube',
    });
    // Its search bucket is untouched.
    const searched: string[] = [];
    for (let i = 0; i < 3; i++) await s.hydra.call({ method: 'search.list' }, served(searched));
    expect(searched).toContain(a);
    const ka = (await s.hydra.keys()).find((k) => k.fingerprint === a);
    expect(ka).toMatchObject({ state: 'ok', spent: ['units'], unitsUsed: 10 });
  });

  it('resets at Pacific midnight: the pool works again and says so', async () => {
    const s = setup({ keys: newKeys(2) });
    const calls: string[] = [];
    for (let i = 0; i < 20; i++) await s.hydra.call({ method: 'videos.list' }, served(calls));
    const err = (await s.hydra
      .call({ method: 'videos.list' }, served(calls))
      .catch((e) => e)) as AllKeysExhaustedError;
    expect(err).toBeInstanceOf(AllKeysExhaustedError);
    expect(err.resetAt).toBe(nextPacificMidnight(start.getTime()));
    expect((await s.hydra.keys()).map((k) => k.state)).toEqual(['ok', 'ok']);
    expect((await s.hydra.keys()).map((k) => k.spent)).toEqual([['units'], ['units']]);

    s.clock.set(err.resetAt - 1);
    await expect(s.hydra.call({ method: 'videos.list' }, served(calls))).rejects.toBeInstanceOf(
      AllKeysExhaustedError,
    );
    s.clock.set(err.resetAt);
    expect(pacificDay(s.clock.now())).toBe('2026-03-11');
    await s.hydra.call({ method: 'videos.list' }, served(calls));
    expect(calls).toHaveLength(21);
    expect(s.events.filter((e) => e.type === 'pool.reset')).toEqual([
      { type: 'pool.reset', pool: 'default', bucket: 'units' },
    ]);
    expect(await s.hydra.remaining()).toEqual({ search: 10, units: 19 });
    // The day's counts expire by themselves, a day after the day ends.
    const ttl = await t.redis.pttl(hydraKeys(s.prefix).used('2026-03-10'));
    expect(ttl).toBeGreaterThan(0);
  });

  it('raises quota.low once a day', async () => {
    const s = setup({ quotaLowFraction: 0.2 });
    for (let i = 0; i < 28; i++) await s.hydra.call({ method: 'videos.list' }, async () => 1);
    expect(s.events.filter((e) => e.type === 'quota.low')).toEqual([
      { type: 'quota.low', pool: 'default', bucket: 'units', remaining: 6 },
    ]);
  });

  it('disables an invalid key, alerts at error level, and carries on with the others', async () => {
    const lines: string[] = [];
    const log = pino(
      { level: 'info' },
      new Writable({
        write(chunk, _enc, cb) {
          lines.push(String(chunk));
          cb();
        },
      }),
    );
    const s = setup({ log });
    const bad = s.keys[1]!;
    const calls: string[] = [];
    const fn = async (key: string) => {
      calls.push(keyFingerprint(key));
      if (key === bad)
        throw new YouTubeApiError(400, 'keyInvalid', 'API key not valid. Please pass a valid API key.');
      return 'ok';
    };
    for (let i = 0; i < 10; i++) expect(await s.hydra.call({ method: 'videos.list' }, fn)).toBe('ok');
    expect(calls.filter((fp) => fp === keyFingerprint(bad))).toHaveLength(1);
    expect(s.events.filter((e) => e.type === 'key.invalid')).toEqual([
      { type: 'key.invalid', pool: 'default', fingerprint: keyFingerprint(bad) },
    ]);
    const errors = lines.map((l) => JSON.parse(l)).filter((l) => l.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ fingerprint: keyFingerprint(bad) });
    for (const l of lines) for (const k of s.keys) expect(l).not.toContain(k);
    const states = await s.hydra.keys();
    expect(states.map((k) => k.state)).toEqual(['ok', 'disabled', 'ok']);
    // A disabled key counts nothing in what remains.
    expect(await s.hydra.remaining()).toEqual({ search: 10, units: 20 - 10 });
    expect(await s.hydra.enable(keyFingerprint(bad))).toBe(true);
    expect((await s.hydra.keys()).map((k) => k.state)).toEqual(['ok', 'ok', 'ok']);
  });

  it('cools a rate-limited key and serves from the others meanwhile', async () => {
    const s = setup();
    const hot = keyFingerprint(s.keys[0]!);
    const calls: string[] = [];
    const fn = async (key: string) => {
      calls.push(keyFingerprint(key));
      if (keyFingerprint(key) === hot)
        throw new YouTubeApiError(
          403,
          'rateLimitExceeded',
          'The request cannot be completed because you have exceeded your quota.',
        );
      return 'ok';
    };
    for (let i = 0; i < 6; i++) expect(await s.hydra.call({ method: 'videos.list' }, fn)).toBe('ok');
    expect(calls.filter((fp) => fp === hot)).toHaveLength(1);
    const k = (await s.hydra.keys()).find((x) => x.fingerprint === hot)!;
    expect(k.state).toBe('cooling');
    expect(k.coolingUntil).toBeGreaterThan(Date.now());
  });

  it('retries 5xx on the same key with backoff, charging each attempt, then gives up', async () => {
    const s = setup({ keys: newKeys(2) });
    const calls: string[] = [];
    let failures = 2;
    const flaky = async (key: string) => {
      calls.push(keyFingerprint(key));
      if (failures-- > 0) throw new YouTubeApiError(503, 'backendError', 'Backend Error');
      return 'ok';
    };
    expect(await s.hydra.call({ method: 'videos.list' }, flaky)).toBe('ok');
    expect(new Set(calls).size).toBe(1);
    expect(calls).toHaveLength(3);
    expect(await s.hydra.remaining()).toEqual({ search: 10, units: 17 });

    const down = async () => {
      throw new YouTubeApiError(0, 'networkError', 'connect ECONNREFUSED');
    };
    const err = await s.hydra.call({ method: 'videos.list' }, down).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'networkError' });
    expect(await s.hydra.remaining()).toEqual({ search: 10, units: 13 });
  });

  it('throws other errors at once and does not refund the call', async () => {
    const s = setup();
    let n = 0;
    const badRequest = async () => {
      n++;
      throw new YouTubeApiError(400, 'badRequest', 'Invalid value');
    };
    await expect(s.hydra.call({ method: 'videos.list' }, badRequest)).rejects.toMatchObject({
      reason: 'badRequest',
    });
    expect(n).toBe(1);
    expect(await s.hydra.remaining()).toEqual({ search: 15, units: 29 });
  });

  it('keeps each key under its per-second rate across concurrent callers', async () => {
    const s = setup({ keys: newKeys(1), keyRps: 3 });
    const starts: number[] = [];
    await Promise.all(
      Array.from({ length: 9 }, () =>
        s.hydra.call({ method: 'videos.list' }, async () => {
          starts.push(Date.now());
        }),
      ),
    );
    starts.sort((x, y) => x - y);
    // A fixed one-second window lets at most 2 × rps calls into any one second.
    for (const t0 of starts)
      expect(starts.filter((x) => x >= t0 && x < t0 + 1000).length).toBeLessThanOrEqual(6);
  });

  it('passes over a key that has taken its calls of the second, and charges nothing for a wait', async () => {
    const s = setup({ keys: newKeys(2), keyRps: 1 });
    const calls: string[] = [];
    // Two callers at once, one call a second per key: each gets a key of its own.
    await Promise.all([0, 1].map(() => s.hydra.call({ method: 'videos.list' }, served(calls))));
    expect(new Set(calls).size).toBe(2);
    // A third call waits for the next second (both keys are busy) and is charged once, when served.
    await s.hydra.call({ method: 'videos.list' }, served(calls));
    expect(calls).toHaveLength(3);
    expect((await s.hydra.remaining()).units).toBe(2 * 10 - 3);
    expect(s.hydra.unitsSeen?.()).toBe(2 * 10 - 3);
  });

  it('in single-key mode uses only the first key of the pool', async () => {
    const s = setup({ enabled: false });
    const calls: string[] = [];
    for (let i = 0; i < 10; i++) await s.hydra.call({ method: 'videos.list' }, served(calls));
    expect(new Set(calls)).toEqual(new Set([keyFingerprint(s.keys[0]!)]));
    await expect(s.hydra.call({ method: 'videos.list' }, served(calls))).rejects.toBeInstanceOf(
      AllKeysExhaustedError,
    );
    expect((await s.hydra.keys()).map((k) => k.fingerprint)).toEqual([keyFingerprint(s.keys[0]!)]);
  });

  it('serves named pools, and a key listed in two pools spends one quota', async () => {
    const [shared, own] = newKeys(2) as [string, string];
    const s = setup({ pools: { hunting: [shared], tracking: [shared, own] } });
    for (let i = 0; i < 10; i++)
      await s.hydra.call({ pool: 'hunting', method: 'videos.list' }, async () => 1);
    await expect(
      s.hydra.call({ pool: 'hunting', method: 'videos.list' }, async () => 1),
    ).rejects.toMatchObject({
      pool: 'hunting',
    });
    const used: string[] = [];
    for (let i = 0; i < 10; i++)
      await s.hydra.call({ pool: 'tracking', method: 'videos.list' }, served(used));
    expect(new Set(used)).toEqual(new Set([keyFingerprint(own)]));
    expect(await s.hydra.remaining('tracking')).toEqual({ search: 10, units: 0 });
    expect((await s.hydra.keys()).map((k) => `${k.pool}/${k.unitsUsed}`)).toEqual([
      'hunting/10',
      'tracking/10',
      'tracking/10',
    ]);
  });
});

describe('handleExhaustion', () => {
  const err = new AllKeysExhaustedError('default', 'units', start.getTime() + 60_000);
  it('returns the wait until the reset', async () => {
    const clock = new ManualClock(start);
    expect(await handleExhaustion(err, { exitOnExhaustion: false, log: silentLogger, clock })).toBe(60_000);
  });
  it('exits with code 42 in exit mode', async () => {
    let code = -1;
    const exit = ((c: number) => {
      code = c;
    }) as (c: number) => never;
    await handleExhaustion(err, { exitOnExhaustion: true, log: silentLogger, exit });
    expect(code).toBe(EXHAUSTED_EXIT_CODE);
  });
  it('rethrows anything else', async () => {
    const other = new Error('boom');
    await expect(handleExhaustion(other, { exitOnExhaustion: true, log: silentLogger })).rejects.toBe(other);
  });
});
