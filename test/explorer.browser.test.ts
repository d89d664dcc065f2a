import { mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { World } from '@pleiades/youtube-simulator';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { type RunningDashboard, startDashboard } from '../dashboard/server.ts';
import { HOUR_MS, MINUTE_MS } from '../src/clock.ts';
import { ingestVideoMetadata } from '../src/dao/videos.ts';
import { addToWatchlist, claimDueBatches } from '../src/dao/watchlist.ts';
import { Tier, type TierCode } from '../src/tiers.ts';
import { track } from '../workers/tracker.ts';
import { packJobs } from '../workers/tracker-dispatch.ts';
import { launchChromium } from './helpers/browser.ts';
import { openFilesUnder } from './helpers/open-files.ts';
import { startTestSystem, type TestSystem } from './helpers/system.ts';

/**
 * The explorer after a simulated week: a handful of young videos tracked hour by hour (then every six
 * hours once they are DAILY), one with its likes hidden from the start and one deleted on day 3,
 * flushed to the vault along the way. Chromium opens the video and channel pages.
 */
const OUT = 'test-output';
const START = Date.UTC(2026, 10, 25, 12);
const WORLD = { videosPerDay: 2000, historyDays: 5, deletedFraction: 0, privateFraction: 0 };
const world = new World(42, WORLD, START);
const young = world.videoIdsPublishedBetween(START - 6 * HOUR_MS, START, 6);
const [hidden, deleted] = young as [string, string];

let s: TestSystem;
let dash: RunningDashboard;
let browser: Browser;

async function cycle(): Promise<void> {
  const now = s.clock.now();
  const claimed = [];
  for (const tier of [Tier.HOURLY, Tier.DAILY, Tier.WEEKLY] as TierCode[])
    claimed.push(...(await claimDueBatches(s.db.pool, { tier, limit: 100, now, leaseMs: 15 * MINUTE_MS })));
  for (const job of packJobs(claimed)) await track(s.ctx.deps, job);
}

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  s = await startTestSystem({
    start: START,
    env: { VAULT_FLUSH_INTERVAL_S: '100000000', TRACKER_MISSES_BEFORE_GONE: '3' },
    simulator: { world: WORLD },
    queues: [],
  });
  await ingestVideoMetadata(
    s.db.pool,
    young.map((id) => {
      const d = world.details(world.indexOf(id));
      return {
        id,
        channelId: d.channel.id,
        channelTitle: d.channel.title,
        title: d.title,
        description: d.description,
        tags: d.tags,
        categoryId: Number(d.categoryId),
        durationS: d.durationS,
        publishedAt: new Date(d.publishedAt),
        sourceQueryId: null,
      };
    }),
    new Date(START),
  );
  await addToWatchlist(
    s.db.pool,
    young.map((id) => ({ id, publishedAt: world.publishedAt(world.indexOf(id)) })),
    START,
    s.ctx.deps.policy,
  );
  s.ctx.simulator!.setVideoState(hidden, 'likesHidden');
  const vault = s.ctx.deps.vault;
  // A week: hourly while HOURLY (two days), then every six hours.
  for (let h = 0; h <= 7 * 24; h += h < 48 ? 1 : 6) {
    s.clock.set(START + h * HOUR_MS);
    if (h === 72) s.ctx.simulator!.setVideoState(deleted, 'deleted');
    if (h >= 10 && h <= 12) continue; // the system was stopped: late polls, logged as gaps
    await cycle();
    if (h === 96) await vault.flush(s.db.pool, { clock: s.clock, force: true });
  }
  await vault.flush(s.db.pool, { clock: s.clock, force: true });
  await vault.compact(s.db.pool, { clock: s.clock });
  dash = await startDashboard(
    {
      config: s.config,
      pool: s.db.pool,
      queues: s.ctx.queues,
      redis: s.ctx.redis,
      log: s.ctx.deps.log,
      clock: s.clock,
      vault,
      statsCacheMs: 0,
    },
    { port: 0, host: '127.0.0.1' },
  );
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await dash?.close();
  await s?.close();
});

