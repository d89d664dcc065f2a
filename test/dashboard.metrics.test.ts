import { createRequire } from 'node:module';
import { type Job, MetricsTime, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard } from '../dashboard/server.ts';
import { QUEUE_NAMES } from '../queues/index.ts';
import { ManualClock, pacificDay } from '../src/clock.ts';
import { countQueriesByState } from '../src/dao/search-queue.ts';
import { countDueByTier, countWatchlistByTier, oldestDueLagMs } from '../src/dao/watchlist.ts';
import { createPool } from '../src/db/pool.ts';
import {
  durationRecorder,
  JOB_DURATION_BUCKETS_S,
  readJobDurations,
  recordJobDuration,
} from '../src/metrics/job-durations.ts';
import { createRedis } from '../src/redis.ts';
import { seedOverview, startTestDashboard, TEST_KEYS, type TestDashboard } from './helpers/dashboard.ts';

/** One metric family as parse-prometheus-text-format returns it. */
interface Family {
  name: string;
  help: string;
  type: string;
  metrics: { labels?: Record<string, string>; value?: string }[];
}
const parsePrometheus = createRequire(import.meta.url)('parse-prometheus-text-format') as (
  text: string,
) => Family[];

let t: TestDashboard;
// Hydra counts quota per Pacific day: keep the test's ten minutes inside one.
const start =
  pacificDay(Date.now()) === pacificDay(Date.now() + 11 * 60_000) ? Date.now() : Date.now() - 15 * 60_000;
const clock = new ManualClock(start);
beforeAll(async () => {
  t = await startTestDashboard({}, { clock });
  await seedOverview(t, clock.now());
  clock.advance(10 * 60_000); // every watchlist row is due, the oldest by 10 minutes
});
afterAll(async () => {
  await t?.close();
});

let lastText = '';
async function scrape(base = t.url): Promise<Map<string, Family>> {
  const r = await fetch(`${base}/metrics`);
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  lastText = await r.text();
  return new Map(parsePrometheus(lastText).map((f) => [f.name, f]));
}

/**
 * Samples of one series name with their labels. The parser above folds a labelled histogram into one
 * unlabelled sample, so histogram series are read line by line (the lines it already validated).
 */
function series(text: string, name: string): { labels: Record<string, string>; value: number }[] {
  const out: { labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ labels, value: Number(m[3]) });
  }
  return out;
}

/** The value of the sample of `name` whose labels include `labels`. */
function value(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const f = families.get(name);
  const m = f?.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
  return m?.value === undefined ? undefined : Number(m.value);
}

describe('job durations in Redis', () => {
  it('aggregates observations of any number of processes into cumulative buckets', async () => {
    const other = createRedis(t.redis.url); // a second "process"
    try {
      const ms = [3, 40, 700, 20_000, 2_000_000];
      await Promise.all(
        ms.map((m, i) => recordJobDuration(i % 2 ? other : t.redis.redis, t.redis.prefix, 'scribe', m)),
      );
      const h = (await readJobDurations(t.redis.redis, t.redis.prefix, ['scribe', 'painter'])).scribe!;
      expect(h.count).toBe(5);
      expect(h.sumSeconds).toBeCloseTo(ms.reduce((a, b) => a + b, 0) / 1000, 6);
      const at = (le: number) => h.buckets.find((b) => b.le === le)!.count;
      expect([at(0.005), at(0.05), at(1), at(30), at(600), at(Number.POSITIVE_INFINITY)]).toEqual([
        1, 2, 3, 4, 4, 5,
      ]);
      expect(h.buckets).toHaveLength(JOB_DURATION_BUCKETS_S.length + 1);
    } finally {
      other.disconnect();
    }
  });
});

