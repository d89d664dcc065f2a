import { spawn } from 'node:child_process';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseInteger, parsePositiveInt, parseQueueList } from '../app/cli/parse.ts';
import { createQueues, QUEUE_NAMES, type QueueSet } from '../queues/index.ts';
import { addSearchQueries, enqueueManualJob, trackVideos } from '../queues/manual.ts';
import { loadConfig } from '../src/config/index.ts';
import { envSchema, isSecretVar } from '../src/config/schema.ts';
import { ConfigError, ValidationError } from '../src/errors/index.ts';
import { VIDEO_ID_RE } from '../src/video-id.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { createTestRedis, type TestRedis } from './helpers/redis.ts';

/**
 * Bad input on the command line and in the environment, as a new user would type it and as a fuzzer
 * (fast-check) generates it: a non-zero exit, a message that names the field, and nothing stored.
 */
let db: TestDatabase;
let redis: TestRedis;
let queues: QueueSet;
let env: Record<string, string>;

beforeAll(async () => {
  db = await createTestDatabase();
  redis = await createTestRedis();
  queues = createQueues({ redisUrl: redis.url, prefix: redis.prefix });
  env = { DATABASE_URL: db.url, REDIS_URL: redis.url, REDIS_PREFIX: redis.prefix, LOG_LEVEL: 'warn' };
});
afterAll(async () => {
  await queues?.close();
  await redis?.cleanup();
  await db?.drop();
});

interface Run {
  code: number | null;
  out: string;
}

/** `pleiades …args` with `vars` as its whole Pleiades environment (no .env file is read: cwd has none). */
function cli(args: string[], vars: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const base = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !Object.hasOwn(envSchema.shape, k)),
    );
    const child = spawn(process.execPath, ['app/cli/main.ts', ...args], {
      env: { ...base, ...vars },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    // A command that wrongly accepted its input might run on (a worker): it fails the test, not hangs it.
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

/** Runs `tasks` at most `n` at a time (the machine has two cores). */
async function limited<T>(n: number, tasks: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await tasks[i]!();
      }
    }),
  );
  return results;
}

async function nothingStored() {
  const r = await db.pool.query(
    `SELECT (SELECT count(*) FROM search_queue)::int AS queries, (SELECT count(*) FROM watchlist)::int AS watchlist,
            (SELECT count(*) FROM watchlist_schedule)::int AS schedule`,
  );
  expect(r.rows[0]).toEqual({ queries: 0, watchlist: 0, schedule: 0 });
  for (const name of QUEUE_NAMES)
    expect(
      Object.values(await queues.get(name).getJobCounts()).reduce((a, b) => a + b, 0),
      name,
    ).toBe(0);
}

