import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Simulator, startSimulator } from '@pleiades/youtube-simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_NAMES } from '../queues/index.ts';
import { installSchedulers, removeSchedulers } from '../queues/schedulers.ts';
import { addToSearchQueue } from '../src/dao/search-queue.ts';
import { countWatchlistByTier } from '../src/dao/watchlist.ts';
import { silentLogger } from '../src/log.ts';
import { migrateAll } from '../src/setup.ts';
import { startTestDashboard, type TestDashboard } from './helpers/dashboard.ts';

/**
 * The whole pipeline in separate processes: two `pleiades worker` replicas hunt, track and flush
 * against the built-in YouTube simulator, and the dashboard — another process's view, reading only
 * Redis and Postgres — must report what they did.
 */

interface Family {
  name: string;
  type: string;
  metrics: { labels?: Record<string, string>; value?: string }[];
}
const parsePrometheus = createRequire(import.meta.url)('parse-prometheus-text-format') as (
  text: string,
) => Family[];

const KEYS = ['e2e-simulated-key-aaaaaaaaaaaa', 'e2e-simulated-key-bbbbbbbbbbbb'];
let sim: Simulator;
let t: TestDashboard;
const workers: ChildProcess[] = [];
const logs: string[] = [];

beforeAll(async () => {
  sim = await startSimulator({ keys: KEYS, seed: 7 });
  t = await startTestDashboard(
    {
      YOUTUBE_API_ROOT: sim.url,
      HUNTER_DISPATCH_EVERY_S: '1',
      TRACKER_DISPATCH_EVERY_S: '1',
      VAULT_FLUSH_INTERVAL_S: '1',
      PAINTER_EVERY_S: '2',
      SCRIBE_EVERY_S: '2',
      HUNTER_MAX_PAGES: '2',
      SNOWBALL_MAX_DEPTH: '0',
    },
    { pools: { default: KEYS } },
  );
  await migrateAll(t.config, silentLogger); // what `pleiades migrate` adds to the template: the events schema
});

afterAll(async () => {
  for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
  await t?.close();
  await sim?.close();
});

function startWorker(): ChildProcess {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    DATABASE_URL: t.config.DATABASE_URL,
    REDIS_URL: t.config.REDIS_URL,
    REDIS_PREFIX: t.config.REDIS_PREFIX,
    VAULT_DIR: t.vaultDir,
    YOUTUBE_API_KEY_POOL_JSON: JSON.stringify({ default: KEYS }),
    YOUTUBE_API_ROOT: sim.url,
    HUNTER_MAX_PAGES: '2',
    SNOWBALL_MAX_DEPTH: '0',
    VAULT_FLUSH_INTERVAL_S: '1',
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
  };
  const child = spawn(process.execPath, ['app/cli/main.ts', 'worker', '--concurrency', '4'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => logs.push(String(d)));
  child.stderr!.on('data', (d) => logs.push(String(d)));
  workers.push(child);
  return child;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 40_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${logs.join('').slice(-3000)}`);
    await sleep(250);
  }
}

const n = async (sql: string) => Number((await t.db.pool.query(sql)).rows[0].n);

describe('/metrics after an end-to-end run with two worker processes', () => {
  it('reports what the workers did, as the database, Redis and the simulator record it', async () => {
    await addToSearchQueue(t.db.pool, [
      { query: 'music', origin: 'seed' },
      { query: 'cooking', origin: 'seed' },
    ]);
    const children = [startWorker(), startWorker()];
    await installSchedulers(t.queues, t.config);
    await until(
      'both workers on the tracker queue',
      async () => (await t.queues.get('tracker').getWorkers()).length >= 2,
    );
    await until(
      'snapshots in the vault',
      async () => (await n("SELECT rows AS n FROM vault_totals WHERE kind = 'metrics'")) > 0,
    );

    // Quiesce: no new schedules, then let every queued job finish before the workers stop.
    await removeSchedulers(t.queues, t.config);
    await until('idle queues', async () => {
      for (const q of QUEUE_NAMES) {
        const c = await t.queues.get(q).getJobCounts('waiting', 'active', 'delayed', 'prioritized');
        if (Object.values(c).some((x) => x > 0)) return false;
      }
      return true;
    });
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            c.once('exit', () => resolve());
            c.kill('SIGTERM');
          }),
      ),
    );
    expect(children.map((c) => c.exitCode)).toEqual([0, 0]);

    const r = await fetch(`${t.url}/metrics`);
    const text = await r.text();
    const m = new Map(parsePrometheus(text).map((f) => [f.name, f]));
    const value = (name: string, labels: Record<string, string> = {}) => {
      const s = m
        .get(name)
        ?.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
      return s?.value === undefined ? undefined : Number(s.value);
    };

    // Jobs: BullMQ's per-queue totals, across both processes, equal the jobs each queue kept.
    const tracker = t.queues.get('tracker');
    const trackerJobs = await tracker.getJobs(['completed']);
    expect(trackerJobs.length).toBeGreaterThan(0);
    expect(value('pleiades_queue_jobs_completed_total', { queue: 'tracker' })).toBe(trackerJobs.length);
    expect(value('pleiades_queue_jobs_failed_total', { queue: 'tracker' })).toBe(
      (await tracker.getJobCounts('failed')).failed,
    );
    expect(value('pleiades_queue_jobs_completed_total', { queue: 'hunter' })).toBe(
      (await t.queues.get('hunter').getJobCounts('completed')).completed,
    );
    for (const queue of QUEUE_NAMES)
      expect(value('pleiades_queue_jobs', { queue, state: 'active' }), queue).toBe(0);

    // Snapshots: what the tracker jobs say they wrote = staged + flushed = the vault's figures.
    const tracked = trackerJobs.reduce(
      (a, j) => a + ((j.returnvalue as { tracked?: number })?.tracked ?? 0),
      0,
    );
    const staged = await n('SELECT count(*) AS n FROM staging');
    const flushed = await n("SELECT rows AS n FROM vault_totals WHERE kind = 'metrics'");
    expect(staged + flushed).toBe(tracked);
    expect(value('pleiades_vault_staged_rows')).toBe(staged);
    expect(value('pleiades_vault_flushed_rows_total')).toBe(flushed);

    // Tables.
    const byTier = await countWatchlistByTier(t.db.pool);
    expect(byTier.HOURLY).toBeGreaterThan(0);
    for (const [tier, count] of Object.entries(byTier))
      expect(value('pleiades_watchlist_videos', { tier })).toBe(count);
    const hot = await n('SELECT count(*) AS n FROM videos');
    expect(hot).toBeGreaterThan(0);
    expect(value('pleiades_videos_hot')).toBe(hot);
    expect(value('pleiades_search_queries', { state: 'done' }) ?? 0).toBe(
      await n("SELECT count(*) AS n FROM search_queue WHERE state = 'done'"),
    );

    // Quota: what Hydra charged in the workers = what the simulator served.
    const served = Object.values(sim.stats().keys)
      .flatMap((days) => Object.values(days))
      .reduce((a, d) => ({ units: a.units + d.units, search: a.search + d.searchCalls }), {
        units: 0,
        search: 0,
      });
    expect(served.units).toBeGreaterThan(0);
    expect(value('pleiades_youtube_quota_used', { pool: 'default', bucket: 'units' })).toBe(served.units);
    expect(value('pleiades_youtube_quota_used', { pool: 'default', bucket: 'search' })).toBe(served.search);
  });
});
