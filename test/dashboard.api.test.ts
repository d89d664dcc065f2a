import { request } from 'node:http';
import { keyFingerprint } from '@pleiades/youtube-simulator/fingerprint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard } from '../dashboard/server.ts';
import { QUEUE_NAMES } from '../queues/index.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../src/clock.ts';
import { countQueriesByState } from '../src/dao/search-queue.ts';
import { ingestVideoMetadata } from '../src/dao/videos.ts';
import { countWatchlistByTier, getWatchlistEntries } from '../src/dao/watchlist.ts';
import { InsecureDashboardError } from '../src/errors/index.ts';
import { videoIdFromBits } from '../src/video-id.ts';
import {
  type Answer,
  callApi,
  startTestDashboard,
  TEST_KEYS,
  type TestDashboard,
} from './helpers/dashboard.ts';

let t: TestDashboard;
beforeAll(async () => {
  t = await startTestDashboard();
});
afterAll(async () => {
  await t?.close();
});

const call = (
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  base = t.url,
): Promise<Answer> => callApi(base, method, path, body, headers);

const fields = (a: Answer): string[] =>
  ((a.body as { details?: { field: string }[] }).details ?? []).map((d) => d.field);

/** Everything a write could change: search queue, watchlist, and every queue's jobs. */
async function state() {
  return {
    queries: await countQueriesByState(t.db.pool),
    watchlist: await countWatchlistByTier(t.db.pool),
    jobs: await t.jobCounts(),
  };
}

const ids = (n: number, salt: bigint) =>
  Array.from({ length: n }, (_, i) => videoIdFromBits(BigInt(i + 1) * 0x9e3779b97f4a7c15n + salt));

describe('POST /api/search-queries', () => {
  it('queues one query as a manual query and starts the hunter dispatcher', async () => {
    const before = await t.queues.get('hunter-dispatch').getJobCounts();
    const r = await call('POST', '/api/search-queries', { query: '  Lo-Fi   Beats ' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      added: [{ query: 'Lo-Fi Beats', priority: 10, state: 'pending' }],
      alreadyQueued: [],
    });
    const row = await t.db.pool.query(
      "SELECT origin, priority FROM search_queue WHERE query_norm = 'lo-fi beats'",
    );
    expect(row.rows).toEqual([{ origin: 'manual', priority: 10 }]);
    const after = await t.queues.get('hunter-dispatch').getJobCounts();
    expect(after.waiting! + after.prioritized!).toBe(before.waiting! + before.prioritized! + 1);
  });

  it('queues many at a priority and names the ones already queued', async () => {
    const r = await call('POST', '/api/search-queries', {
      queries: ['jazz', 'LO-FI beats', 'synthwave', 'jazz'],
      priority: 50,
    });
    expect(r.status).toBe(201);
    const body = r.body as { added: { query: string; priority: number }[]; alreadyQueued: string[] };
    expect(body.added.map((q) => q.query).sort()).toEqual(['jazz', 'synthwave']);
    expect(body.added.every((q) => q.priority === 50)).toBe(true);
    expect(body.alreadyQueued).toEqual(['LO-FI beats']);
    const again = await call('POST', '/api/search-queries', { query: 'Jazz' });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ added: [], alreadyQueued: ['Jazz'], dispatched: false });
  });

  it('rejects every bad input class with the field named, and changes nothing', async () => {
    const before = await state();
    const cases: [unknown, string, number?][] = [
      [{}, 'queries'],
      [{ query: 42 }, 'query'],
      [{ query: '   ' }, 'query'],
      [{ query: 'x'.repeat(201) }, 'query'],
      [{ query: 'bell\u0007' }, 'query'],
      [{ queries: [] }, 'queries'],
      [{ queries: 'music' }, 'queries'],
      [{ queries: ['fine', 7] }, 'queries.1'],
      [{ queries: ['fine', ''] }, 'queries.1'],
      [{ queries: Array.from({ length: 501 }, (_, i) => `q${i}`) }, 'queries'],
      [{ query: 'fine', priority: 1.5 }, 'priority'],
      [{ query: 'fine', priority: '5' }, 'priority'],
      [{ query: 'fine', priority: 5000 }, 'priority'],
      [{ query: 'fine', queries: ['also fine'] }, 'query'],
      [{ query: 'fine', origin: 'seed' }, 'origin'],
      [['fine'], 'body'],
      [null, 'body'],
    ];
    for (const [body, field] of cases) {
      const r = await call('POST', '/api/search-queries', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body, JSON.stringify(body)).toMatchObject({ error: 'invalid request' });
      expect(fields(r), JSON.stringify(body)).toContain(field);
    }
    const malformed = await call('POST', '/api/search-queries', '{"query": "unterminated');
    expect([malformed.status, fields(malformed)]).toEqual([400, ['body']]);
    const plain = await call('POST', '/api/search-queries', 'music', { 'content-type': 'text/plain' });
    expect([plain.status, fields(plain)]).toEqual([415, ['content-type']]);
    const empty = await fetch(`${t.url}/api/search-queries`, { method: 'POST' });
    expect(empty.status).toBe(400);
    const big = await call('POST', '/api/search-queries', {
      queries: Array.from({ length: 600 }, () => 'y'.repeat(199)),
    });
    expect([big.status, fields(big)]).toEqual([413, ['body']]);
    expect(await state()).toEqual(before);
  });
});

