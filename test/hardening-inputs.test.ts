import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard } from '../dashboard/server.ts';
import { loadConfig } from '../src/config/index.ts';
import { envSchema } from '../src/config/schema.ts';
import { ConfigError } from '../src/errors/index.ts';
import { type Answer, callApi as call, startTestDashboard, type TestDashboard } from './helpers/dashboard.ts';

/** Defects found by adversarial runs (issue 20): unchecked numbers, lock-out, weak secrets, bad text. */

let t: TestDashboard;
beforeAll(async () => {
  t = await startTestDashboard();
});
afterAll(async () => {
  await t?.close();
});

const fields = (a: Answer): string[] =>
  ((a.body as { details?: { field: string }[] }).details ?? []).map((d) => d.field);

async function dashboardWith(env: Record<string, unknown>) {
  const config = { ...t.config, ...env } as typeof t.config;
  const d = await startDashboard({ ...t.deps, config }, { port: 0, host: '127.0.0.1' });
  return d;
}

const configError = (env: Record<string, string>): string => {
  try {
    loadConfig(env, { dotenvPath: false });
    return '';
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
};

describe('defect 1: every numeric input has a finite range the code can use', () => {
  it('POST /api/jobs/janitor refuses a retention of 1e308 days and enqueues nothing', async () => {
    const before = await t.queues.get('janitor').getJobCounts();
    const r = await call(t.url, 'POST', '/api/jobs/janitor', '{"retentionDays":1e308}');
    expect([r.status, fields(r)]).toEqual([400, ['retentionDays']]);
    expect(await t.queues.get('janitor').getJobCounts()).toEqual(before);
    const ok = await call(t.url, 'POST', '/api/jobs/janitor', { retentionDays: 30 });
    expect(ok.status).toBe(202);
  });

  it('every numeric environment variable refuses a 300-digit value, naming the variable', () => {
    const numeric = Object.keys(envSchema.shape).filter((name) => {
      const r = envSchema.shape[name as keyof typeof envSchema.shape].safeParse('5');
      return r.success && typeof r.data === 'number';
    });
    expect(numeric.length).toBeGreaterThan(40);
    for (const name of numeric) {
      const message = configError({ [name]: `1${'0'.repeat(300)}` });
      expect(message, name).toMatch(new RegExp(`^\\s*${name}: expected at most`, 'm'));
    }
  });

  it('a timer setting cannot exceed what a timer can wait', () => {
    // setTimeout's ceiling is 2^31-1 ms (about 24.8 days); beyond it Node fires at once.
    expect(configError({ WORKER_LOCK_MS: String(2 ** 31) })).toMatch(/^\s*WORKER_LOCK_MS: expected at most/m);
    expect(configError({ JANITOR_RETENTION_DAYS: '1e308' })).toMatch(/^\s*JANITOR_RETENTION_DAYS:/m);
  });
});

describe('defect 2: the failed-login throttle never blocks valid credentials', () => {
  const TOKEN = 'k3-Very-long-token-0123456789abcdef';

  it('after 30 wrong tokens from one address the right one still passes, by header and login form', async () => {
    const d = await dashboardWith({ DASHBOARD_TOKEN: TOKEN });
    try {
      for (let i = 0; i < 30; i++)
        await call(d.url, 'GET', '/api/stats', undefined, {
          authorization: `Bearer wrong-${i}-0123456789abc`,
        });
      const wrong = await call(d.url, 'GET', '/api/stats', undefined, {
        authorization: 'Bearer wrong-again-0123456789',
      });
      expect(wrong.status).toBe(429);
      const right = await call(d.url, 'GET', '/api/stats', undefined, { authorization: `Bearer ${TOKEN}` });
      expect(right.status).toBe(200);
      const login = await fetch(`${d.url}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `token=${TOKEN}&next=%2F`,
      });
      expect([login.status, login.headers.get('location')]).toEqual([303, '/']);
      expect(login.headers.get('set-cookie')).toMatch(/^pleiades_session=/);
    } finally {
      await d.close();
    }
  });

  it('TRUST_PROXY: behind a proxy each client is throttled on its own address, not the proxy’s', async () => {
    const run = async (trustProxy: unknown) => {
      const d = await dashboardWith({ DASHBOARD_TOKEN: TOKEN, TRUST_PROXY: trustProxy });
      try {
        for (let i = 0; i < 30; i++)
          await call(d.url, 'GET', '/api/stats', undefined, {
            authorization: 'Bearer guessing-0123456789abc',
            'x-forwarded-for': '203.0.113.7',
          });
        const other = await call(d.url, 'GET', '/api/stats', undefined, {
          authorization: 'Bearer typo-token-0123456789abc',
          'x-forwarded-for': '198.51.100.9',
        });
        return other.status;
      } finally {
        await d.close();
      }
    };
    expect(await run(loadConfig({ TRUST_PROXY: 'loopback' }, { dotenvPath: false }).TRUST_PROXY)).toBe(401);
    // Without it the header is not believed: everyone behind the proxy is one client.
    expect(await run(loadConfig({}, { dotenvPath: false }).TRUST_PROXY)).toBe(429);
  });

  it('TRUST_PROXY accepts true/false, a hop count, or addresses and subnets', () => {
    const tp = (v: string) => loadConfig({ TRUST_PROXY: v }, { dotenvPath: false }).TRUST_PROXY;
    expect(tp('false')).toBe(false);
    expect(tp('true')).toBe(true);
    expect(tp('2')).toBe(2);
    expect(tp('loopback, 10.0.0.0/8')).toEqual(['loopback', '10.0.0.0/8']);
    expect(configError({ TRUST_PROXY: 'not-an-address' })).toMatch(/^\s*TRUST_PROXY:/m);
  });
});

describe('defect 3: blank, padded and weak secrets are refused', () => {
  it.each([
    ['DASHBOARD_TOKEN', ' '.repeat(16)],
    ['DASHBOARD_TOKEN', ' padded-token-0123456789 '],
    ['DASHBOARD_TOKEN', 'aaaaaaaaaaaaaaaa'],
    ['DASHBOARD_TOKEN', '1212121212121212'],
    ['DASHBOARD_PASSWORD', ' '.repeat(10)],
    ['DASHBOARD_PASSWORD', ' secret-pass'],
    ['DASHBOARD_PASSWORD', 'aaaaaaaaaaaa'],
    ['DASHBOARD_USER', '   '],
  ])('%s=%j', (name, value) => {
    const env: Record<string, string> = { [name]: value };
    if (name !== 'DASHBOARD_TOKEN')
      Object.assign(env, {
        DASHBOARD_USER: 'operator',
        DASHBOARD_PASSWORD: 'correct horse battery',
        [name]: value,
      });
    const message = configError(env);
    expect(message).toMatch(new RegExp(`^\\s*${name}: `, 'm'));
    expect(message).not.toContain(value.trim() || '\u0000');
  });

  it('accepts a strong token and password', () => {
    const c = loadConfig(
      {
        DASHBOARD_TOKEN: 'k3-Very-long-token-0123456789abcdef',
        DASHBOARD_USER: 'operator',
        DASHBOARD_PASSWORD: 'correct horse battery',
      },
      { dotenvPath: false },
    );
    expect(c.DASHBOARD_PASSWORD).toBe('correct horse battery');
  });
});

describe('defect 4: search queries must be well-formed text', () => {
  it('a lone surrogate is refused with 400 and nothing is stored', async () => {
    const r = await call(t.url, 'POST', '/api/search-queries', '{"query":"a\\ud800b"}');
    expect([r.status, fields(r)]).toEqual([400, ['query']]);
    const rows = await t.db.pool.query("SELECT query FROM search_queue WHERE query LIKE 'a%b'");
    expect(rows.rows).toEqual([]);
    const many = await call(t.url, 'POST', '/api/search-queries', '{"queries":["fine","x\\udc00"]}');
    expect([many.status, fields(many)]).toEqual([400, ['queries.1']]);
  });

  it('a body that is not valid UTF-8 is refused with 400', async () => {
    const bytes = Buffer.concat([Buffer.from('{"query":"caf'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const r = await call(t.url, 'POST', '/api/search-queries', new Uint8Array(bytes));
    expect([r.status, fields(r)]).toEqual([400, ['body']]);
  });

  it('bidi overrides are refused; invisible zero-width spaces are dropped; joiners are kept', async () => {
    const bidi = await call(t.url, 'POST', '/api/search-queries', { query: 'abc\u202edef' });
    expect([bidi.status, fields(bidi)]).toEqual([400, ['query']]);
    const isolate = await call(t.url, 'POST', '/api/search-queries', { query: 'abc\u2066def' });
    expect(isolate.status).toBe(400);
    const zw = await call(t.url, 'POST', '/api/search-queries', { query: 'lo\u200bfi\ufeff be\u2060ats' });
    expect(zw.status).toBe(201);
    expect(zw.body).toMatchObject({ added: [{ query: 'lofi beats' }] });
    // ZWNJ is spelling in Persian (and ZWJ joins emoji): kept.
    const persian = await call(t.url, 'POST', '/api/search-queries', { query: 'می\u200cخواهم' });
    expect(persian.status).toBe(201);
    expect(persian.body).toMatchObject({ added: [{ query: 'می\u200cخواهم' }] });
  });
});