const duckRows = async (sql: string) => {
  const duck = await (await DuckDBInstance.create(':memory:')).connect();
  try {
    return (await duck.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    duck.closeSync();
  }
};

describe('the video page', () => {
  it('draws the week: points, tier bands, lifecycle markers, gaps; the CSV is the vault rows', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1100 }, acceptDownloads: true });
    const res = await page.goto(`${dash.url}/videos/${hidden}`);
    expect(res?.status()).toBe(200);
    await page.waitForSelector('body[data-ready="true"]');
    const canvas = page.locator('#chart-history');
    await expect.poll(() => canvas.getAttribute('data-rendered')).toBe('true');
    expect(Number(await canvas.getAttribute('data-points'))).toBeGreaterThan(40);
    // HOURLY then DAILY: two bands at least.
    expect(Number(await canvas.getAttribute('data-bands'))).toBeGreaterThanOrEqual(2);
    expect(Number(await canvas.getAttribute('data-markers'))).toBeGreaterThanOrEqual(1);
    expect(await page.locator('#lifecycle tbody').textContent()).toContain('likes_hidden');
    expect(Number(await canvas.getAttribute('data-gaps'))).toBeGreaterThanOrEqual(1);
    expect(await page.locator('#gaps tbody').textContent()).toContain('late');
    expect(await page.locator('#video-title').textContent()).toBe(world.details(world.indexOf(hidden)).title);
    await page.screenshot({ path: `${OUT}/explorer-video.png`, fullPage: true });

    // The log axis redraws the same points.
    await page.locator('#log-axis').check();
    await expect.poll(() => canvas.getAttribute('data-rendered')).toBe('true');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('#download-csv').click(),
    ]);
    const csv = readFileSync((await download.path())!, 'utf8');
    const vaultRows = await duckRows(
      `SELECT video_id, strftime(taken_at, '%Y-%m-%dT%H:%M:%S.%g') || 'Z' AS taken_at,
              strftime(due_at, '%Y-%m-%dT%H:%M:%S.%g') || 'Z' AS due_at,
              coalesce(views::VARCHAR, '') AS views, coalesce(likes::VARCHAR, '') AS likes,
              coalesce(comments::VARCHAR, '') AS comments, tier
       FROM read_parquet('${s.vaultDir}/metrics/*/*.parquet') WHERE video_id = '${hidden}' ORDER BY due_at`,
    );
    const lines = csv.trim().split('\n');
    expect(lines[0]).toBe('video_id,taken_at,due_at,views,likes,comments,tier');
    expect(vaultRows.length).toBeGreaterThan(40);
    expect(lines.slice(1)).toEqual(vaultRows.map((r) => Object.values(r).join(',')));
    // Likes hidden from the start: the likes column is empty throughout.
    expect(vaultRows.every((r) => r.likes === '')).toBe(true);
    await page.close();
  });

  it('shows the deleted video going missing', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1100 } });
    await page.goto(`${dash.url}/videos/${deleted}`);
    await page.waitForSelector('body[data-ready="true"]');
    const events = await page.locator('#lifecycle tbody').textContent();
    expect(events).toContain('unavailable');
    expect(Number(await page.locator('#chart-history').getAttribute('data-markers'))).toBeGreaterThanOrEqual(
      1,
    );
    await page.screenshot({ path: `${OUT}/explorer-video-deleted.png`, fullPage: true });
    await page.close();
  });

  it('says "not tracked" for an unknown id (404 on the page and the API), and names a bad id', async () => {
    const page = await browser.newPage();
    const unknown = 'AAAAAAAAAAA';
    const res = await page.goto(`${dash.url}/videos/${unknown}`);
    expect(res?.status()).toBe(404);
    expect(await page.locator('#not-tracked').textContent()).toContain('not tracked');
    await page.screenshot({ path: `${OUT}/explorer-not-tracked.png` });
    await page.close();
    const api = await fetch(`${dash.url}/api/videos/${unknown}`);
    expect(api.status).toBe(404);
    expect((await api.json()).details[0]).toMatchObject({ field: 'id' });
    expect((await fetch(`${dash.url}/api/videos/${unknown}/history`)).status).toBe(404);
    const bad = await fetch(`${dash.url}/api/videos/not-an-id`);
    expect(bad.status).toBe(400);
    expect((await bad.json()).details[0].field).toBe('id');
    expect((await fetch(`${dash.url}/api/channels/nope`)).status).toBe(400);
    expect((await fetch(`${dash.url}/api/channels/UCAAAAAAAAAAAAAAAAAAAAAA`)).status).toBe(404);
    const q = await fetch(`${dash.url}/api/search?q=`);
    expect(q.status).toBe(400);
    expect((await q.json()).details[0].field).toBe('q');
  });
});

