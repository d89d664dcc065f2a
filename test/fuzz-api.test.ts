import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_NAMES } from '../queues/index.ts';
import { VIDEO_ID_RE } from '../src/video-id.ts';
import { startTestDashboard, type TestDashboard } from './helpers/dashboard.ts';

/**
 * The dashboard's HTTP API under a fuzzer: any body, any content type, any path and method. Never a
 * 5xx, always the one JSON error shape naming a field, and a refused write changes nothing.
 */
let t: TestDashboard;
beforeAll(async () => {
  t = await startTestDashboard();
});
afterAll(async () => {
  await t?.close();
});

interface Answer {
  status: number;
  body: unknown;
}

async function send(method: string, path: string, body?: string, type = 'application/json'): Promise<Answer> {
  const r = await fetch(`${t.url}${path}`, {
    method,
    redirect: 'manual',
    headers: body === undefined ? {} : { 'content-type': type },
    ...(body === undefined ? {} : { body }),
  });
  const text = await r.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: r.status, body: parsed };
}

/** What any write could change: queries, watchlist and schedule rows, and jobs of every queue. */
async function state(): Promise<string> {
  const r = await t.db.pool.query(
    `SELECT (SELECT count(*) FROM search_queue)::int AS q, (SELECT count(*) FROM watchlist)::int AS w,
            (SELECT count(*) FROM watchlist_schedule)::int AS s`,
  );
  return JSON.stringify({ db: r.rows[0], jobs: await t.jobCounts() });
}

/** A refusal: 4xx with `{error, details: [{field, message}]}` and at least one named field. */
function expectRefusal(a: Answer, what: string) {
  expect(a.status, `${what} → ${JSON.stringify(a.body)}`).toBeGreaterThanOrEqual(400);
  expect(a.status, what).toBeLessThan(500);
  const b = a.body as { error?: unknown; details?: { field?: unknown; message?: unknown }[] };
  expect(typeof b.error, what).toBe('string');
  expect(Array.isArray(b.details), what).toBe(true);
  expect(b.details!.length, what).toBeGreaterThan(0);
  for (const d of b.details!) {
    expect(typeof d.field, what).toBe('string');
    expect((d.field as string).length, what).toBeGreaterThan(0);
    expect(typeof d.message, what).toBe('string');
  }
}

// Bodies near the valid shapes (where bugs hide) and far from them.
const anyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.string({ unit: 'binary', maxLength: 220 }),
  fc.constantFrom('', ' ', '\u0000', 'x'.repeat(201), 'dQw4w9WgXcQ', 'dQw4w9WgXcR', 1e308, -0, '__proto__'),
);
const queryBodies = fc.oneof(
  fc.record({ query: anyValue }, { requiredKeys: [] }),
  fc.record(
    { queries: fc.oneof(fc.array(anyValue, { maxLength: 4 }), anyValue), priority: anyValue },
    { requiredKeys: [] },
  ),
  fc.record({ query: anyValue, queries: anyValue, extra: anyValue }, { requiredKeys: [] }),
  fc.jsonValue({ maxDepth: 3 }),
);
const trackBodies = fc.oneof(
  fc.record({ videoId: anyValue }, { requiredKeys: [] }),
  fc.record({ videoIds: fc.oneof(fc.array(anyValue, { maxLength: 4 }), anyValue) }, { requiredKeys: [] }),
  fc.record({ videoId: anyValue, videoIds: anyValue, extra: anyValue }, { requiredKeys: [] }),
  fc.jsonValue({ maxDepth: 3 }),
);

describe('the HTTP API under a fuzzer', () => {
  it('POST /api/search-queries: stores valid queries, refuses the rest naming the field, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(queryBodies, async (body) => {
        const before = await state();
        const a = await send('POST', '/api/search-queries', JSON.stringify(body));
        if (a.status === 200 || a.status === 201) {
          const added = (a.body as { added: { query: string }[] }).added;
          for (const q of added) {
            expect(q.query.length).toBeGreaterThan(0);
            expect(q.query.length).toBeLessThanOrEqual(200);
          }
        } else {
          expectRefusal(a, JSON.stringify(body));
          expect(await state()).toBe(before);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('POST /api/track: adds only valid ids, refuses the rest naming the field, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(trackBodies, async (body) => {
        const before = await state();
        const a = await send('POST', '/api/track', JSON.stringify(body));
        if (a.status === 200 || a.status === 201) {
          const b = body as { videoId?: unknown; videoIds?: unknown };
          const ids = (b.videoIds ?? [b.videoId]) as unknown[];
          expect(ids.every((x) => typeof x === 'string' && VIDEO_ID_RE.test(x))).toBe(true);
        } else {
          expectRefusal(a, JSON.stringify(body));
          expect(await state()).toBe(before);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('POST /api/jobs/:queue: any queue name and payload; only valid manual jobs are enqueued', async () => {
    const queue = fc.oneof(
      fc.constantFrom(...QUEUE_NAMES, '__proto__', 'constructor', '..', '%2e%2e', 'tracker%00'),
      fc.string({ minLength: 1, maxLength: 30 }).map(encodeURIComponent),
    );
    await fc.assert(
      fc.asyncProperty(
        queue,
        fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant({ force: true })),
        async (q, body) => {
          const before = await state();
          const a = await send('POST', `/api/jobs/${q}`, JSON.stringify(body));
          if (a.status === 202) {
            expect(['janitor', 'painter', 'scribe', 'vault-flush', 'vault-compact']).toContain(q);
            await t.queues.get(q as 'janitor').obliterate({ force: true });
          } else {
            expectRefusal(a, `${q} ${JSON.stringify(body)}`);
            expect(await state()).toBe(before);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('raw bytes, wrong content types and oversized bodies are refused with the JSON error shape', async () => {
    const before = await state();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/api/search-queries', '/api/track', '/api/jobs/janitor'),
        fc.string({ unit: 'binary', maxLength: 300 }).filter((s) => {
          try {
            JSON.parse(s);
            return false;
          } catch {
            return s.trim().length > 0;
          }
        }),
        fc.constantFrom(
          'application/json',
          'text/plain',
          'application/x-www-form-urlencoded',
          'application/json; charset=latin1',
        ),
        async (path, raw, type) => {
          expectRefusal(await send('POST', path, raw, type), `${path} ${type} ${JSON.stringify(raw)}`);
        },
      ),
      { numRuns: 150 },
    );
    const huge = JSON.stringify({ queries: Array.from({ length: 20_000 }, (_, i) => `query ${i}`) });
    const a = await send('POST', '/api/search-queries', huge);
    expect(a.status).toBe(413);
    expectRefusal(a, 'huge body');
    expect(await state()).toBe(before);
  });

  it('any path and method: no 5xx, and unknown API paths answer the JSON error shape', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
        fc.oneof(
          fc.webPath().map((p) => `/api${p}`),
          fc.string({ maxLength: 40 }).map((s) => `/api/${encodeURIComponent(s)}`),
          fc.webPath(),
        ),
        async (method, path) => {
          const a = await send(method, path, method === 'GET' ? undefined : '{}');
          expect(a.status, `${method} ${path}`).toBeLessThan(500);
          if (path.startsWith('/api/') && a.status === 404) expectRefusal(a, `${method} ${path}`);
        },
      ),
      { numRuns: 150 },
    );
  });
});