describe('the CLI, used wrongly', () => {
  it('exits non-zero naming what is wrong, and stores nothing', async () => {
    const cases: [string[], string][] = [
      [['enqueue', 'search', ''], 'queries.0'],
      [['enqueue', 'search', '   '], 'queries.0'],
      [['enqueue', 'search', 'a'.repeat(201)], 'queries.0'],
      [['enqueue', 'search', 'tab\u0007bell'], 'queries.0'],
      [['enqueue', 'search', 'music', '--priority', '5000'], 'priority'],
      [['enqueue', 'search', 'music', '--priority', 'high'], '--priority'],
      [['enqueue', 'track', 'notanid'], 'videoIds.0'],
      [['enqueue', 'track', 'dQw4w9WgXcQ', 'dQw4w9WgXc!'], 'videoIds.1'],
      [['enqueue', 'track'], "missing required argument 'videoId'"],
      [['enqueue', 'nope'], "unknown command 'nope'"],
      [['enqueue', 'janitor', '--retention', '1'], "unknown option '--retention'"],
      [['worker', '--queues', 'nope'], '--queues'],
      [['worker', '--queues', ','], '--queues'],
      [['worker', '--queues', 'tracker,__proto__'], '--queues'],
      [['worker', '--concurrency', '0'], '--concurrency'],
      [['retry-failed', 'nope'], 'queue'],
      [['retry-failed', 'tracker', '--count', '-1'], '--count'],
      [['vault', 'export', '--video', 'notanid'], '--video'],
      [['vault', 'compact', '--date', '2026-02-30'], '--date'],
      [['simulator', '--key-rps', 'fast'], '--key-rps'],
      [['nope'], "unknown command 'nope'"],
    ];
    const runs = await limited(
      3,
      cases.map(
        ([args]) =>
          () =>
            cli(args, env),
      ),
    );
    runs.forEach((r, i) => {
      const [args, field] = cases[i]!;
      expect(r.code, `${args.join(' ')}\n${r.out}`).not.toBe(0);
      expect(r.code, `${args.join(' ')}\n${r.out}`).not.toBe(null);
      expect(r.out, args.join(' ')).toContain(field);
      // A message for a person, not a stack trace.
      expect(r.out, args.join(' ')).not.toMatch(/\n\s+at /);
    });
    await nothingStored();
    // 17 independent CLI processes, 3 at a time, about 1 s of CPU each (measured: 0.9 s, as at the
    // previous release): on a 2-core machine with another core busy that is more than the default
    // minute. A workload, not a race: each process stands alone.
  }, 180_000);

  it('the parsers behind it accept what they should and name the field for anything else (fuzzed)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 60 }),
          fc.bigInt().map(String),
          fc.stringMatching(/^(hunter|tracker|janitor|nope)(,(hunter|tracker|janitor|nope| ))*$/),
        ),
        (s) => {
          for (const [fn, field] of [
            [() => parseQueueList(s), '--queues'],
            [() => parsePositiveInt(s, '--count'), '--count'],
            [() => parseInteger(s, '--priority'), '--priority'],
          ] as const) {
            try {
              const v = fn();
              if (Array.isArray(v)) expect(v.every((q) => QUEUE_NAMES.includes(q))).toBe(true);
              else expect(Number.isSafeInteger(v)).toBe(true);
            } catch (err) {
              expect(err).toBeInstanceOf(ValidationError);
              expect((err as ValidationError).details.map((d) => d.field)).toEqual([field]);
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('manual queries, videos and jobs: stored exactly as validated, or refused with nothing stored (fuzzed)', async () => {
    const query = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 250 }),
      fc.string({ unit: 'grapheme', maxLength: 120 }),
      fc.constantFrom(
        '',
        ' ',
        '\u0000',
        'a\u0000b',
        'x'.repeat(200),
        'x'.repeat(201),
        'ｍｕｓｉｃ',
        '\u200b',
      ),
    );
    const priority = fc.oneof(
      fc.integer({ min: -2000, max: 2000 }),
      fc.double(),
      fc.string(),
      fc.constant(null),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(query, { minLength: 1, maxLength: 3 }), priority, async (qs, p) => {
        const before = (await db.pool.query('SELECT count(*)::int AS n FROM search_queue')).rows[0].n;
        try {
          const r = await addSearchQueries(db.pool, qs, p);
          for (const q of r.added) {
            expect(q.query.length).toBeGreaterThan(0);
            expect(q.query.length).toBeLessThanOrEqual(200);
            expect(q.query).toBe(q.query.trim());
            // biome-ignore lint/suspicious/noControlCharactersInRegex: what must never be stored
            expect(q.query).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/);
          }
        } catch (err) {
          expect(err, String(err)).toBeInstanceOf(ValidationError);
          for (const d of (err as ValidationError).details)
            expect(d.field).toMatch(/^(queries\.\d+|priority)$/);
          const after = (await db.pool.query('SELECT count(*)::int AS n FROM search_queue')).rows[0].n;
          expect(after).toBe(before);
        }
      }),
      { numRuns: 150 },
    );
    await db.pool.query('TRUNCATE search_queue');

    const id = fc.oneof(
      fc.stringMatching(/^[A-Za-z0-9_-]{10}[AEIMQUYcgkosw048]$/),
      fc.string({ unit: 'binary', maxLength: 14 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(id, { minLength: 1, maxLength: 4 }), async (ids) => {
        const before = (await db.pool.query('SELECT count(*)::int AS n FROM watchlist')).rows[0].n;
        const valid = ids.every((x) => VIDEO_ID_RE.test(x));
        try {
          await trackVideos(db.pool, ids, Date.now());
          expect(valid).toBe(true);
        } catch (err) {
          expect(err, String(err)).toBeInstanceOf(ValidationError);
          expect(valid).toBe(false);
          for (const d of (err as ValidationError).details) expect(d.field).toMatch(/^videoIds\.\d+$/);
          const after = (await db.pool.query('SELECT count(*)::int AS n FROM watchlist')).rows[0].n;
          expect(after).toBe(before);
        }
      }),
      { numRuns: 150 },
    );
    await db.pool.query('TRUNCATE watchlist, watchlist_schedule');

    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.constantFrom('tracker', 'hunter', 'tracker-dispatch', '__proto__', 'constructor'),
        ),
        fc.oneof(fc.object(), fc.jsonValue()),
        async (queue, data) => {
          await expect(enqueueManualJob(queues, queue, data)).rejects.toBeInstanceOf(ValidationError);
        },
      ),
      { numRuns: 150 },
    );
    await nothingStored();
  });
});