describe('the channel page and search', () => {
  it("lists the channel's tracked videos with their latest figures and a sparkline", async () => {
    const channelId = world.details(world.indexOf(hidden)).channel.id;
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const res = await page.goto(`${dash.url}/channels/${channelId}`);
    expect(res?.status()).toBe(200);
    await page.waitForSelector('body[data-ready="true"]');
    const rows = page.locator('#channel-videos tbody tr');
    expect(await rows.count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator('#channel-videos').textContent()).toContain(
      world.details(world.indexOf(hidden)).title,
    );
    expect(
      Number(await page.locator('#channel-videos canvas.spark').first().getAttribute('data-points')),
    ).toBeGreaterThan(1);
    await page.selectOption('#channel-sort', 'age');
    await page.screenshot({ path: `${OUT}/explorer-channel.png`, fullPage: true });
    await page.close();
  });

  it('finds a video by id, link and title words, and links to it', async () => {
    const title = world.details(world.indexOf(hidden)).title;
    const word = title.split(' ').find((w) => w.length > 3) ?? title;
    for (const q of [hidden, `https://www.youtube.com/watch?v=${hidden}`, word]) {
      const r = await (await fetch(`${dash.url}/api/search?q=${encodeURIComponent(q)}`)).json();
      expect(
        r.results.map((x: { id: string }) => x.id),
        q,
      ).toContain(hidden);
    }
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(`${dash.url}/`);
    await page.locator('form.search input').fill(word);
    await page.locator('form.search input').press('Enter');
    await page.waitForSelector('body[data-ready="true"]');
    await page.locator(`#search-results a[href="/videos/${hidden}"]`).first().click();
    await page.waitForSelector('body[data-ready="true"]');
    expect(page.url()).toContain(`/videos/${hidden}`);
    await page.goto(`${dash.url}/search`);
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.locator('#list-recent li a').count()).toBeGreaterThan(0);
    await page.screenshot({ path: `${OUT}/explorer-search.png`, fullPage: true });
    await page.close();
  });
});

describe('the dataset card', () => {
  it('is README.md at the vault root, with configs whose globs match existing files', async () => {
    const text = readFileSync(`${s.vaultDir}/README.md`, 'utf8');
    const front = /^---\n([\s\S]*?)\n---\n/.exec(text);
    expect(front).not.toBeNull();
    const meta = parseYaml(front![1]!) as {
      configs: { config_name: string; data_files: { path: string }[] }[];
    };
    expect(meta.configs.map((c) => c.config_name)).toContain('metrics');
    for (const c of meta.configs)
      for (const f of c.data_files) {
        const [{ n }] = (await duckRows(
          `SELECT count(*)::INT AS n FROM glob('${s.vaultDir}/${f.path}')`,
        )) as [{ n: number }];
        expect(n, f.path).toBeGreaterThan(0);
      }
  });
});

describe('stopping the dashboard', () => {
  it('closes the vault files the explorer kept open for its next pages', async () => {
    // The pages above read the vault's day files, and the explorer keeps them open between pages.
    const vault = realpathSync(s.vaultDir);
    expect(openFilesUnder(vault).length).toBeGreaterThan(0);
    await dash.close();
    expect(openFilesUnder(vault)).toEqual([]);
  });
});
