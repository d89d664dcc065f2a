import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productionInstall } from '../deploy/production-install.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { exited, waitFor } from './helpers/processes.ts';
import { createTestRedis, type TestRedis } from './helpers/redis.ts';

const ROOT = new URL('..', import.meta.url).pathname;

/**
 * The image's install (`npm ci --omit=dev --omit=optional`, from the local npm cache) in a copy of
 * the image's files: the runtime commands work from it, and test-only packages are not in it.
 */
describe('a production-only install', () => {
  let dir: string;
  let db: TestDatabase;
  let redis: TestRedis;
  let vault: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = productionInstall({ offline: true });
    // The image ships the dashboard's script built by a stage with dev dependencies: so does this.
    spawnSync(process.execPath, ['dashboard/build.ts'], { cwd: ROOT, stdio: 'ignore' });
    cpSync(join(ROOT, 'dashboard/public/dist'), join(dir, 'dashboard/public/dist'), { recursive: true });
    db = await createTestDatabase();
    redis = await createTestRedis();
    vault = mkdtempSync(join(tmpdir(), 'pleiades-prod-vault-'));
    env = {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      LOG_FORMAT: 'json',
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      REDIS_PREFIX: redis.prefix,
      VAULT_DIR: vault,
      HOST: '127.0.0.1',
      PORT: '0',
    };
  }, 240_000);
  afterAll(async () => {
    await redis?.cleanup();
    await db?.drop();
    if (vault) rmSync(vault, { recursive: true, force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('carries no test-only or build-only package', () => {
    // Google's YouTube client included: the client is node:http (src/youtube/http-get.ts); tests keep
    // Google's own (`googleapis`) to check the simulator and our requests against.
    for (const p of [
      'googleapis',
      '@googleapis/youtube',
      'vitest',
      'typescript',
      'esbuild',
      '@duckdb/node-api',
      'node',
    ])
      expect(existsSync(join(dir, 'node_modules', p)), p).toBe(false);
  });

  it('`pleiades doctor` passes', () => {
    const r = spawnSync(process.execPath, ['bin/pleiades.js', 'doctor'], { cwd: dir, env, encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  /** Runs the copy's CLI until `ready` finds what it waits for in the output, checks, stops it: exit 0. */
  async function whileRunning<T>(
    args: string[],
    extraEnv: Record<string, string>,
    ready: (out: string) => T | undefined | false,
    check: (found: T, pid: number) => Promise<void> | void,
  ): Promise<void> {
    const child = spawn(process.execPath, ['bin/pleiades.js', ...args], {
      cwd: dir,
      env: { ...env, ...extraEnv },
    });
    let out = '';
    const keep = (d: Buffer) => {
      out += d;
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    try {
      await check(await waitFor(args.join(' '), async () => ready(out), 60_000), child.pid!);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited(child), out.slice(-2000)).toBe(0);
  }

  it('`pleiades worker` runs with the V8 heap flags the CLI sets for a worker', async () => {
    const keys = { YOUTUBE_API_KEY_POOL_JSON: '["prod-test-key-1"]', YOUTUBE_API_ROOT: 'http://127.0.0.1:9' };
    await whileRunning(
      ['worker', '--queues', 'tracker'],
      keys,
      (out) => out.includes('worker running'),
      (_, pid) => {
        // Same pid: the CLI replaced the process with one that has the flags.
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        expect(cmdline).toContain('--max-semi-space-size=8');
        expect(cmdline).toContain('--max-old-space-size=128');
        // …and Node's compile cache (no TypeScript stripper once warm) and two malloc arenas.
        const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
        expect(environ.some((e) => e.startsWith('NODE_COMPILE_CACHE='))).toBe(true);
        expect(environ).toContain('MALLOC_ARENA_MAX=2');
      },
    );
  });

  it("the image's baked compile cache holds every module: a worker strips no TypeScript", async () => {
    const cache = mkdtempSync(join(tmpdir(), 'pleiades-compile-cache-'));
    try {
      // The Dockerfile's step, in this install.
      const bake = spawnSync(process.execPath, ['app/cli/compile-cache.ts'], {
        cwd: dir,
        env: { ...env, NODE_COMPILE_CACHE: cache },
        encoding: 'utf8',
      });
      expect(bake.status, bake.stderr).toBe(0);
      // Only what the image never runs in Node: the bundler's script and the browser's code.
      const missed = [...bake.stdout.matchAll(/not compiled: (\S+)/g)].map((m) => m[1]!);
      expect(missed.filter((f) => !/^dashboard\/(build\.ts|client\/)/.test(f))).toEqual([]);
      const keys = {
        YOUTUBE_API_KEY_POOL_JSON: '["prod-test-key-1"]',
        YOUTUBE_API_ROOT: 'http://127.0.0.1:9',
      };
      await whileRunning(
        ['worker', '--queues', 'tracker'],
        { ...keys, NODE_COMPILE_CACHE: cache, NODE_DEBUG_NATIVE: 'COMPILE_CACHE' },
        (out) => out.includes('worker running') && out,
        (out) => {
          expect(out).toMatch(/retrieving transpile cache for StrippedTypeScript/);
          expect(out).not.toMatch(/writing cache for StrippedTypeScript/);
        },
      );
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it('`pleiades start` runs everything, serves the dashboard and stops cleanly', async () => {
    await whileRunning(
      ['start'],
      {},
      (out) => /"dashboard":"(http:[^"]+)".*Pleiades is running/.exec(out)?.[1],
      async (url) => {
        expect((await fetch(`${url}/dist/app.js`)).status).toBe(200);
      },
    );
  });
});
