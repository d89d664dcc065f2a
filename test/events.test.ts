import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.ts';
import { withTransaction } from '../src/db/pool.ts';
import { EventBusError, ValidationError } from '../src/errors/index.ts';
import { createEvents, type EventData, type Events, installEventsSchema } from '../src/events/index.ts';
import { silentLogger } from '../src/log.ts';
import { migrateAll } from '../src/setup.ts';
import { videoIdFromBits } from '../src/video-id.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';

let t: TestDatabase;
let events: Events;
const children: ChildProcess[] = [];

const ids = (n: number, salt: bigint) =>
  Array.from({ length: n }, (_, i) => videoIdFromBits(BigInt(i + 1) * 0x9e3779b97f4a7c15n + salt));

async function waitFor<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: last value ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function startSubscriber(groups: string[]): Promise<ChildProcess> {
  const child = spawn('node_modules/.bin/node', ['test/fixtures/events-subscriber.ts'], {
    env: { ...process.env, DATABASE_URL: t.url, EVENTS_GROUPS: groups.join(',') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`subscriber exited with ${code}`)));
    child.stdout!.on('data', (b: Buffer) => {
      if (b.toString().includes('ready')) resolve(child);
    });
  });
}

beforeAll(async () => {
  t = await createTestDatabase();
  await installEventsSchema(t.url);
  await t.pool.query(`CREATE TABLE event_deliveries (
    event_id uuid NOT NULL, grp text NOT NULL, pid int NOT NULL, video_id text NOT NULL, attempt int NOT NULL)`);
  await t.pool.query('CREATE TABLE discovered (video_id text PRIMARY KEY)');
  events = await createEvents({
    databaseUrl: t.url,
    log: silentLogger,
    subscriberCacheMs: 0,
    pollingIntervalSeconds: 0.5,
  });
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await events?.stop();
  await t?.drop();
});

describe('schema installation', () => {
  it('is done by the migration step, never lazily: the bus refuses a database without it', async () => {
    const fresh = await createTestDatabase();
    try {
      // Test databases are cloned from a fully migrated template: take pg-boss's schema away first.
      await fresh.pool.query('DROP SCHEMA pgboss CASCADE');
      const err = await createEvents({ databaseUrl: fresh.url, log: silentLogger }).catch((e) => e);
      expect(err).toBeInstanceOf(EventBusError);
      expect(err.message).toContain('pleiades migrate');
      const schemas = await fresh.pool.query(`SELECT 1 FROM pg_namespace WHERE nspname = 'pgboss'`);
      expect(schemas.rowCount).toBe(0);

      await migrateAll(loadConfig({ DATABASE_URL: fresh.url }, { dotenvPath: false }), silentLogger);
      const bus = await createEvents({ databaseUrl: fresh.url, log: silentLogger });
      await bus.stop();
    } finally {
      await fresh.drop();
    }
  });
});