/** Malformed values to try on a variable, secrets carrying a marker that must never be printed. */
const SECRET = 'Zq9SecretMarker';
const candidates = (name: string): string[] =>
  isSecretVar(name)
    ? [`mysql://user:${SECRET}@db/x`, `${SECRET}`, `{${SECRET}`, '[""]', 'x']
    : ['not a valid value!', '-1', '1.5', '99999999999999', 'http://', '{', 'x', 'a'.repeat(201)];

function malformed(name: string): string | null {
  const field = envSchema.shape[name as keyof typeof envSchema.shape];
  return candidates(name).find((v) => !field.safeParse(v).success) ?? null;
}

describe('environment variables', () => {
  const names = Object.keys(envSchema.shape);
  const bad = Object.fromEntries(names.map((n) => [n, malformed(n)]));

  it('every variable refuses a malformed value, except free-form names, paths and secrets', () => {
    const freeForm = names.filter((n) => bad[n] === null);
    // Anything else that takes any string must get a rule (or a name saying what it is).
    for (const n of freeForm)
      expect(n).toMatch(/(_DIR|_PREFIX|_BUCKET|_CREDENTIALS|_TOKEN|_SECRET|_USER|_PASSWORD|_POOL|_NAME)$/);
    for (const n of names.filter((x) => bad[x] !== null)) {
      let issues: string[] = [];
      try {
        loadConfig({ [n]: bad[n]! }, { dotenvPath: false });
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        issues = (err as ConfigError).issues;
      }
      expect(issues, `${n}=${bad[n]}`).toHaveLength(1);
      expect(issues[0]).toMatch(new RegExp(`^${n}: `));
      expect(issues[0]).not.toContain(SECRET);
    }
  });

  it('the CLI exits 2 and names every malformed variable, never echoing a secret', async () => {
    const vars = Object.fromEntries(Object.entries(bad).filter(([, v]) => v !== null)) as Record<
      string,
      string
    >;
    const r = await cli(['migrate'], vars);
    expect(r.code, r.out).toBe(2);
    for (const n of Object.keys(vars)) expect(r.out, n).toMatch(new RegExp(`^\\s*${n}: `, 'm'));
    expect(r.out).not.toContain(SECRET);
    expect(r.out).not.toMatch(/\n\s+at /);
  });

  it('any value of any variable: a configuration or a ConfigError naming that variable (fuzzed)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...names),
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 40 }),
          fc.integer().map(String),
          fc.double().map(String),
          fc.jsonValue().map((j) => JSON.stringify(j)),
          fc.webUrl(),
        ),
        (name, raw) => {
          const value = isSecretVar(name) && !name.endsWith('_URL') ? `${SECRET}${raw}` : raw;
          try {
            loadConfig({ [name]: value }, { dotenvPath: false });
          } catch (err) {
            expect(err).toBeInstanceOf(ConfigError);
            const issues = (err as ConfigError).issues;
            expect(issues.length).toBeGreaterThan(0);
            // Its own line, or the partner it needs (DASHBOARD_USER and DASHBOARD_PASSWORD go together).
            expect(issues.some((l) => l.startsWith(`${name}:`) || l.includes(name))).toBe(true);
            for (const l of issues) expect(l).not.toContain(SECRET);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
