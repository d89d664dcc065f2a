import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DashboardDeps } from '../../dashboard/deps.ts';
import { type RunningDashboard, startDashboard } from '../../dashboard/server.ts';
import { createQueues, QUEUE_NAMES, type QueueSet } from '../../queues/index.ts';
import { type Clock, DAY_MS, HOUR_MS, MINUTE_MS, systemClock } from '../../src/clock.ts';
import { type Config, loadConfig } from '../../src/config/index.ts';
import { storeFeatures, updateEarlyVelocity } from '../../src/dao/features.ts';
import { insertSnapshots } from '../../src/dao/staging.ts';
import { ingestVideoMetadata, type VideoMetadata } from '../../src/dao/videos.ts';
import { addToWatchlist } from '../../src/dao/watchlist.ts';
import { createHydra, type Hydra } from '../../src/hydra/index.ts';
import { silentLogger } from '../../src/log.ts';
import { createVault, type Vault } from '../../src/vault/index.ts';
import { videoIdFromBits } from '../../src/video-id.ts';
import { createTestDatabase, type TestDatabase } from './db.ts';
import { createTestRedis, type TestRedis } from './redis.ts';
import { baseTestEnv } from './system.ts';

/** Made-up keys: the tests check that none of them ever appears in an answer. */
export const TEST_KEYS = {
  hunting: ['AIzaSy-test-hunting-key-number-one-000', 'AIzaSy-test-hunting-key-number-two-000'],
  tracking: ['AIzaSy-test-tracking-key-number-one-00'],
};