describe('transactional emit', () => {
  it('delivers a committed event exactly once to each group across two subscriber processes, and a rolled-back one never', async () => {
    await Promise.all([startSubscriber(['g1', 'g2']), startSubscriber(['g1', 'g2'])]);
    await waitFor(
      'both group queues',
      () => events.groupsOf('video.discovered'),
      (q) => q.length === 2,
    );

    const rolledBack = ids(40, 1n);
    const committed = ids(120, 2n);
    // The hunter's pattern: the rows and their events in one transaction, one emitMany per page.
    for (let page = 0; page < 4; page++) {
      const batch = rolledBack.slice(page * 10, page * 10 + 10);
      const err = await withTransaction(t.pool, async (tx) => {
        for (const id of batch) await tx.query('INSERT INTO discovered VALUES ($1)', [id]);
        await events.emitMany(
          'video.discovered',
          batch.map((videoId) => ({
            videoId,
            publishedAt: '2026-01-01T00:00:00Z',
            queryId: 7n,
            route: 'search',
          })),
          { tx },
        );
        throw new Error('the page failed after emitting');
      }).catch((e) => e);
      expect(err.message).toBe('the page failed after emitting');
    }
    for (let page = 0; page < 6; page++) {
      const batch = committed.slice(page * 20, page * 20 + 20);
      await withTransaction(t.pool, async (tx) => {
        for (const id of batch) await tx.query('INSERT INTO discovered VALUES ($1)', [id]);
        await events.emitMany(
          'video.discovered',
          batch.map((videoId) => ({ videoId, publishedAt: Date.UTC(2026, 0, 1), queryId: '8' })),
          { tx },
        );
      });
    }

    const delivered = await waitFor(
      'every delivery',
      async () => (await t.pool.query('SELECT count(*)::int AS n FROM event_deliveries')).rows[0].n as number,
      (n) => n >= committed.length * 2,
    );
    expect(delivered).toBe(committed.length * 2);
    // Give redeliveries a chance to show before judging "exactly once".
    await new Promise((r) => setTimeout(r, 2500));

    const rows = await t.pool.query<{ grp: string; video_id: string; n: number }>(
      'SELECT grp, video_id, count(*)::int AS n FROM event_deliveries GROUP BY grp, video_id ORDER BY grp, video_id',
    );
    const byGroup = (g: string) => rows.rows.filter((r) => r.grp === g);
    for (const g of ['g1', 'g2']) {
      expect(byGroup(g).map((r) => r.video_id)).toEqual([...committed].sort());
      expect(byGroup(g).every((r) => r.n === 1)).toBe(true);
    }
    // Nothing of the rolled-back pages exists anywhere: not delivered, not in pg-boss's tables.
    const leaked = await t.pool.query(
      `SELECT count(*)::int AS n FROM pgboss.job WHERE data->'payload'->>'videoId' = ANY($1)`,
      [rolledBack],
    );
    expect(leaked.rows[0].n).toBe(0);
    const stored = await t.pool.query(
      `SELECT count(*)::int AS n FROM pgboss.job WHERE name LIKE 'ev/video.discovered/%' AND state = 'completed'`,
    );
    expect(stored.rows[0].n).toBe(committed.length * 2);
    // Each event has one id shared by its groups, so handlers can be idempotent across them.
    const perEvent = await t.pool.query(
      'SELECT event_id, count(DISTINCT grp)::int AS groups FROM event_deliveries GROUP BY event_id',
    );
    expect(perEvent.rowCount).toBe(committed.length);
    expect(perEvent.rows.every((r) => r.groups === 2)).toBe(true);

    const pids = await t.pool.query(
      'SELECT pid, grp, count(*)::int AS n FROM event_deliveries GROUP BY pid, grp ORDER BY pid, grp',
    );
    console.log(
      'deliveries per subscriber process and group:',
      pids.rows.map((r) => `${r.pid}/${r.grp}: ${r.n}`),
    );

    await Promise.all(
      children.map((c) => {
        c.kill('SIGTERM');
        return once(c, 'exit');
      }),
    );
  });
});

describe('payloads and delivery', () => {
  it('rejects invalid payloads and strips unknown fields, so a raw key cannot be published', async () => {
    const seen: EventData<'key.invalid'>[] = [];
    await events.on('key.invalid', 'audit', async (p) => {
      seen.push(p);
    });
    const err = await events
      .emit('key.invalid', { pool: 'default', fingerprint: 'AIzaSyA-raw-key-never-ok-000000000000000' })
      .catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toContain('key.invalid.fingerprint');
    await expect(events.emitAny('no.such.event', [{}])).rejects.toBeInstanceOf(ValidationError);

    const sneaky = {
      pool: 'default',
      fingerprint: 'k_0123456789ab',
      key: 'AIzaSyA-raw-key-in-a-stray-field-000000',
    };
    await events.emit('key.invalid', sneaky);
    await waitFor(
      'the audit delivery',
      async () => seen.length,
      (n) => n === 1,
    );
    expect(seen[0]).toEqual({ pool: 'default', fingerprint: 'k_0123456789ab', at: expect.any(String) });
    const raw = await t.pool.query(
      `SELECT count(*)::int AS n FROM pgboss.job WHERE data::text LIKE '%AIzaSyA%'`,
    );
    expect(raw.rows[0].n).toBe(0);
  });

  it('retries a failing handler, and reports an event given up on as job.failed_permanently', async () => {
    const attempts: number[] = [];
    await events.on(
      'vault.flushed',
      'flaky',
      async (_p, meta) => {
        attempts.push(meta.attempt);
        if (meta.attempt < 2) throw new Error('not yet');
      },
      { retryDelaySeconds: 1, retryLimit: 3 },
    );
    const reports: EventData<'job.failed_permanently'>[] = [];
    await events.on('job.failed_permanently', 'ops', async (p) => {
      reports.push(p);
    });
    await events.on(
      'vault.flush_failed',
      'broken',
      async () => {
        throw new Error('handler bug token=abc123secret');
      },
      { retryDelaySeconds: 1, retryLimit: 1 },
    );

    await events.emit('vault.flushed', { rows: 10 });
    await events.emit('vault.flush_failed', { error: 'disk full' });

    await waitFor(
      'the retried handler',
      async () => attempts,
      (a) => a.includes(2),
    );
    expect(attempts).toEqual([1, 2]);
    const [report] = await waitFor(
      'the permanent-failure report',
      async () => reports,
      (r) => r.length === 1,
    );
    expect(report).toMatchObject({
      queue: 'events:ev/vault.flush_failed/broken',
      jobName: 'vault.flush_failed',
      attempts: 2,
    });
    expect(report!.error).not.toContain('abc123secret');
  });
});
