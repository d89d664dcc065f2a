import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './helpers/browser.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { exited, spawnPleiades, waitFor } from './helpers/processes.ts';
import { createTestRedis, type TestRedis } from './helpers/redis.ts';
import { freePort } from './helpers/reliability.ts';

/**
 * The living demo as a newcomer starts it: `pleiades start` without keys runs the whole system on a
 * sped-up simulated clock (DEMO_SPEED; faster here than the default so the test is short). Within a
 * few real minutes the quota's Pacific day turns and search is spent again, videos move from the
 * HOURLY tier to DAILY, a finished day's vault files are compacted — and no snapshot is in the vault
 * twice. Everything is read from what the system leaves behind: Postgres, and the Parquet files
 * through DuckDB (an independent reader).
 */

const OUT = 'test-output';
const SPEED = 720; // a simulated day every 2 real minutes
const REAL_LIMIT_MS = 6 * 60_000;

let db: TestDatabase;
let redis: TestRedis;
let vaultDir: string;
let browser: Browser;
let duck: Awaited<ReturnType<DuckDBInstance['connect']>>;

beforeAll(async () => {
  await mkdir(OUT, { recursive: true });
  [db, redis, vaultDir, browser] = await Promise.all([
    createTestDatabase(),
    createTestRedis(),
    mkdtemp(join(tmpdir(), 'pleiades-demo-')),
    launchChromium(),
  ]);
  duck = await (await DuckDBInstance.create(':memory:')).connect();
});
afterAll(async () => {
  await browser?.close();
  await redis?.cleanup();
  await db?.drop();
  if (vaultDir) await rm(vaultDir, { recursive: true, force: true });
});

async function query<T>(sql: string): Promise<T[]> {
  return (await duck.runAndReadAll(sql)).getRowObjectsJson() as T[];
}

const metrics = () => `read_parquet('${vaultDir}/metrics/*/*.parquet', union_by_name = true)`;

/** What the demo has done so far, from Postgres and the vault. */
async function progress() {
  const days = await db.pool.query<{ day: string; calls: number }>(
    `SELECT day::text, search_calls AS calls FROM discovery_daily WHERE route = 'search' AND search_calls > 0 ORDER BY day`,
  );
  let promoted = 0;
  let compacted = 0;
  try {
    [{ n: promoted }] = (await query<{ n: number }>(
      `SELECT count(*)::INT AS n FROM (SELECT video_id FROM ${metrics()} GROUP BY video_id
         HAVING max(taken_at) FILTER (WHERE tier = 'HOURLY') < min(taken_at) FILTER (WHERE tier = 'DAILY'))`,
    )) as [{ n: number }];
    [{ n: compacted }] = (await query<{ n: number }>(
      `SELECT count(*)::INT AS n FROM parquet_kv_metadata('${vaultDir}/metrics/*/*.parquet')
         WHERE decode(key) = 'pleiades.merged_files' AND decode(value)::INT > 1`,
    )) as [{ n: number }];
  } catch {
    // No Parquet file yet (or one being replaced by a compaction right now): nothing to count.
  }
  return { searchDays: days.rows, promoted, compacted };
}

describe('the living demo', () => {
  it(
    'shows a simulated day in minutes: a Pacific-midnight reset, HOURLY → DAILY, a compaction, no duplicate',
    async () => {
      const port = await freePort();
      const start = spawnPleiades(['start'], {
        DATABASE_URL: db.url,
        REDIS_URL: redis.url,
        REDIS_PREFIX: redis.prefix,
        VAULT_DIR: vaultDir,
        PORT: String(port),
        HOST: '127.0.0.1',
        DEMO_SPEED: String(SPEED),
        YOUTUBE_API_KEY_POOL_JSON: '',
        YOUTUBE_API_ROOT: '',
        LOG_LEVEL: 'info',
      });
      const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
      let done: Awaited<ReturnType<typeof progress>> | undefined;
      try {
        await waitFor('the dashboard', async () => start.output().includes('"Pleiades is running"'), 60_000);
        expect(start.output()).toContain(`demo: simulated time ×${SPEED}`);
        await page.goto(`http://127.0.0.1:${port}/`);
        await page.waitForSelector('body[data-loaded="true"]');
        expect(await page.textContent('#demo')).toMatch(
          new RegExp(`^demo: simulated time ×${SPEED} · \\d{4}-`),
        );
        await page.screenshot({ path: join(OUT, 'demo-overview-at-load.png'), fullPage: true });

        // Polled every few seconds: DuckDB reads the whole vault each time.
        const until = Date.now() + REAL_LIMIT_MS - 30_000;
        for (;;) {
          const p = await progress();
          if (p.searchDays.length >= 2 && p.promoted > 0 && p.compacted > 0) {
            done = p;
            break;
          }
          if (Date.now() > until)
            throw new Error(`the demo got only so far: ${JSON.stringify(p)}\n${start.output().slice(-3000)}`);
          await new Promise((r) => setTimeout(r, 3000));
        }
        await page.goto(`http://127.0.0.1:${port}/`);
        await page.waitForSelector('body[data-loaded="true"]');
        await page.screenshot({ path: join(OUT, 'demo-overview-after-a-day.png'), fullPage: true });
      } finally {
        start.kill('SIGTERM');
        await exited(start);
      }
      // Search was spent on two Pacific days: the quota reset at midnight and the Hunter used it again.
      if (!done) throw new Error('unreachable');
      expect(done.searchDays[1]!.day > done.searchDays[0]!.day).toBe(true);
      expect(done.promoted).toBeGreaterThan(0);
      expect(done.compacted).toBeGreaterThan(0);
      const [dup] = await query<{ rows: number; distinct: number }>(
        `SELECT count(*)::INT AS rows, count(DISTINCT (video_id, due_at))::INT AS distinct FROM ${metrics()}`,
      );
      expect(dup!.rows).toBeGreaterThan(0);
      expect(dup!.rows).toBe(dup!.distinct);
    },
    REAL_LIMIT_MS + 60_000,
  );
});