describe('POST /api/track', () => {
  it('adds videos due now, with the publish time of the hot table when known', async () => {
    const [fresh, known] = ids(2, 3n);
    const now = Date.now();
    await ingestVideoMetadata(
      t.db.pool,
      [
        {
          id: known!,
          channelId: 'UCxxxxxxxxxxxxxxxxxxxxxx',
          channelTitle: 'c',
          title: 'three days old',
          description: '',
          tags: [],
          categoryId: null,
          durationS: null,
          publishedAt: new Date(now - 3 * DAY_MS),
          sourceQueryId: null,
        },
      ],
      new Date(now),
    );
    const dispatchBefore = await t.queues.get('tracker-dispatch').count();
    const r = await call('POST', '/api/track', { videoIds: [fresh, known, fresh] });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({ added: 2, alreadyTracked: 0, dispatched: true });
    const rows = await getWatchlistEntries(t.db.pool, [fresh!, known!]);
    const byId = Object.fromEntries(rows.map((x) => [x.videoId, x]));
    expect(byId[fresh!]!.tier).toBe('HOURLY');
    expect(byId[known!]!.tier).toBe('DAILY');
    for (const x of rows) expect(Math.abs((x.nextTrackAt ?? 0) - now)).toBeLessThan(2 * MINUTE_MS);
    expect(await t.queues.get('tracker-dispatch').count()).toBe(dispatchBefore + 1);
    const again = await call('POST', '/api/track', { videoId: fresh });
    expect(again).toMatchObject({ status: 200, body: { added: 0, alreadyTracked: 1 } });
  });

  it('rejects malformed ids and bad shapes, storing none of the batch', async () => {
    const before = await state();
    const [good] = ids(1, 5n);
    const cases: [unknown, string][] = [
      [{}, 'videoIds'],
      [{ videoIds: [] }, 'videoIds'],
      [{ videoIds: good }, 'videoIds'],
      [{ videoIds: [good, 'not-an-id'] }, 'videoIds.1'],
      [{ videoIds: [good, 'dQw4w9WgXcZ'] }, 'videoIds.1'], // right length, impossible last character
      [{ videoIds: [good, 12345678901] }, 'videoIds.1'],
      [{ videoId: 5 }, 'videoId'],
      [{ videoIds: ids(1001, 9n) }, 'videoIds'],
      [{ videoIds: [good], tier: 'HOURLY' }, 'tier'],
    ];
    for (const [body, field] of cases) {
      const r = await call('POST', '/api/track', body);
      expect(r.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(fields(r), JSON.stringify(body).slice(0, 80)).toContain(field);
    }
    expect(await state()).toEqual(before);
    expect(await getWatchlistEntries(t.db.pool, [good!])).toEqual([]);
  });
});

describe('POST /api/jobs/:queue', () => {
  it('enqueues janitor, painter, scribe and vault-flush jobs with validated payloads', async () => {
    const bodies: [string, unknown][] = [
      ['janitor', { retentionDays: 10 }],
      ['painter', { limit: 100 }],
      ['scribe', undefined],
      ['vault-flush', { force: true }],
    ];
    for (const [queue, body] of bodies) {
      const r = await call('POST', `/api/jobs/${queue}`, body);
      expect(r.status, queue).toBe(202);
      const { jobId } = r.body as { jobId: string };
      const job = await t.queues.get(queue as 'janitor').getJob(jobId);
      expect(job?.data, queue).toEqual(body ?? {});
    }
  });

  it('refuses unknown queues, dispatcher-fed queues and bad payloads, enqueuing nothing', async () => {
    const before = await state();
    const cases: [string, unknown, number, string][] = [
      ['nope', {}, 404, 'queue'],
      ['hunter', {}, 400, 'queue'],
      ['tracker', {}, 400, 'queue'],
      ['tracker-dispatch', {}, 400, 'queue'],
      ['janitor', { retentionDays: 'seven' }, 400, 'retentionDays'],
      ['janitor', { retentionDays: -1 }, 400, 'retentionDays'],
      ['painter', { limit: 0 }, 400, 'limit'],
      ['scribe', { limit: 20_000 }, 400, 'limit'],
      ['vault-flush', { force: 'yes' }, 400, 'force'],
      ['janitor', { bogus: true }, 400, 'bogus'],
      ['painter', [1], 400, 'body'],
    ];
    for (const [queue, body, status, field] of cases) {
      const r = await call('POST', `/api/jobs/${queue}`, body);
      expect(r.status, `${queue} ${JSON.stringify(body)}`).toBe(status);
      expect(fields(r), `${queue} ${JSON.stringify(body)}`).toContain(field);
    }
    const unknown = await call('POST', '/api/jobs/nope', {});
    expect(JSON.stringify(unknown.body)).toContain('nope');
    const big = await call('POST', '/api/jobs/janitor', { pad: 'z'.repeat(150_000) });
    expect([big.status, fields(big)]).toEqual([413, ['body']]);
    expect(await state()).toEqual(before);
  });
});

describe('read endpoints', () => {
  it('GET /api/queues counts every queue by state', async () => {
    const r = await call('GET', '/api/queues');
    expect(r.status).toBe(200);
    const list = (r.body as { queues: { name: string; counts: Record<string, number> }[] }).queues;
    expect(list.map((q) => q.name)).toEqual(QUEUE_NAMES);
    for (const q of list) expect(q.counts).toEqual(await t.queues.get(q.name as 'janitor').getJobCounts());
  });

  it('GET /api/keys shows fingerprints and quota state, never a key', async () => {
    for (let i = 0; i < 3; i++)
      await t.hydra.call({ pool: 'tracking', method: 'videos.list' }, async () => null);
    await t.hydra.call({ pool: 'hunting', method: 'search.list' }, async () => null);
    const r = await call('GET', '/api/keys');
    expect(r.status).toBe(200);
    const text = JSON.stringify(r.body);
    for (const key of Object.values(TEST_KEYS).flat()) {
      expect(text).not.toContain(key);
      expect(text).toContain(keyFingerprint(key));
    }
    const body = r.body as {
      keys: { pool: string; unitsUsed: number; searchUsed: number; state: string }[];
      pools: Record<string, { remaining: { search: number; units: number } }>;
    };
    const used = (pool: string, f: 'unitsUsed' | 'searchUsed') =>
      body.keys.filter((k) => k.pool === pool).reduce((a, k) => a + k[f], 0);
    expect(used('tracking', 'unitsUsed')).toBe(3);
    expect(used('hunting', 'searchUsed')).toBe(1);
    expect(body.pools.tracking!.remaining.units).toBe(10_000 - 3);
    expect(body.keys.every((k) => k.state === 'ok')).toBe(true);
  });

  it('GET /api/stats matches the database', async () => {
    const now = Date.now();
    const fresh = ids(5, 77n);
    await ingestVideoMetadata(
      t.db.pool,
      fresh.map((id, i) => ({
        id,
        channelId: 'UCyyyyyyyyyyyyyyyyyyyyyy',
        channelTitle: 'c',
        title: `v${i}`,
        description: '',
        tags: [],
        categoryId: null,
        durationS: null,
        publishedAt: new Date(now - HOUR_MS),
        sourceQueryId: null,
      })),
      new Date(now - 2 * HOUR_MS),
    );
    const r = await call('GET', '/api/stats');
    expect(r.status).toBe(200);
    const s = r.body as {
      videos: { hot: number; discoveredLast24h: number };
      watchlist: { total: number; byTier: Record<string, number> };
      searchQueries: { byState: Record<string, number>; recent: { query: string }[] };
      discovery: { perHour: { hour: string; count: number }[] };
      vault: { stagedRows: number; flushedRows: number; sizeBytes: number };
      quota: { pool: string; unitsUsed: number; unitsQuota: number }[];
    };
    const n = async (sql: string) => Number((await t.db.pool.query(sql)).rows[0].n);
    expect(s.videos.hot).toBe(await n('SELECT count(*) AS n FROM videos'));
    expect(s.videos.discoveredLast24h).toBe(
      await n("SELECT count(*) AS n FROM videos WHERE discovered_at > now() - interval '24 hours'"),
    );
    expect(s.discovery.perHour).toHaveLength(24);
    const twoHoursAgo = new Date(Math.floor((now - 2 * HOUR_MS) / HOUR_MS) * HOUR_MS).toISOString();
    expect(s.discovery.perHour.find((p) => p.hour === twoHoursAgo)?.count).toBe(5);
    expect(s.watchlist.byTier).toEqual(await countWatchlistByTier(t.db.pool));
    expect(s.watchlist.total).toBe(await n('SELECT count(*) AS n FROM watchlist'));
    expect(s.searchQueries.byState).toEqual(await countQueriesByState(t.db.pool));
    expect(s.searchQueries.recent.map((q) => q.query)).toContain('Lo-Fi Beats');
    expect(s.vault).toEqual({ stagedRows: 0, flushedRows: 0, sizeBytes: 0 });
    expect(s.quota.find((p) => p.pool === 'tracking')).toMatchObject({ unitsUsed: 3, unitsQuota: 10_000 });
  });

  it('GET /api/health reports every dependency', async () => {
    const r = await call('GET', '/api/health');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      status: 'ok',
      checks: {
        redis: { status: 'ok' },
        postgres: { status: 'ok' },
        vault: { status: 'ok' },
        keys: { status: 'ok' },
      },
    });
  });

  it('answers unknown API paths with the JSON error shape', async () => {
    const r = await call('GET', '/api/nothing-here');
    expect(r.status).toBe(404);
    expect(fields(r)).toEqual(['path']);
  });
});

