import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueues } from '../queues/index.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { createTestRedis, type TestRedis } from './helpers/redis.ts';

let db: TestDatabase;
let r: TestRedis;
let env: Record<string, string>;
beforeAll(async () => {
  db = await createTestDatabase();
  r = await createTestRedis();
  env = { DATABASE_URL: db.url, REDIS_URL: r.url, REDIS_PREFIX: r.prefix, LOG_LEVEL: 'silent' };
});
afterAll(async () => {
  await r.cleanup();
  await db.drop();
});

const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['app/cli/main.ts', ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
const count = async (sql: string) => Number((await db.pool.query(sql)).rows[0].n);

describe('pleiades enqueue and queues', () => {
  it('queues a search query and a video by hand', async () => {
    const a = cli('enqueue', 'search', 'lo-fi', 'beats', '--priority', '50', '--json');
    expect(a.status, a.stderr).toBe(0);
    expect(JSON.parse(a.stdout).added[0].query).toBe('lo-fi beats');
    expect(
      await count(
        `SELECT count(*) AS n FROM search_queue WHERE query = 'lo-fi beats' AND priority = 50 AND origin = 'manual'`,
      ),
    ).toBe(1);
    const again = cli('enqueue', 'search', 'LO-FI  beats', '--json');
    expect(JSON.parse(again.stdout).alreadyQueued).toEqual(['LO-FI beats']);
    const t = cli('enqueue', 'track', 'dQw4w9WgXcQ', 'dQw4w9WgXcQ', '--json');
    expect(t.status, t.stderr).toBe(0);
    expect(JSON.parse(t.stdout)).toEqual({ added: 1, alreadyTracked: 0 });
    expect(await count('SELECT count(*) AS n FROM watchlist')).toBe(1);
  });

  it('starts a maintenance job and lists queue counts', async () => {
    const j = cli('enqueue', 'janitor');
    expect(j.status, j.stderr).toBe(0);
    const q = cli('queues', '--json');
    expect(q.status, q.stderr).toBe(0);
    expect(JSON.parse(q.stdout).janitor.waiting).toBe(1);
  });

  it('rejects bad input naming it, and stores nothing', async () => {
    const before = await count('SELECT count(*) AS n FROM search_queue');
    const cases: [string[], RegExp][] = [
      [['enqueue', 'search', '   '], /queries\.0: the query is empty/],
      [['enqueue', 'search', 'x'.repeat(201)], /longer than 200/],
      [['enqueue', 'search', 'ok', '--priority', 'high'], /--priority: expected a whole number/],
      [['enqueue', 'track', 'not-an-id'], /videoIds\.0: expected an 11-character YouTube video id/],
      [['enqueue', 'track', 'dQw4w9WgXcQ', 'dQw4w9WgXc'], /videoIds\.1/],
      [['worker', '--queues', 'hunter,nope'], /--queues: unknown queue "nope"/],
      [['retry-failed', 'nope'], /queue: unknown queue "nope"/],
      [['enqueue', 'frobnicate'], /unknown command|error/i],
    ];
    for (const [args, message] of cases) {
      const res = cli(...args);
      expect(res.status, args.join(' ')).not.toBe(0);
      expect(res.stderr, args.join(' ')).toMatch(message);
    }
    expect(await count('SELECT count(*) AS n FROM search_queue')).toBe(before);
    expect(await count('SELECT count(*) AS n FROM watchlist')).toBe(1);
    const queues = createQueues({ redisUrl: r.url, prefix: r.prefix });
    expect(await queues.get('hunter').count()).toBe(0);
    await queues.close();
  });
});
