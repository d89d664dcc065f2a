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

    const missing = onTty(['vault', 'export', '--video', 'dQw4w9WgXcQ']);
    expect(missing.code).toBe(1);
    expect(missing.out.trim()).toBe('pleiades: --video: the vault holds no snapshot of dQw4w9WgXcQ');
  });
});