describe('health when a dependency is down', () => {
  it('answers 503 and names Postgres when the database is unreachable', async () => {
    const down = await startDashboardWith({ DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/nothing' });
    try {
      const r = await call('GET', '/api/health', undefined, {}, down.url);
      expect(r.status).toBe(503);
      expect(r.body).toMatchObject({
        status: 'down',
        checks: { postgres: { status: 'down' }, redis: { status: 'ok' } },
      });
    } finally {
      await down.close();
    }
  });
});

/** A second dashboard sharing this file's Redis and queues, over other settings. */
async function startDashboardWith(env: Record<string, string | undefined>, host = '127.0.0.1') {
  const { createPool } = await import('../src/db/pool.ts');
  const config = { ...t.config, ...env } as typeof t.config;
  const pool =
    config.DATABASE_URL === t.config.DATABASE_URL ? t.db.pool : createPool(config.DATABASE_URL, { max: 1 });
  const d = await startDashboard({ ...t.deps, config, pool }, { port: 0, host });
  return {
    url: d.url,
    async close() {
      await d.close();
      if (pool !== t.db.pool) await pool.end();
    },
  };
}

describe('auth', () => {
  const TOKEN = 'a-long-dashboard-token-0123456789';

  it('with a token: everything but /api/health needs it, by header or login cookie', async () => {
    const d = await startDashboardWith({ DASHBOARD_TOKEN: TOKEN });
    try {
      const get = (path: string, headers: Record<string, string> = {}) =>
        call('GET', path, undefined, headers, d.url);
      expect((await get('/api/health')).status).toBe(200);
      for (const path of ['/api/stats', '/api/queues', '/api/keys', '/metrics', '/queues/api/queues']) {
        const r = await get(path);
        expect(r.status, path).toBe(401);
        expect(fields(r), path).toEqual(['authorization']);
        expect(r.headers.get('www-authenticate'), path).toMatch(/^Bearer/);
      }
      expect((await get('/api/stats', { authorization: 'Bearer wrong-token-wrong-token' })).status).toBe(401);
      expect((await get('/api/stats', { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
      expect((await get('/metrics', { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
      // A browser is sent to the login form, which sets a cookie.
      const page = await get('/', { accept: 'text/html' });
      expect([page.status, page.headers.get('location')]).toEqual([303, '/login?next=%2F']);
      const bad = await fetch(`${d.url}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'token=nope&next=%2F',
      });
      expect(bad.headers.get('location')).toMatch(/^\/login\?failed=1/);
      expect(bad.headers.get('set-cookie')).toBeNull();
      const login = await fetch(`${d.url}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `token=${TOKEN}&next=%2Fqueues`,
      });
      expect([login.status, login.headers.get('location')]).toEqual([303, '/queues']);
      const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
      expect(cookie).not.toContain(TOKEN);
      const withCookie = await get('/api/stats', { cookie });
      expect(withCookie.status, JSON.stringify(withCookie.body)).toBe(200);
      expect((await get('/', { cookie, accept: 'text/html' })).status).toBe(200);
      expect((await get('/api/stats', { cookie: 'pleiades_session=forged' })).status).toBe(401);
      // Writes without the token store nothing.
      const before = await state();
      const w = await call('POST', '/api/search-queries', { query: 'sneaky' }, {}, d.url);
      expect(w.status).toBe(401);
      // …and a write from another site is refused even with the cookie.
      const csrf = await call(
        'POST',
        '/api/search-queries',
        { query: 'sneaky' },
        { cookie, origin: 'https://evil.example' },
        d.url,
      );
      expect([csrf.status, fields(csrf)]).toEqual([403, ['origin']]);
      expect(await state()).toEqual(before);
      const ok = await call(
        'POST',
        '/api/search-queries',
        { query: 'authorised' },
        { authorization: `Bearer ${TOKEN}` },
        d.url,
      );
      expect(ok.status).toBe(201);
    } finally {
      await d.close();
    }
  });

  it('with a user and password: basic auth', async () => {
    const d = await startDashboardWith({
      DASHBOARD_USER: 'operator',
      DASHBOARD_PASSWORD: 'correct horse battery',
    });
    try {
      const basic = (u: string, p: string) => ({
        authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`,
      });
      const get = (headers: Record<string, string>) => call('GET', '/api/queues', undefined, headers, d.url);
      const none = await get({});
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Basic/);
      expect((await get(basic('operator', 'wrong password'))).status).toBe(401);
      expect((await get(basic('someone', 'correct horse battery'))).status).toBe(401);
      expect((await get(basic('operator', 'correct horse battery'))).status).toBe(200);
    } finally {
      await d.close();
    }
  });

  it('refuses to start open on a non-loopback address, and starts there with a credential', async () => {
    await expect(startDashboardWith({}, '0.0.0.0')).rejects.toBeInstanceOf(InsecureDashboardError);
    const d = await startDashboardWith({ DASHBOARD_TOKEN: TOKEN }, '0.0.0.0');
    await d.close();
  });

  it('an open loopback dashboard answers only to loopback host names (DNS rebinding)', async () => {
    const { port } = new URL(t.url);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path: '/api/stats', headers: { host: `attacker.example:${port}` } },
        (res) => {
          let body = '';
          res.on('data', (c) => {
            body += c;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body).details[0].field).toBe('host');
  });
});
