import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type System, startSystem } from '../app/system.ts';
import { loadConfig } from '../src/config/index.ts';
import { silentLogger } from '../src/log.ts';
import { launchChromium } from './helpers/browser.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { createTestRedis, type TestRedis } from './helpers/redis.ts';

/**
 * The overview page of a running system (`startSystem`: simulator, schedulers, every worker and the
 * dashboard, as `npm start` runs them): its charts fill with what the system collects, and a query
 * added through the form is hunted.
 */

const OUT = 'test-output';
let browser: Browser;
let db: TestDatabase;
let redis: TestRedis;
let vaultDir: string;
let system: System;
let url: string;

beforeAll(async () => {
  await mkdir(OUT, { recursive: true });
  [browser, db, redis, vaultDir] = await Promise.all([
    launchChromium(),
    createTestDatabase(),
    createTestRedis(),
    mkdtemp(join(tmpdir(), 'pleiades-browser-system-')),
  ]);
  const config = loadConfig(
    {
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      REDIS_PREFIX: redis.prefix,
      VAULT_DIR: vaultDir,
      PORT: '0',
      LOG_LEVEL: 'silent',
      SEED_QUERIES: 'music',
      HUNTER_DISPATCH_EVERY_S: '1',
      TRACKER_DISPATCH_EVERY_S: '1',
      VAULT_FLUSH_INTERVAL_S: '1',
      HUNTER_MAX_PAGES: '1',
      SNOWBALL_MAX_DEPTH: '0',
    },
    { dotenvPath: false },
  );
  system = await startSystem(config, silentLogger, { events: false });
  if (!system.dashboardUrl) throw new Error('startSystem did not start the dashboard');
  url = system.dashboardUrl;
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await system?.close();
  await redis?.cleanup();
  await db?.drop();
  if (vaultDir) await rm(vaultDir, { recursive: true, force: true });
});

describe('overview of a running system', () => {
  it('fills its charts with collected data, and a query added through the form is hunted', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${url}/?refresh=1`);
    await page.waitForSelector('body[data-loaded="true"]');

    await page.fill('#queries-input', 'travel');
    await page.click('#form-queries button');
    await page.waitForSelector('#form-queries .result.ok');
    const row = '#queries tr[data-query="travel"]';
    await page.waitForSelector(row);
    // Hunted: the hunter ran its page (the state leaves "pending") and found videos.
    await page.waitForFunction(
      (sel) => {
        const tr = document.querySelector(sel);
        const state = tr?.querySelector('.state')?.textContent;
        const found = Number(tr?.querySelectorAll('td')[2]?.textContent?.replace(/,/g, ''));
        return state !== undefined && state !== 'pending' && found > 0;
      },
      row,
      { timeout: 40_000 },
    );
    const r = await system.context.pool.query(
      `SELECT origin, state, results_found FROM search_queue WHERE query = 'travel'`,
    );
    expect(r.rows[0]).toMatchObject({ origin: 'manual' });
    expect(r.rows[0].results_found).toBeGreaterThan(0);

    // The charts show what the system collected: discoveries, watchlist, snapshots, quota, queues.
    await page.waitForFunction(
      () => Number(document.querySelector<HTMLCanvasElement>('#chart-snapshots')?.dataset.total) > 0,
      undefined,
      { timeout: 40_000 },
    );
    const totals = await page.$$eval('canvas', (cs) =>
      Object.fromEntries(cs.map((c) => [c.id, Number((c as HTMLCanvasElement).dataset.total)])),
    );
    expect(totals['chart-discovery']).toBeGreaterThan(0);
    expect(totals['chart-tiers']).toBeGreaterThan(0);
    expect(totals['chart-quota']).toBeGreaterThan(0);
    const discovered = await system.context.pool.query('SELECT count(*)::int AS n FROM videos');
    expect(totals['chart-discovery']).toBeLessThanOrEqual(discovered.rows[0].n);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: `${OUT}/dashboard-running-system.png`, fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });
});
