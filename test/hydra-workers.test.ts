import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { type Simulator, startSimulator } from '@pleiades/youtube-simulator';
import { keyFingerprint } from '@pleiades/youtube-simulator/fingerprint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, nextPacificMidnight, pacificDay } from '../src/clock.ts';
import { AllKeysExhaustedError } from '../src/errors/index.ts';
import { createHydra, type KeyState } from '../src/hydra/index.ts';
import { createRedis } from '../src/redis.ts';
import { createYouTubeClient } from '../src/youtube/client.ts';
import { dumpPrefix, leaked } from './fixtures/hydra-scan.ts';
import { createTestRedis, type TestRedis } from './helpers/redis.ts';

/**
 * Real worker processes (test/fixtures/hydra-worker.ts) sharing keys through Redis, against the
 * simulator over HTTP. The simulator runs here on a ManualClock; the workers keep their own
 * ManualClock, which this test sets over IPC whenever it moves the simulator's.
 */

let t: TestRedis;
const allKeys: string[] = [];
const logs: string[] = [];

beforeAll(async () => {
  t = await createTestRedis();
});
afterAll(async () => {
  const seen = await dumpPrefix(t.redis, t.prefix);
  await t.cleanup();
  expect(seen.length).toBeGreaterThan(0);
  expect(leaked(seen, allKeys)).toEqual([]);
  expect(logs.length).toBeGreaterThan(0);
  expect(leaked(logs, allKeys)).toEqual([]);
});

const newKeys = (count: number): string[] => {
  const keys = Array.from({ length: count }, () => `AIzaProc${randomBytes(14).toString('base64url')}`);
  allKeys.push(...keys);
  return keys;
};

interface Worker {
  child: ChildProcess;
  messages: { type: string; [k: string]: unknown }[];
  exited: Promise<number | null>;
}

function spawnWorker(name: string, env: Record<string, string>): Worker {
  const child = spawn('node_modules/.bin/node', ['test/fixtures/hydra-worker.ts'], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, WORKER_NAME: name, ...env },
  });
  const w: Worker = {
    child,
    messages: [],
    exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
  };
  child.stdout?.on('data', (d: Buffer) => logs.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => logs.push(d.toString()));
  child.on('message', (m: { type: string }) => w.messages.push(m));
  return w;
}

const start = new Date('2026-03-10T20:00:00-07:00').getTime();

async function setup(keys: string[], unitsQuota: number) {
  const clock = new ManualClock(start);
  const sim: Simulator = await startSimulator({ clock, keys, unitsQuota });
  const env = {
    REDIS_URL: t.url,
    REDIS_PREFIX: t.prefix,
    YOUTUBE_API_KEY_POOL_JSON: JSON.stringify({ tracking: keys }),
    YOUTUBE_API_ROOT: sim.url,
    HYDRA_UNITS_QUOTA: String(unitsQuota),
    HYDRA_KEY_RPS: '1000',
    WORKER_CLOCK_START: String(start),
    WORKER_VIDEO_IDS: Array.from({ length: 50 }, (_, i) => sim.world.videoIdAt(i)).join(','),
    LOG_LEVEL: 'info',
  };
  return { clock, sim, env };
}

