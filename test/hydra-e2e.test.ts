import { randomBytes } from 'node:crypto';
import { type Simulator, type SimulatorOptions, startSimulator } from '@pleiades/youtube-simulator';
import { keyFingerprint } from '@pleiades/youtube-simulator/fingerprint';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, pacificDay } from '../src/clock.ts';
import { AllKeysExhaustedError } from '../src/errors/index.ts';
import { createHydra, type HydraEvent, type HydraOptions } from '../src/hydra/index.ts';
import { silentLogger } from '../src/log.ts';
import { createRedis } from '../src/redis.ts';
import { createYouTubeClient, type YouTubeClient } from '../src/youtube/client.ts';
import { dumpPrefix, leaked } from './fixtures/hydra-scan.ts';
import { createTestRedis, type TestRedis } from './helpers/redis.ts';

/** Hydra with the real client against the simulator over HTTP, on real Redis. */

let t: TestRedis;
const allKeys: string[] = [];
const open: { close(): Promise<void> }[] = [];
let n = 0;

beforeAll(async () => {
  t = await createTestRedis();
});
afterEach(async () => {
  for (const x of open.splice(0)) await x.close();
});
afterAll(async () => {
  const seen = await dumpPrefix(t.redis, t.prefix);
  await t.cleanup();
  expect(seen.length).toBeGreaterThan(0);
  expect(leaked(seen, allKeys)).toEqual([]);
});

const newKeys = (count: number): string[] => {
  const keys = Array.from({ length: count }, () => `AIzaE2e${randomBytes(14).toString('base64url')}`);
  allKeys.push(...keys);
  return keys;
};

const start = new Date('2026-03-10T23:00:00-07:00');

async function setup(o: {
  keys: string[];
  simKeys?: string[];
  sim?: Partial<SimulatorOptions>;
  hydra?: Partial<HydraOptions>;
  timeoutMs?: number;
}) {
  const clock = new ManualClock(start);
  const sim: Simulator = await startSimulator({
    clock,
    keys: o.simKeys ?? o.keys,
    search: 'perfect',
    ...o.sim,
  });
  open.push(sim);
  const client: YouTubeClient = createYouTubeClient({ rootUrl: sim.url, timeoutMs: o.timeoutMs ?? 5_000 });
  const events: HydraEvent[] = [];
  const opts: HydraOptions = {
    redis: t.redis,
    prefix: `${t.prefix}:${++n}`,
    pools: { tracking: o.keys },
    clock,
    searchQuota: o.sim?.searchQuota ?? 100,
    unitsQuota: o.sim?.unitsQuota ?? 10_000,
    keyRps: 1000,
    log: silentLogger,
    onEvent: (e) => events.push(e),
    retry: { baseMs: 10, maxMs: 50 },
    cooling: { baseMs: 100, maxMs: 1000 },
    ...o.hydra,
  };
  const ids = Array.from({ length: 50 }, (_, i) => sim.world.videoIdAt(i));
  return { clock, sim, client, events, opts, ids, hydra: createHydra(opts) };
}

const day = pacificDay(start.getTime());

