import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keyFingerprint } from '@pleiades/youtube-simulator/fingerprint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoClock } from '../src/demo.ts';
import { createHydra } from '../src/hydra/hydra.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { createTestRedis, type TestRedis } from './helpers/redis.ts';

/**
 * The CLI as a person sees it on a terminal: each command runs in a pseudo-terminal (util-linux
 * `script`), answers with a table or a sentence in human units, and exits 1 for "not found"; with
 * `--json` the same commands print JSON.
 */

let db: TestDatabase;
let redis: TestRedis;
let vaultDir: string;
const simKey = 'sim-0123456789abcdef01234567';

beforeAll(async () => {
  [db, redis, vaultDir] = await Promise.all([
    createTestDatabase(),
    createTestRedis(),
    mkdtemp(join(tmpdir(), 'pleiades-tty-')),
  ]);
  // What `start` in demo mode leaves in Redis: the simulator's keys by fingerprint, one search call
  // spent, and the demo's clock.
  const demo = await startDemoClock(redis.redis, redis.prefix, 480);
  const hydra = createHydra({
    redis: redis.redis,
    prefix: redis.prefix,
    pools: { default: [simKey] },
    clock: demo.clock,
  });
  await hydra.call({ method: 'search.list' }, async () => 'ok');
  await demo.stop();
});
afterAll(async () => {
  await redis?.cleanup();
  await db?.drop();
  if (vaultDir) await rm(vaultDir, { recursive: true, force: true });
});

/** Runs `pleiades <args>` on a pseudo-terminal; returns what the terminal showed and the exit code. */
function onTty(args: string[]): { out: string; code: number | null } {
  const cmd = [process.execPath, 'app/cli/main.ts', ...args].map((a) => `'${a}'`).join(' ');
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], {
    env: {
      ...process.env,
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      REDIS_PREFIX: redis.prefix,
      VAULT_DIR: vaultDir,
      YOUTUBE_API_KEY_POOL_JSON: '',
      LOG_LEVEL: 'warn',
    },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { out: r.stdout.replaceAll('\r\n', '\n'), code: r.status };
}

describe('the CLI on a terminal', () => {
  it('answers people with tables and sentences, and machines with --json', () => {
    const queues = onTty(['queues']);
    expect(queues.code).toBe(0);
    expect(queues.out).toMatch(/^queue\s+waiting\s+prioritized\s+active\s+delayed\s+completed\s+failed$/m);
    expect(queues.out).toMatch(/^tracker\s+0\s+0\s+0\s+0\s+0\s+0$/m);
    expect(JSON.parse(onTty(['queues', '--json']).out).tracker).toEqual(
      expect.objectContaining({ waiting: 0 }),
    );

    // The demo's simulator pool, seen from another process through Hydra's roster.
    const keys = onTty(['keys']);
    expect(keys.code).toBe(0);
    expect(keys.out).toContain("the built-in simulator's keys; demo: simulated time ×480");
    expect(keys.out).toMatch(
      new RegExp(`^default\\s+${keyFingerprint(simKey)}\\s+ok\\s+1/100\\s+0/10000\\s`, 'm'),
    );
    expect(keys.out).not.toContain(simKey);
    const keysJson = JSON.parse(onTty(['keys', '--json']).out) as {
      fingerprint: string;
      searchUsed: number;
    }[];
    expect(keysJson).toEqual([
      expect.objectContaining({ fingerprint: keyFingerprint(simKey), searchUsed: 1 }),
    ]);

    const size = onTty(['vault', 'size']);
    expect(size.code).toBe(0);
    expect(size.out.trim()).toMatch(/^0 B in /);
    expect(JSON.parse(onTty(['vault', 'size', '--json']).out)).toEqual(expect.objectContaining({ bytes: 0 }));

    const capacity = onTty(['capacity']);
    expect(capacity.code).toBe(0);
    expect(capacity.out.trim()).toBe(
      'no key pool is set (YOUTUBE_API_KEY_POOL_JSON): the built-in simulator is used, nothing to plan',
    );
    expect(JSON.parse(onTty(['capacity', '--json']).out)).toEqual(
      expect.objectContaining({ policy: 'demote', plan: null }),
    );

    const missing = onTty(['vault', 'export', '--video', 'dQw4w9WgXcQ']);
    expect(missing.code).toBe(1);
    expect(missing.out.trim()).toBe('pleiades: --video: the vault holds no snapshot of dQw4w9WgXcQ');
  });

  it('answers enqueue, follow and retry-failed with sentences and tables, and --json with JSON', () => {
    const search = onTty(['enqueue', 'search', 'lo-fi', 'beats', '--priority', '50']);
    expect(search.code).toBe(0);
    expect(search.out.trim()).toMatch(/^queued search "lo-fi beats" \(id \d+, priority 50\)$/);
    const again = JSON.parse(onTty(['enqueue', 'search', 'LO-FI beats', '--json']).out);
    expect(again).toEqual({ added: [], alreadyQueued: ['LO-FI beats'] });
    expect(onTty(['enqueue', 'search', 'lo-fi beats']).out.trim()).toBe('"lo-fi beats" is already queued');

    const track = onTty(['enqueue', 'track', 'dQw4w9WgXcQ', 'jNQXAC9IVRw']);
    expect(track.code).toBe(0);
    expect(track.out.trim()).toBe('added 2 videos to the watchlist, due now');
    expect(JSON.parse(onTty(['enqueue', 'track', 'dQw4w9WgXcQ', '--json']).out)).toEqual({
      added: 0,
      alreadyTracked: 1,
    });

    const janitor = onTty(['enqueue', 'janitor']);
    expect(janitor.code).toBe(0);
    expect(janitor.out.trim()).toMatch(/^started a janitor job \(id \S+\)$/);
    expect(JSON.parse(onTty(['enqueue', 'painter', '--json']).out)).toEqual(
      expect.objectContaining({ queue: 'painter', jobId: expect.any(String) }),
    );

    const channel = 'UC_x5XG1OV2P6uZZ5FSM9Ttw';
    const follow = onTty(['follow', channel, '--no-dispatch']);
    expect(follow.code).toBe(0);
    expect(follow.out.trim()).toBe('following 1 new channel');
    expect(JSON.parse(onTty(['follow', channel, '--no-dispatch', '--json']).out)).toEqual({
      followed: [],
      alreadyFollowed: [channel],
      dispatched: false,
    });
    const list = onTty(['follow', '--list']);
    expect(list.code).toBe(0);
    expect(list.out).toMatch(
      /^channel\s+origin\s+videos\s+uploads\/day\s+polled every\s+next poll \(UTC\)\s+websub$/m,
    );
    expect(list.out).toMatch(new RegExp(`^${channel}\\s+manual\\s+0\\s`, 'm'));
    expect(JSON.parse(onTty(['follow', '--list', '--json']).out)).toEqual(
      expect.objectContaining({ channelId: channel, origin: 'manual' }),
    );

    const retry = onTty(['retry-failed', 'tracker']);
    expect(retry.code).toBe(0);
    expect(retry.out.trim()).toBe('no failed job in tracker');
    expect(JSON.parse(onTty(['retry-failed', 'tracker', '--json']).out)).toEqual({
      queue: 'tracker',
      retried: 0,
    });
  });
});
