import { mkdir } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_NAMES } from '../queues/index.ts';
import { getWatchlistEntries } from '../src/dao/watchlist.ts';
import { launchChromium } from './helpers/browser.ts';
import { type Seeded, seedOverview, startTestDashboard, type TestDashboard } from './helpers/dashboard.ts';

/** The overview page and Bull Board in Debian's Chromium, against a real server, database and Redis. */

const OUT = 'test-output';
let browser: Browser;
let t: TestDashboard;
let seeded: Seeded;

beforeAll(async () => {
  await mkdir(OUT, { recursive: true });
  [browser, t] = await Promise.all([launchChromium(), startTestDashboard()]);
  seeded = await seedOverview(t);
});

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

async function openOverview(page: Page, base = t.url): Promise<void> {
  await page.goto(`${base}/?refresh=1`);
  await page.waitForSelector('body[data-loaded="true"]');
}

const canvas = (page: Page, id: string) =>
  page.$eval(`#${id}`, (c) => ({
    rendered: (c as HTMLCanvasElement).dataset.rendered,
    total: Number((c as HTMLCanvasElement).dataset.total),
    points: Number((c as HTMLCanvasElement).dataset.points),
    width: (c as HTMLCanvasElement).width,
  }));

describe('overview page', () => {
  it('renders every chart with the data of the database', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await openOverview(page);

    const discovery = await canvas(page, 'chart-discovery');
    expect(discovery).toMatchObject({ rendered: 'true', points: 24 });
    expect(discovery.width).toBeGreaterThan(100);
    expect(discovery.total).toBe(seeded.discoveredPerHourAgo.reduce((a, b) => a + b, 0));

    const snapshots = await canvas(page, 'chart-snapshots');
    expect(snapshots).toMatchObject({ rendered: 'true', total: seeded.stagedRows + seeded.flushedRows });

    const tiers = await canvas(page, 'chart-tiers');
    expect(tiers).toMatchObject({ rendered: 'true', total: seeded.videoIds.length });

    const quota = await canvas(page, 'chart-quota');
    expect(quota.rendered).toBe('true');
    expect(quota.points).toBe(2); // hunting and tracking
    expect(quota.total).toBeGreaterThan(0);

    const queues = await canvas(page, 'chart-queues');
    expect(queues).toMatchObject({ rendered: 'true', points: QUEUE_NAMES.length, total: 4 }); // 3 painter + 1 delayed janitor

    const kpi = async (id: string) => (await page.textContent(`#${id}`))?.trim();
    expect(await kpi('kpi-hot')).toBe(String(seeded.videoIds.length));
    expect(await kpi('kpi-staged')).toBe(String(seeded.stagedRows));

    const growing = await page.$$eval('#growing tbody tr', (rows) =>
      rows.map((r) => r.querySelector('.sub')?.textContent ?? ''),
    );
    expect(growing).toEqual(seeded.growing.slice(0, 10).map((g) => g.videoId));

    const health = await page.$$eval('#health li', (lis) =>
      lis.map((li) => (li as HTMLElement).dataset.status),
    );
    expect(health).toEqual(['ok', 'ok', 'ok', 'ok']);

    await page.screenshot({ path: `${OUT}/dashboard-overview.png`, fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('adds a search query through the form; it appears in the search queue and its dispatcher is started', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    await openOverview(page);
    const dispatchBefore = await t.queues.get('hunter-dispatch').count();
    await page.fill('#queries-input', 'browser added query\n\n  second   browser query ');
    await page.fill('#priority-input', '42');
    await page.click('#form-queries button');
    await page.waitForSelector('#form-queries .result.ok');
    expect(await page.textContent('#form-queries .result')).toBe('Queued 2 queries.');
    await page.waitForSelector('#queries tr[data-query="browser added query"]');
    await page.waitForSelector('#queries tr[data-query="second browser query"]');
    const rows = await t.db.pool.query(
      `SELECT query, origin, priority, state FROM search_queue WHERE query LIKE '%browser%' ORDER BY id`,
    );
    expect(rows.rows).toEqual([
      { query: 'browser added query', origin: 'manual', priority: 42, state: 'pending' },
      { query: 'second browser query', origin: 'manual', priority: 42, state: 'pending' },
    ]);
    expect(await t.queues.get('hunter-dispatch').count()).toBe(dispatchBefore + 1);
    await page.screenshot({ path: `${OUT}/dashboard-query-added.png` });
    await page.close();
  });

  it('tracks videos from links; a bad line is named and nothing is stored', async () => {
    const page = await browser.newPage();
    await openOverview(page);
    const good = 'dQw4w9WgXcQ';
    await page.fill('#track-input', `https://www.youtube.com/watch?v=${good}&t=10\nnot a video`);
    await page.click('#form-track button');
    await page.waitForSelector('#form-track .result.error');
    expect(await page.textContent('#form-track .result')).toMatch(
      /^line 2: expected an 11-character YouTube video id/,
    );
    expect(await getWatchlistEntries(t.db.pool, [good])).toEqual([]);

    await page.fill('#track-input', `https://youtu.be/${good}`);
    await page.click('#form-track button');
    await page.waitForSelector('#form-track .result.ok');
    expect(await page.textContent('#form-track .result')).toBe('Tracking 1 new video.');
    expect((await getWatchlistEntries(t.db.pool, [good])).map((e) => e.tier)).toEqual(['HOURLY']);
    await page.close();
  });
});

describe('Bull Board', () => {
  it('lists every queue', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(`${t.url}/queues`);
    for (const name of QUEUE_NAMES) await page.getByText(name, { exact: true }).first().waitFor();
    await page.screenshot({ path: `${OUT}/bull-board.png` });
    await page.goto(`${t.url}/queues/queue/painter`);
    await page.getByText('painter', { exact: true }).first().waitFor();
    await page.close();
  });
});

describe('the first render and the origin', () => {
  it('shows the figures at load from the page itself, with /api unreachable', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    // The first data must come with the page: every API call fails, and the figures show anyway.
    await page.route('**/api/**', (r) => r.abort());
    await page.goto(`${t.url}/`, { waitUntil: 'load' });
    expect(await page.getAttribute('body', 'data-loaded')).toBe('true');
    expect((await page.textContent('#kpi-hot'))?.trim()).toBe(String(seeded.videoIds.length));
    expect((await page.textContent('#kpi-staged'))?.trim()).toBe(String(seeded.stagedRows));
    expect(await page.textContent('#updated')).toMatch(/^updated /);
    expect(await canvas(page, 'chart-discovery')).toMatchObject({ rendered: 'true', points: 24 });
    expect(await canvas(page, 'chart-queues')).toMatchObject({
      rendered: 'true',
      points: QUEUE_NAMES.length,
    });
    const dashes = await page.$$eval(
      '.kpi .value',
      (v) => v.filter((e) => e.textContent?.trim() === '–').length,
    );
    expect(dashes).toBe(0);
    await page.screenshot({ path: `${OUT}/dashboard-overview-at-load.png`, fullPage: true });
    await page.close();
  });

  it('a title cannot break out of the embedded data', async () => {
    const res = await fetch(`${t.url}/`);
    const html = await res.text();
    const island = /<script type="application\/json" id="first-data">([\s\S]*?)<\/script>/.exec(html)?.[1];
    expect(island).toBeDefined();
    expect(island).not.toContain('<');
    expect(JSON.parse(island!).stats).toBeDefined();
  });

  it('no page of the dashboard sends a request beyond its origin', async () => {
    const origin = new URL(t.url).origin;
    const pages = [
      ['overview', '/?refresh=1', 'body[data-loaded="true"]'],
      ['bull-board', '/queues', 'text=painter'],
      ['bull-board-queue', '/queues/queue/painter', 'text=painter'],
      ['search', `/search?q=${seeded.videoIds[0]}`, 'main'],
      ['video', `/videos/${seeded.videoIds[0]}`, 'main'],
      ['channel', '/channels/UCseedseedseedseedseedse', 'main'],
    ] as const;
    for (const [name, path, ready] of pages) {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      const outside: string[] = [];
      page.on('request', (r) => {
        const u = new URL(r.url());
        if (u.protocol !== 'data:' && u.protocol !== 'blob:' && u.origin !== origin) outside.push(r.url());
      });
      const res = await page.goto(`${t.url}${path}`, { waitUntil: 'load' });
      expect(res?.status(), name).toBe(200);
      await page.locator(ready).first().waitFor();
      await page.waitForLoadState('networkidle');
      if (name.startsWith('bull-board')) {
        // Themed like the overview: the overview's dark background, whatever the browser prefers.
        const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
        expect(bg, name).toBe('rgb(11, 16, 32)');
        await page.screenshot({ path: `${OUT}/${name}.png` });
      }
      expect(outside, name).toEqual([]);
      await page.close();
    }
  });
});

describe('with a token', () => {
  it('sends the browser to the login form, then shows the overview', async () => {
    const token = 'browser-test-token-0123456789';
    const { startDashboard } = await import('../dashboard/server.ts');
    const d = await startDashboard(
      { ...t.deps, config: { ...t.config, DASHBOARD_TOKEN: token } },
      { port: 0, host: '127.0.0.1' },
    );
    try {
      const page = await browser.newPage();
      await page.goto(`${d.url}/?refresh=1`);
      expect(new URL(page.url()).pathname).toBe('/login');
      await page.fill('input[name="token"]', 'wrong-token-wrong-token');
      await page.click('button[type="submit"]');
      await page.waitForSelector('.error');
      await page.fill('input[name="token"]', token);
      await page.click('button[type="submit"]');
      await page.waitForSelector('body[data-loaded="true"]');
      expect(await canvas(page, 'chart-discovery')).toMatchObject({ rendered: 'true', points: 24 });
      await page.close();
    } finally {
      await d.close();
    }
  });
});