describe('Hydra with the simulator', () => {
  it('two Hydras on separate connections: units charged never exceed the quotas, no key meets quotaExceeded', async () => {
    const keys = newKeys(3);
    const s = await setup({ keys, sim: { unitsQuota: 8, searchQuota: 3 } });
    const other: Redis = createRedis(t.url);
    const second = createHydra({ ...s.opts, redis: other });
    const hydras = [s.hydra, second];
    const jobs = [
      ...Array.from({ length: 120 }, (_, i) =>
        hydras[i % 2]!.call({ pool: 'tracking', method: 'videos.list' }, (k) =>
          s.client.videosList(k, s.ids),
        ),
      ),
      ...Array.from({ length: 30 }, (_, i) =>
        hydras[i % 2]!.call({ pool: 'tracking', method: 'search.list' }, (k) =>
          s.client.searchList(k, { q: 'music' }),
        ),
      ),
    ];
    const results = await Promise.allSettled(jobs);
    other.disconnect();
    const rejected = results.filter((r) => r.status === 'rejected').map((r) => r.reason as Error);
    expect(rejected.every((e) => e instanceof AllKeysExhaustedError)).toBe(true);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3 * 8 + 3 * 3);

    const stats = s.sim.stats();
    let units = 0;
    for (const k of keys) {
      const d = stats.keys[keyFingerprint(k)]?.[day];
      expect(d).toBeDefined();
      expect(d!.units).toBe(8);
      expect(d!.searchCalls).toBe(3);
      expect(d!.errors.quotaExceeded ?? 0).toBe(0);
      units += d!.units;
    }
    expect(units).toBeLessThanOrEqual(3 * 8);
    expect(await s.hydra.remaining('tracking')).toEqual({ search: 0, units: 0 });
  });

  it("when YouTube's count runs ahead of Hydra's, each key meets quotaExceeded once per bucket and day", async () => {
    const keys = newKeys(3);
    // Someone else spends these keys too: YouTube allows 5 where Hydra expects 10.
    const s = await setup({
      keys,
      sim: { unitsQuota: 5, searchQuota: 2 },
      hydra: { unitsQuota: 10, searchQuota: 4 },
    });
    let ok = 0;
    for (let i = 0; i < 40; i++) {
      try {
        await s.hydra.call({ method: 'videos.list' }, (k) => s.client.videosList(k, s.ids.slice(0, 5)));
        await s.hydra.call({ method: 'search.list' }, (k) => s.client.searchList(k, { q: 'cooking' }));
        ok++;
      } catch (err) {
        expect(err).toBeInstanceOf(AllKeysExhaustedError);
      }
    }
    expect(ok).toBe(6);
    const stats = s.sim.stats();
    for (const k of keys) {
      const d = stats.keys[keyFingerprint(k)]![day]!;
      expect(d.errors.quotaExceeded).toBe(2); // once for units, once for search
      expect(d.calls['videos.list']).toBeLessThanOrEqual(6);
      expect(d.calls['search.list']).toBe(3);
    }
    expect(s.events.filter((e) => e.type === 'key.exhausted' && e.source === 'youtube')).toHaveLength(6);
    expect((await s.hydra.keys()).map((k) => k.state)).toEqual(['exhausted', 'exhausted', 'exhausted']);

    // After Pacific midnight (one hour on) every key serves again.
    s.clock.advance(60 * 60_000 + 1);
    await s.hydra.call({ method: 'videos.list' }, (k) => s.client.videosList(k, s.ids.slice(0, 5)));
    expect(s.events.at(-1)).toEqual({ type: 'pool.reset', pool: 'tracking', bucket: 'units' });
    expect((await s.hydra.keys()).map((k) => k.state)).toEqual(['ok', 'ok', 'ok']);
  });

  it('an invalid key is disabled and alerted once; the other keys carry on', async () => {
    const [good1, bad, good2] = newKeys(3) as [string, string, string];
    const s = await setup({ keys: [good1, bad, good2], simKeys: [good1, good2] });
    for (let i = 0; i < 20; i++)
      expect(
        (await s.hydra.call({ method: 'videos.list' }, (k) => s.client.videosList(k, s.ids.slice(0, 3))))
          .items,
      ).toHaveLength(3);
    const stats = s.sim.stats();
    expect(stats.keys[keyFingerprint(bad)]![day]!.errors).toEqual({ keyInvalid: 1 });
    expect(s.events).toEqual([{ type: 'key.invalid', pool: 'tracking', fingerprint: keyFingerprint(bad) }]);
    expect((await s.hydra.keys()).map((k) => k.state)).toEqual(['ok', 'disabled', 'ok']);
    expect(
      stats.keys[keyFingerprint(good1)]![day]!.units + stats.keys[keyFingerprint(good2)]![day]!.units,
    ).toBe(20);
  });

  it('a rate-limited key cools while the others carry on', async () => {
    const [hot, k2, k3] = newKeys(3) as [string, string, string];
    const s = await setup({
      keys: [hot, k2, k3],
      sim: { keyRps: 2 },
      hydra: { cooling: { baseMs: 30_000 } },
    });
    // Another client spends this second's allowance of the first key.
    await s.client.videosList(hot, s.ids.slice(0, 1));
    await s.client.videosList(hot, s.ids.slice(0, 1));
    const served: string[] = [];
    for (let i = 0; i < 4; i++)
      await s.hydra.call({ method: 'videos.list' }, async (k) => {
        const r = await s.client.videosList(k, s.ids.slice(0, 1));
        served.push(keyFingerprint(k));
        return r;
      });
    expect(served).toHaveLength(4);
    expect(served).not.toContain(keyFingerprint(hot));
    expect(s.sim.stats().keys[keyFingerprint(hot)]![day]!.errors).toEqual({ rateLimitExceeded: 1 });
    const states = await s.hydra.keys();
    expect(states.map((k) => k.state)).toEqual(['cooling', 'ok', 'ok']);
  });

  it("Hydra's per-key rate limit keeps a burst under YouTube's per-second limit", async () => {
    const keys = newKeys(1);
    // Hydra lets 2 calls a second through per one-second window. A second of YouTube's overlaps at most
    // three of Hydra's windows even if requests arrive up to a second late, so it sees at most 6 of the
    // burst of 8 (with no limit on Hydra's side, all 8 would land in YouTube's first second).
    const s = await setup({ keys, sim: { keyRps: 6 }, hydra: { keyRps: 2 } });
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        s.hydra.call({ method: 'videos.list' }, (k) => s.client.videosList(k, s.ids.slice(0, 2))),
      ),
    );
    expect(results).toHaveLength(8);
    expect(s.sim.stats().errors).toEqual({});
  });

  it('retries 5xx and timeouts on the same key until YouTube answers', async () => {
    const keys = newKeys(2);
    const s = await setup({
      keys,
      sim: { faults: { errorRate: 0.25, timeoutRate: 0.1 } },
      hydra: { retry: { attempts: 6, baseMs: 5, maxMs: 20 } },
      timeoutMs: 300,
    });
    for (let i = 0; i < 25; i++)
      expect(
        (await s.hydra.call({ method: 'videos.list' }, (k) => s.client.videosList(k, s.ids.slice(0, 4))))
          .items,
      ).toHaveLength(4);
    const errors = s.sim.stats().errors;
    expect(errors.backendError).toBeGreaterThan(0);
    expect(errors.timeout).toBeGreaterThan(0);
    // Every attempt was charged by Hydra; YouTube charged the successes and the hung requests.
    const remaining = await s.hydra.remaining();
    const charged = 2 * 10_000 - remaining.units;
    const ytUnits = keys.reduce((a, k) => a + (s.sim.stats().keys[keyFingerprint(k)]?.[day]?.units ?? 0), 0);
    expect(charged).toBeGreaterThanOrEqual(ytUnits);
  });
});