export interface TestDashboard {
  url: string;
  db: TestDatabase;
  redis: TestRedis;
  queues: QueueSet;
  config: Config;
  hydra: Hydra;
  vault: Vault;
  vaultDir: string;
  deps: DashboardDeps;
  dashboard: RunningDashboard;
  /** Jobs per queue, all states: what "nothing was enqueued" compares. */
  jobCounts(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

/** A dashboard on a free port over a database, Redis prefix, Hydra and local vault of the test's own. */
export async function startTestDashboard(
  env: Record<string, string> = {},
  opts: { clock?: Clock; hydra?: boolean; vault?: boolean; pools?: Record<string, string[]> } = {},
): Promise<TestDashboard> {
  const pools = opts.pools ?? TEST_KEYS;
  const db = await createTestDatabase();
  const redis = await createTestRedis();
  const vaultDir = await mkdtemp(join(tmpdir(), 'pleiades-dash-vault-'));
  const config = loadConfig(
    {
      ...baseTestEnv(db, redis, vaultDir),
      YOUTUBE_API_KEY_POOL_JSON: JSON.stringify(pools),
      ...env,
    },
    { dotenvPath: false },
  );
  const clock = opts.clock ?? systemClock;
  const queues = createQueues({ redisUrl: redis.url, prefix: redis.prefix });
  const hydra = createHydra({
    redis: redis.redis,
    prefix: redis.prefix,
    pools,
    clock,
    searchQuota: config.HYDRA_SEARCH_QUOTA,
    unitsQuota: config.HYDRA_UNITS_QUOTA,
  });
  const vault = createVault(config, silentLogger);
  const deps: DashboardDeps = {
    config,
    pool: db.pool,
    queues,
    redis: redis.redis,
    log: silentLogger,
    clock,
    statsCacheMs: 0,
    ...(opts.hydra === false ? {} : { hydra }),
    ...(opts.vault === false ? {} : { vault }),
  };
  const dashboard = await startDashboard(deps, { port: 0, host: '127.0.0.1' });
  return {
    url: dashboard.url,
    db,
    redis,
    queues,
    config,
    hydra,
    vault,
    vaultDir,
    deps,
    dashboard,
    async jobCounts() {
      const out: Record<string, number> = {};
      for (const name of QUEUE_NAMES) {
        const c = await queues.get(name).getJobCounts();
        out[name] = Object.values(c).reduce((a, b) => a + b, 0);
      }
      return out;
    },
    async close() {
      await dashboard.close();
      await queues.close();
      await hydra.close();
      await redis.cleanup();
      await db.drop();
      await rm(vaultDir, { recursive: true, force: true });
    },
  };
}

export interface Seeded {
  /** Videos discovered per hour offset (0 = this hour) over the last day. */
  discoveredPerHourAgo: number[];
  videoIds: string[];
  stagedRows: number;
  flushedRows: number;
  growing: { videoId: string; viewsPerHour: number }[];
}

/**
 * A day of activity through the real DAO and vault: discoveries every hour, a watchlist in every
 * tier, snapshots of which some were flushed to Parquet, early velocities, Hydra spending, and jobs.
 */
export async function seedOverview(t: TestDashboard, now = Date.now()): Promise<Seeded> {
  const pool = t.db.pool;
  const discoveredPerHourAgo: number[] = [];
  const videoIds: string[] = [];
  let salt = 1n;
  for (let h = 0; h < 24; h++) {
    const n = (h % 5) + 1;
    discoveredPerHourAgo.push(n);
    const at = Math.floor(now / HOUR_MS) * HOUR_MS - h * HOUR_MS + 60_000;
    const batch: VideoMetadata[] = Array.from({ length: n }, () => {
      const id = videoIdFromBits(salt++ * 0x9e3779b97f4a7c15n);
      return {
        id,
        channelId: 'UCseedseedseedseedseedse',
        channelTitle: `Channel ${id.slice(0, 3)}`,
        title: `Seeded video ${id}`,
        description: '',
        tags: ['seed'],
        categoryId: 10,
        durationS: 60,
        publishedAt: new Date(at - 2 * HOUR_MS),
        sourceQueryId: null,
      };
    });
    await ingestVideoMetadata(pool, batch, new Date(Math.min(at, now)));
    videoIds.push(...batch.map((v) => v.id));
  }
  await addToWatchlist(
    pool,
    videoIds.map((id, i) => ({
      id,
      // Mostly young, some older: every live tier has rows.
      publishedAt: i % 7 === 0 ? now - 40 * DAY_MS : i % 3 === 0 ? now - 5 * DAY_MS : now - HOUR_MS,
    })),
    now,
  );
  const snapshot = (id: string, i: number, takenAt: number) => ({
    videoId: id,
    dueAt: Math.floor(takenAt / MINUTE_MS) * MINUTE_MS,
    takenAt,
    views: BigInt(1000 + i * 37),
    likes: BigInt(10 + i),
    comments: null,
    tier: 0,
  });
  const first = videoIds.slice(0, 30).map((id, i) => snapshot(id, i, now - 3 * HOUR_MS + i * 1000));
  await insertSnapshots(pool, first);
  await t.vault.flush(pool, { clock: { now: () => now }, force: true });
  const later = videoIds.slice(0, 12).map((id, i) => snapshot(id, i + 100, now - 20 * MINUTE_MS + i * 1000));
  await insertSnapshots(pool, later);

  const growing = videoIds.slice(0, 12).map((videoId, i) => ({ videoId, viewsPerHour: 5000 - i * 300 }));
  await storeFeatures(
    pool,
    growing.map((g) => ({
      videoId: g.videoId,
      titleLength: 20,
      titleWords: 3,
      titleCapsRatio: 0.1,
      titleEmojiRatio: 0,
      titleHasQuestion: false,
      titleHasNumber: false,
      tagCount: 1,
      descriptionLength: 0,
      durationS: 60,
      publishHourUtc: 3,
      publishWeekdayUtc: 2,
      categoryId: 10,
    })),
    new Date(now),
  );
  await updateEarlyVelocity(
    pool,
    growing.map((g) => ({
      videoId: g.videoId,
      firstViews: 100n,
      firstAt: new Date(now - 3 * HOUR_MS),
      lastViews: 100n + BigInt(g.viewsPerHour * 2),
      lastAt: new Date(now - HOUR_MS),
    })),
  );

  for (let i = 0; i < 7; i++)
    await t.hydra.call({ pool: 'tracking', method: 'videos.list' }, async () => null);
  for (let i = 0; i < 3; i++)
    await t.hydra.call({ pool: 'hunting', method: 'search.list' }, async () => null);
  await t.queues.get('painter').addBulk([1, 2, 3].map(() => ({ name: 'painter', data: {} })));
  await t.queues.get('janitor').add('janitor', {}, { delay: HOUR_MS });
  return { discoveredPerHourAgo, videoIds, stagedRows: later.length, flushedRows: first.length, growing };
}

export interface Answer {
  status: number;
  body: unknown;
  headers: Headers;
}

/** One HTTP request to a dashboard; a string or byte body is sent as is, anything else as JSON. */
export async function callApi(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const raw =
    body === undefined || typeof body === 'string' || body instanceof Uint8Array
      ? body
      : JSON.stringify(body);
  const r = await fetch(`${base}${path}`, {
    method,
    redirect: 'manual',
    headers: { ...(raw !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(raw !== undefined ? { body: raw as BodyInit } : {}),
  });
  const text = await r.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: r.status, body: parsed, headers: r.headers };
}
