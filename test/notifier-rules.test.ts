import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvents, type Events, installEventsSchema } from '../src/events/index.ts';
import { silentLogger } from '../src/log.ts';
import { createNotifier, installAlertRules, type Notifier, type WebhookBody } from '../src/notifier/index.ts';
import { type Receiver, startReceiver } from './fixtures/events-receiver.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';

/**
 * The built-in alert rules end to end: events emitted on the bus, the rules in a process of their
 * own (the `alerts` group), a notifier posting to a real local webhook while the Slack receiver
 * never answers. The rules are restarted mid-way: their streaks and averages live in Postgres.
 */

let t: TestDatabase;
let emitter: Events;
let webhook: Receiver;
let slack: Receiver;
let rules: { events: Events; notifier: Notifier } | null = null;

async function startRules() {
  const events = await createEvents({ databaseUrl: t.url, log: silentLogger, pollingIntervalSeconds: 0.5 });
  const notifier = createNotifier({
    config: { NOTIFY_WEBHOOK_URL: webhook.url, NOTIFY_SLACK_WEBHOOK_URL: slack.url, NOTIFY_THROTTLE_S: 600 },
    log: silentLogger,
    groupWaitMs: 200,
    delivery: { timeoutMs: 200, attempts: 2, baseDelayMs: 50 },
  });
  await installAlertRules(events, notifier, { vaultFailuresInARow: 3, pollingIntervalSeconds: 0.5 });
  rules = { events, notifier };
}

async function stopRules() {
  await rules?.events.stop();
  await rules?.notifier.stop(100);
  rules = null;
}

const alerts = () => webhook.accepted as WebhookBody[];
const withMessage = (m: string) => alerts().filter((a) => a.message === m);