const until = async (cond: () => boolean, what: string, ms = 40_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('worker processes sharing keys', () => {
  it('two workers sharing three keys: quotas hold, no job fails, work resumes after the reset', async () => {
    const keys = newKeys(3);
    const quota = 20;
    const { clock, sim, env } = await setup(keys, quota);
    const workers = ['w1', 'w2'].map((name) =>
      spawnWorker(name, { ...env, WORKER_JOBS: '70', WORKER_LANES: '4' }),
    );
    try {
      const isDone = (w: Worker) => w.messages.some((m) => m.type === 'done');
      const blockedSince = new Map<Worker, number>();
      let days = 0;
      // Whenever every unfinished worker waits for the reset, move both clocks past Pacific midnight.
      while (!workers.every(isDone)) {
        await until(
          () =>
            workers.every(
              (w) =>
                isDone(w) || w.messages.slice(blockedSince.get(w) ?? 0).some((m) => m.type === 'blocked'),
            ),
          'every worker to finish or wait for the reset',
        );
        if (workers.every(isDone)) break;
        clock.set(nextPacificMidnight(clock.now()) + 60_000);
        days++;
        for (const w of workers) {
          blockedSince.set(w, w.messages.length);
          if (!isDone(w)) w.child.send({ type: 'clock', now: clock.now() });
        }
      }
      const codes = await Promise.all(workers.map((w) => w.exited));
      expect(codes).toEqual([0, 0]);
      for (const w of workers) {
        const done = w.messages.find((m) => m.type === 'done')!;
        expect(done).toMatchObject({ done: 70, failed: 0, errors: [] });
      }
      // 140 jobs at 60 units a day: two resets.
      expect(days).toBe(2);
      const stats = sim.stats();
      const perDay = new Map<string, number>();
      for (const k of keys) {
        const byDay = stats.keys[keyFingerprint(k)]!;
        for (const [d, s] of Object.entries(byDay)) {
          expect(s.units).toBeLessThanOrEqual(quota);
          // Each key met quotaExceeded at most once per day (with matching counts: never).
          expect(s.errors.quotaExceeded ?? 0).toBeLessThanOrEqual(1);
          perDay.set(d, (perDay.get(d) ?? 0) + s.units);
        }
      }
      const day1 = pacificDay(start);
      expect([...perDay.keys()].sort()).toHaveLength(3);
      expect(perDay.get(day1)).toBe(3 * quota);
      const total = [...perDay.values()].reduce((a, b) => a + b, 0);
      expect(total).toBe(140);
      for (const units of perDay.values()) expect(units).toBeLessThanOrEqual(3 * quota);
    } finally {
      for (const w of workers) w.child.kill();
      await sim.close();
    }
  });

  it('in exit-42 mode a worker exits with code 42 when every key is spent', async () => {
    const keys = newKeys(2);
    const { sim, env } = await setup(keys, 5);
    const w = spawnWorker('exit42', {
      ...env,
      HYDRA_EXIT_ON_EXHAUSTION: 'true',
      WORKER_JOBS: '30',
      WORKER_LANES: '2',
    });
    try {
      expect(await w.exited).toBe(42);
      const units = keys.map((k) => sim.stats().keys[keyFingerprint(k)]?.[pacificDay(start)]?.units);
      // Every unit was spent; a call of the other lane may still have been in flight at the exit.
      for (const u of units) expect(u).toBeLessThanOrEqual(5);
      expect((units[0] ?? 0) + (units[1] ?? 0)).toBeGreaterThanOrEqual(9);
      expect(logs.join('')).toContain('HYDRA_EXIT_ON_EXHAUSTION');
    } finally {
      w.child.kill();
      await sim.close();
    }
  });

  it('pleiades keys lists fingerprint, pool, usage, state and reset time, never a key', async () => {
    const [k1, k2] = newKeys(2) as [string, string];
    const sim = await startSimulator({ keys: [k1] });
    const pools = { hunting: [k1], tracking: [k2] };
    const redis = createRedis(t.url);
    const hydra = createHydra({ redis, prefix: t.prefix, pools });
    const client = createYouTubeClient({ rootUrl: sim.url });
    try {
      for (let i = 0; i < 3; i++)
        await hydra.call({ pool: 'hunting', method: 'videos.list' }, (k) =>
          client.videosList(k, [sim.world.videoIdAt(i)]),
        );
      await hydra.call({ pool: 'hunting', method: 'search.list' }, (k) =>
        client.searchList(k, { q: 'music' }),
      );
      await expect(
        hydra.call({ pool: 'tracking', method: 'videos.list' }, (k) =>
          client.videosList(k, [sim.world.videoIdAt(0)]),
        ),
      ).rejects.toBeInstanceOf(AllKeysExhaustedError);
    } finally {
      redis.disconnect();
      await sim.close();
    }
    const env = {
      ...process.env,
      REDIS_URL: t.url,
      REDIS_PREFIX: t.prefix,
      YOUTUBE_API_KEY_POOL_JSON: JSON.stringify(pools),
    };
    const cli = (...args: string[]) =>
      execFileSync('node_modules/.bin/node', ['app/cli/main.ts', 'keys', ...args], { env, encoding: 'utf8' });
    const rows = JSON.parse(cli('--json')) as KeyState[];
    expect(rows).toEqual([
      expect.objectContaining({
        pool: 'hunting',
        fingerprint: keyFingerprint(k1),
        state: 'ok',
        unitsUsed: 3,
        searchUsed: 1,
      }),
      expect.objectContaining({
        pool: 'tracking',
        fingerprint: keyFingerprint(k2),
        state: 'disabled',
        unitsUsed: 1,
      }),
    ]);
    expect(rows[0]!.resetAt).toBe(nextPacificMidnight(Date.now()));
    const text = cli();
    logs.push(text);
    expect(text).toMatch(new RegExp(`hunting\\s+${keyFingerprint(k1)}\\s+ok\\s+1/100\\s+3/10000\\s+\\d{4}-`));
    expect(text).toMatch(new RegExp(`tracking\\s+${keyFingerprint(k2)}\\s+disabled`));
    expect(cli('--enable', keyFingerprint(k2))).toContain('enabled');
    expect((JSON.parse(cli('--json')) as KeyState[])[1]!.state).toBe('ok');
  });
});