describe('job durations recorded by a worker process', () => {
  it('reach Redis in one write per flush, with every observation counted once', async () => {
    const rec = durationRecorder(t.redis.redis, t.redis.prefix, 60_000);
    const ms = [2, 2, 30, 900, 45_000];
    for (const m of ms) rec.record('channel-poll', m);
    rec.record('channel-poll', Number.NaN); // ignored, as recordJobDuration ignores it
    const before = (await readJobDurations(t.redis.redis, t.redis.prefix, ['channel-poll']))['channel-poll']!;
    expect(before.count).toBe(0);
    await rec.close(); // writes what is pending
    const h = (await readJobDurations(t.redis.redis, t.redis.prefix, ['channel-poll']))['channel-poll']!;
    expect(h.count).toBe(5);
    expect(h.sumSeconds).toBeCloseTo(ms.reduce((a, b) => a + b, 0) / 1000, 6);
    const at = (le: number) => h.buckets.find((b) => b.le === le)!.count;
    expect([at(0.005), at(0.05), at(1), at(60), at(Number.POSITIVE_INFINITY)]).toEqual([2, 3, 4, 5, 5]);
  });
});

describe('/metrics', () => {
  it('parses, and every figure matches Redis and Postgres', async () => {
    // Real jobs through a real BullMQ worker with metrics on, as the product's workers run.
    const connection = createRedis(t.redis.url, 'worker');
    const worker = new Worker(
      'painter',
      async (job: Job) => {
        if ((job.data as { limit?: number }).limit === 13) throw new Error('unlucky');
        return { painted: job.data };
      },
      {
        connection,
        prefix: t.redis.prefix,
        metrics: { maxDataPoints: MetricsTime.ONE_WEEK },
        concurrency: 4,
      },
    );
    const finished = new Promise<void>((resolve) => {
      let n = 0;
      const done = (job: Job | undefined) => {
        if (job?.finishedOn && job.processedOn)
          void recordJobDuration(
            t.redis.redis,
            t.redis.prefix,
            'painter',
            job.finishedOn - job.processedOn,
          ).then(() => {
            if (++n === 9) resolve();
          });
      };
      worker.on('completed', done);
      worker.on('failed', done);
    });
    await t.queues
      .get('painter')
      .addBulk(
        [1, 2, 3, 4, 5, 13].map((limit) => ({ name: 'painter', data: { limit }, opts: { attempts: 1 } })),
      );
    await finished; // the 3 seeded painter jobs and 5 more succeed, one fails
    await worker.close();
    connection.disconnect();

    const m = await scrape();
    for (const source of ['redis', 'postgres', 'hydra', 'vault'])
      expect(value(m, 'pleiades_source_up', { source }), source).toBe(1);

    for (const queue of QUEUE_NAMES) {
      const counts = await t.queues.get(queue).getJobCounts();
      for (const state of ['waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized'])
        expect(value(m, 'pleiades_queue_jobs', { queue, state }), `${queue} ${state}`).toBe(counts[state]);
    }
    expect(value(m, 'pleiades_queue_jobs', { queue: 'painter', state: 'completed' })).toBe(8);
    expect(m.get('pleiades_queue_jobs_completed_total')!.type).toBe('COUNTER');
    expect(value(m, 'pleiades_queue_jobs_completed_total', { queue: 'painter' })).toBe(8);
    expect(value(m, 'pleiades_queue_jobs_failed_total', { queue: 'painter' })).toBe(1);
    expect(value(m, 'pleiades_queue_jobs_completed_total', { queue: 'janitor' })).toBe(0);

    expect(m.get('pleiades_job_duration_seconds')!.type).toBe('HISTOGRAM');
    const ofPainter = (suffix: string) =>
      series(lastText, `pleiades_job_duration_seconds${suffix}`).filter((x) => x.labels.queue === 'painter');
    const buckets = ofPainter('_bucket');
    expect(buckets.map((b) => b.labels.le)).toEqual([...JOB_DURATION_BUCKETS_S.map(String), '+Inf']);
    expect(buckets.map((b) => b.value)).toEqual(buckets.map((b) => b.value).sort((a, b) => a - b));
    expect(buckets.at(-1)!.value).toBe(9);
    expect(ofPainter('_count')).toEqual([{ labels: { queue: 'painter' }, value: 9 }]);
    expect(ofPainter('_sum')[0]!.value).toBeGreaterThan(0);
    expect(series(lastText, 'pleiades_job_duration_seconds_count').map((x) => x.labels.queue)).toEqual(
      QUEUE_NAMES,
    );

    const pool = t.db.pool;
    const n = async (sql: string) => Number((await pool.query(sql)).rows[0].n);
    const byTier = await countWatchlistByTier(pool);
    for (const [tier, count] of Object.entries(byTier))
      expect(value(m, 'pleiades_watchlist_videos', { tier }), tier).toBe(count);
    const due = await countDueByTier(pool, clock.now());
    for (const tier of ['HOURLY', 'DAILY', 'WEEKLY'])
      expect(value(m, 'pleiades_watchlist_due_videos', { tier }), tier).toBe(due[tier as 'HOURLY']);
    expect(value(m, 'pleiades_schedule_lag_seconds')).toBe((await oldestDueLagMs(pool, clock.now())) / 1000);
    expect(value(m, 'pleiades_schedule_lag_seconds')).toBeGreaterThanOrEqual(10 * 60);
    expect(value(m, 'pleiades_videos_hot')).toBe(await n('SELECT count(*) AS n FROM videos'));
    const queries = await countQueriesByState(pool);
    for (const state of ['pending', 'paging', 'done', 'disabled'])
      expect(value(m, 'pleiades_search_queries', { state })).toBe(queries[state] ?? 0);
    expect(value(m, 'pleiades_vault_staged_rows')).toBe(await n('SELECT count(*) AS n FROM staging'));
    expect(value(m, 'pleiades_vault_staged_rows')).toBe(12);
    expect(value(m, 'pleiades_vault_flushed_rows_total')).toBe(
      await n("SELECT rows AS n FROM vault_totals WHERE kind = 'metrics'"),
    );
    expect(value(m, 'pleiades_vault_flushed_rows_total')).toBe(30);
    expect(value(m, 'pleiades_vault_size_bytes')).toBe(await t.vault.sizeBytes());
    expect(value(m, 'pleiades_vault_size_bytes')).toBeGreaterThan(0);

    expect(value(m, 'pleiades_youtube_quota_used', { pool: 'tracking', bucket: 'units' })).toBe(7);
    expect(value(m, 'pleiades_youtube_quota_used', { pool: 'hunting', bucket: 'search' })).toBe(3);
    expect(value(m, 'pleiades_youtube_quota_limit', { pool: 'hunting', bucket: 'search' })).toBe(2 * 100);
    expect(value(m, 'pleiades_youtube_keys', { pool: 'hunting', state: 'ok' })).toBe(
      TEST_KEYS.hunting.length,
    );
    expect(value(m, 'pleiades_youtube_keys', { pool: 'tracking', state: 'disabled' })).toBe(0);
  });

  it('says which source it could not read, and serves no stale figure for it', async () => {
    const pool = createPool('postgresql://postgres@127.0.0.1:1/nothing', { max: 1 });
    const d = await startDashboard({ ...t.deps, pool }, { port: 0, host: '127.0.0.1' });
    try {
      const m = await scrape(d.url);
      expect(value(m, 'pleiades_source_up', { source: 'postgres' })).toBe(0);
      expect(value(m, 'pleiades_source_up', { source: 'redis' })).toBe(1);
      expect(m.get('pleiades_watchlist_videos')?.metrics ?? []).toEqual([]);
      expect(value(m, 'pleiades_videos_hot')).toBeUndefined();
      expect(value(m, 'pleiades_queue_jobs', { queue: 'painter', state: 'completed' })).toBe(8);
    } finally {
      await d.close();
      await pool.end();
    }
  });
});