async function until(what: string, ok: () => boolean, timeoutMs: number, refresh: () => Promise<void>) {
  const end = Date.now() + timeoutMs;
  for (await refresh(); !ok(); await refresh()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until the rules have handled every event emitted so far, then for the notifier's sinks. */
async function drained() {
  await until(
    'the alerts group to finish',
    () => pending === 0,
    20_000,
    async () => {
      const r = await t.pool.query(
        `SELECT count(*)::int AS n FROM pgboss.job WHERE name LIKE 'ev/%/alerts' AND state NOT IN ('completed', 'failed')`,
      );
      pending = r.rows[0].n;
    },
  );
  await rules?.notifier.flush(2_000);
}
let pending = -1;

beforeAll(async () => {
  t = await createTestDatabase();
  await installEventsSchema(t.url);
  webhook = await startReceiver('ok');
  slack = await startReceiver('hang', '/services/T1/B1/never');
  emitter = await createEvents({ databaseUrl: t.url, log: silentLogger, subscriberCacheMs: 0 });
  await startRules();
});

afterAll(async () => {
  await stopRules();
  await emitter?.stop();
  await webhook?.close();
  await slack?.close();
  await t?.drop();
});

describe('alert rules', () => {
  it('alert on an invalid key, an exhausted and reset pool and low quota', async () => {
    await emitter.emit('key.invalid', {
      pool: 'tracking',
      fingerprint: 'k_00aa11bb22cc',
      reason: 'keyInvalid',
    });
    await emitter.emit('pool.exhausted', {
      pool: 'tracking',
      bucket: 'units',
      resetAt: Date.UTC(2026, 5, 2, 7),
    });
    await emitter.emit('pool.reset', { pool: 'tracking', bucket: 'units' });
    await emitter.emit('quota.low', { pool: 'hunting', bucket: 'search', remaining: 9, quota: 100 });
    await drained();

    expect(withMessage('YouTube rejected API key k_00aa11bb22cc of pool tracking')[0]).toMatchObject({
      level: 'error',
      metadata: { pool: 'tracking', fingerprint: 'k_00aa11bb22cc', reason: 'keyInvalid' },
    });
    expect(
      withMessage('Every key of pool tracking is spent for units until 2026-06-02T07:00:00.000Z')[0],
    ).toMatchObject({ level: 'warning' });
    expect(withMessage('Pool tracking has units quota again')[0]).toMatchObject({ level: 'info' });
    expect(withMessage('Pool hunting is running low on search quota')[0]).toMatchObject({
      level: 'warning',
      metadata: { remaining: 9, quota: 100 },
    });
  });

  it('fold a queue failing permanently 100 times into one alert with its count', async () => {
    await emitter.emitMany(
      'job.failed_permanently',
      Array.from({ length: 100 }, (_, i) => ({
        queue: 'tracker',
        jobId: String(i),
        attempts: 10,
        error: 'HTTP 503',
      })),
    );
    await emitter.emit('job.failed_permanently', {
      queue: 'painter',
      jobId: 'p1',
      attempts: 5,
      error: 'oops',
    });
    await drained();
    const tracker = withMessage('Jobs of queue tracker are failing permanently');
    // One alert, or the alert and one summary when the handlers' batches straddle its group wait.
    expect(tracker.length).toBeLessThanOrEqual(2);
    expect(tracker.reduce((n, a) => n + a.count, 0)).toBe(100);
    expect(withMessage('Jobs of queue painter are failing permanently')).toHaveLength(1);
  });

  it('alert when vault flushes fail N times in a row, across a restart, and when they recover', async () => {
    const base = Date.UTC(2026, 5, 1, 12);
    await emitter.emit('vault.flushed', { rows: 100, at: base });
    await emitter.emit('vault.flush_failed', { error: 'GCS 503', provider: 'gcs', at: base + 60_000 });
    await emitter.emit('vault.flush_failed', { error: 'GCS 503', provider: 'gcs', at: base + 120_000 });
    await drained();
    expect(withMessage('Vault flushes keep failing')).toHaveLength(0);

    await stopRules(); // the streak is in Postgres, not in this process
    await emitter.emit('vault.flush_failed', { error: 'GCS 503 again', provider: 'gcs', at: base + 180_000 });
    await startRules();
    await drained();
    const [failing] = withMessage('Vault flushes keep failing');
    expect(failing).toMatchObject({
      level: 'error',
      metadata: {
        failuresInARow: 3,
        lastError: 'GCS 503 again',
        since: new Date(base + 60_000).toISOString(),
      },
    });

    await emitter.emit('vault.flushed', { rows: 5000, at: base + 240_000 });
    await drained();
    expect(withMessage('Vault flushes work again')[0]).toMatchObject({
      level: 'info',
      metadata: { failuresInARow: 3 },
    });
  });

  it('alert when the janitor deletes far more or far fewer rows than its moving average', async () => {
    const base = Date.UTC(2026, 5, 1);
    const runs = [1000, 1100, 950, 1020, 980];
    for (const [i, deleted] of runs.entries())
      await emitter.emit('janitor.completed', { deleted, at: base + i * 3_600_000 });
    await drained();
    await stopRules(); // the average survives a restart
    await startRules();
    await emitter.emit('janitor.completed', { deleted: 1010, at: base + 5 * 3_600_000 });
    await emitter.emit('janitor.completed', { deleted: 12_000, at: base + 6 * 3_600_000 });
    await drained();
    expect(withMessage('The janitor deleted far fewer rows than usual')).toHaveLength(0);
    expect(withMessage('The janitor deleted far more rows than usual')[0]).toMatchObject({
      level: 'warning',
      metadata: { deleted: 12_000, average: 1010, runs: 6 },
    });

    await emitter.emit('janitor.completed', { deleted: 3, at: base + 7 * 3_600_000 });
    await drained();
    expect(withMessage('The janitor deleted far fewer rows than usual')[0]).toMatchObject({
      metadata: { deleted: 3, runs: 7 },
    });
  });

  it('handled every event although the Slack receiver never answered', async () => {
    const r = await t.pool.query<{ state: string; n: number }>(
      `SELECT state::text, count(*)::int AS n FROM pgboss.job WHERE name LIKE 'ev/%/alerts' GROUP BY state`,
    );
    expect(Object.fromEntries(r.rows.map((x) => [x.state, x.n]))).toEqual({ completed: 4 + 101 + 5 + 8 });
    expect(slack.requests.length).toBeGreaterThan(0);
    expect(slack.accepted).toHaveLength(0);
  });
});
