import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueue } from '../queues/index.ts';
import { DAY_MS, HOUR_MS } from '../src/clock.ts';
import { addToSearchQueue } from '../src/dao/search-queue.ts';
import { countVideos } from '../src/dao/videos.ts';
import { countWatchlistByTier, getWatchlistEntries } from '../src/dao/watchlist.ts';
import { bigIntToVideoId, videoIdToBigInt } from '../src/video-id.ts';
import { dispatchHunter } from '../workers/hunter-dispatch.ts';
import { dispatchTracker } from '../workers/tracker-dispatch.ts';
import { drain, failedJobs } from './helpers/queues.ts';
import { startTestSystem, type TestSystem } from './helpers/system.ts';

/**
 * The agents end to end: real Redis (BullMQ), real Postgres, the simulator over HTTP through the real
 * client, the local vault; simulated time moves with the shared ManualClock.
 */
let s: TestSystem;
const q = (sql: string, params: unknown[] = []) => s.db.pool.query(sql, params);

async function hunt(rounds: number) {
  for (let i = 0; i < rounds; i++) {
    await dispatchHunter(s.ctx.deps);
    await drain(s.ctx.queues, ['hunter']);
  }
}
async function trackCycle() {
  const r = await dispatchTracker(s.ctx.deps);
  await drain(s.ctx.queues, ['tracker']);
  return r;
}
async function advance(ms: number, step: number) {
  for (let t = 0; t < ms; t += step) {
    s.clock.advance(step);
    await trackCycle();
  }
}

beforeAll(async () => {
  s = await startTestSystem({
    // Tiers by age alone here; velocity-aware tiers have their own tests (dataset.test.ts).
    env: {
      HUNTER_MAX_PAGES: '2',
      SNOWBALL_PER_PARENT: '3',
      TRACKER_MISSES_BEFORE_GONE: '3',
      TIER_VELOCITY_ENABLED: 'false',
      // One dispatch per simulated hour (day, week) here: a part-filled job is then not held back for
      // a later dispatch (src/tracker-jobs.ts).
      TRACKER_DISPATCH_EVERY_S: '3600',
    },
    // exact search (every word, indexed at once): the test counts what the Hunter must find
    simulator: {
      search: 'perfect',
      world: { videosPerDay: 3000, historyDays: 40, deletedFraction: 0, privateFraction: 0 },
    },
  });
});
afterAll(async () => {
  await s?.close();
});

describe('agents end to end', () => {
  let seedVideos: string[] = [];

  it('seeding 3 queries ingests videos, fills the watchlist and snowballs', async () => {
    const words = s.ctx.simulator!.world.popularWords(3);
    await addToSearchQueue(
      s.db.pool,
      words.map((query) => ({ query, origin: 'seed' as const, priority: 10 })),
      new Date(s.clock.now()),
    );
    await hunt(2); // two pages per query
    const videos = await countVideos(s.db.pool);
    expect(videos).toBeGreaterThan(100);
    const tiers = await countWatchlistByTier(s.db.pool);
    expect(tiers.HOURLY + tiers.DAILY + tiers.WEEKLY).toBe(videos);
    // Round 1 snowballs from the seeds (depth 1); round 2 hunts those too and snowballs from them.
    const snow = await q(
      `SELECT parent_id, count(*)::int AS n, min(depth) AS lo, max(depth) AS hi FROM search_queue
       WHERE origin = 'snowball' GROUP BY parent_id`,
    );
    expect(snow.rows.length).toBeGreaterThan(0);
    expect(snow.rows.every((r) => r.n <= 3 && r.lo >= 1 && r.hi <= 2)).toBe(true);
    const seeds = await q(`SELECT pages_fetched, state FROM search_queue WHERE origin = 'seed'`);
    expect(seeds.rows.every((r) => r.state === 'done')).toBe(true); // 2 pages = the page limit
    seedVideos = (await q('SELECT id FROM videos')).rows.map((r) => bigIntToVideoId(r.id));
    expect(await failedJobs(s.ctx.queues, ['hunter'])).toEqual([]);
  });

  it('tracks every watchlist video into staging, 50 ids per videos.list call', async () => {
    const r = await trackCycle();
    expect(r.videos).toBe(seedVideos.length);
    const staged = await q('SELECT count(*)::int AS n, count(DISTINCT video_id)::int AS v FROM staging');
    expect(staged.rows[0]).toEqual({ n: seedVideos.length, v: seedVideos.length });
    // Hunter pages put new videos into batches per page; the dispatcher packs them into full jobs.
    expect(r.jobs).toBeLessThanOrEqual(Math.ceil(seedVideos.length / 50) + 3);
    // Nothing is due right after: the next HOURLY round is an hour away.
    expect((await trackCycle()).videos).toBe(0);
  });

  it('the Painter enriches hot videos and the Scribe computes features with early velocity', async () => {
    await advance(2 * HOUR_MS, HOUR_MS); // two more hourly snapshots
    await enqueue(s.ctx.queues, 'painter', { limit: 10_000 });
    await drain(s.ctx.queues, ['painter']);
    const painted = await q(
      `SELECT count(*)::int AS n, count(category_name)::int AS cat, count(channel_subscribers)::int AS subs,
              count(enriched_at)::int AS done FROM videos`,
    );
    expect(painted.rows[0].done).toBe(painted.rows[0].n);
    expect(painted.rows[0].cat).toBeGreaterThan(painted.rows[0].n * 0.9);
    expect(painted.rows[0].subs).toBeGreaterThan(painted.rows[0].n * 0.9);
    await enqueue(s.ctx.queues, 'scribe', { limit: 10_000 });
    await drain(s.ctx.queues, ['scribe']);
    const f = await q(
      `SELECT count(*)::int AS n, count(early_views_per_hour)::int AS v, min(title_length) AS tl FROM features`,
    );
    expect(f.rows[0].n).toBe(painted.rows[0].n);
    expect(f.rows[0].tl).toBeGreaterThan(0);
    // Videos under a day old have two snapshots or more by now: their early velocity is known.
    const young = await q(
      `SELECT count(*)::int AS n FROM videos WHERE published_at > $1::timestamptz - interval '22 hours'`,
      [new Date(s.clock.now())],
    );
    expect(young.rows[0].n).toBeGreaterThan(0);
    expect(f.rows[0].v).toBeGreaterThanOrEqual(young.rows[0].n);
    expect(await failedJobs(s.ctx.queues, ['painter', 'scribe'])).toEqual([]);
  });

  it('tiers move HOURLY → DAILY → WEEKLY as simulated time passes', async () => {
    const entries = await getWatchlistEntries(s.db.pool, seedVideos);
    const young = entries.filter((e) => e.tier === 'HOURLY').map((e) => e.videoId);
    expect(young.length).toBeGreaterThan(0);
    await advance(50 * HOUR_MS, HOUR_MS);
    let now = await getWatchlistEntries(s.db.pool, young);
    expect(now.every((e) => e.tier === 'DAILY')).toBe(true);
    // While HOURLY, a snapshot every hour: no gap over 1.5 × the interval.
    const gaps = await q(
      `SELECT max(gap) AS worst, count(*)::int AS n FROM (
         SELECT taken_at - lag(taken_at) OVER (PARTITION BY video_id ORDER BY taken_at) AS gap
         FROM staging WHERE video_id = ANY($1::bigint[]) AND tier = 0) x WHERE gap IS NOT NULL`,
      [young.map(videoIdToBigInt)],
    );
    expect(gaps.rows[0].n).toBeGreaterThan(young.length * 10);
    expect(gaps.rows[0].worst.hours ?? 0).toBeLessThanOrEqual(1);
    expect(gaps.rows[0].worst.minutes ?? 0).toBeLessThanOrEqual(30);
    await advance(30 * DAY_MS, DAY_MS);
    now = await getWatchlistEntries(s.db.pool, young);
    expect(now.every((e) => e.tier === 'WEEKLY')).toBe(true);
    expect(await failedJobs(s.ctx.queues, ['tracker'])).toEqual([]);
  });

  it('after the janitor removes old hot rows, tracking goes on (ghost tracking); deleted videos end GONE', async () => {
    await enqueue(s.ctx.queues, 'vault-flush', { force: true });
    await drain(s.ctx.queues, ['vault-flush']);
    expect(await failedJobs(s.ctx.queues, ['vault-flush'])).toEqual([]);
    await enqueue(s.ctx.queues, 'janitor', {});
    await drain(s.ctx.queues, ['janitor']);
    expect(await failedJobs(s.ctx.queues, ['janitor'])).toEqual([]);
    expect(await countVideos(s.db.pool)).toBe(0);
    const tiers = await countWatchlistByTier(s.db.pool);
    expect(tiers.WEEKLY).toBe(seedVideos.length);
    const ghost = seedVideos[0]!;
    const gone = seedVideos[1]!;
    s.ctx.simulator!.setVideoState(gone, 'deleted');
    const before = await q('SELECT count(*)::int AS n FROM staging WHERE video_id = $1', [
      videoIdToBigInt(ghost),
    ]);
    await advance(4 * 7 * DAY_MS, 7 * DAY_MS);
    const after = await q('SELECT count(*)::int AS n FROM staging WHERE video_id = $1', [
      videoIdToBigInt(ghost),
    ]);
    expect(after.rows[0].n).toBeGreaterThanOrEqual(before.rows[0].n + 3);
    const [g] = await getWatchlistEntries(s.db.pool, [gone]);
    expect(g).toMatchObject({ tier: 'GONE', misses: 3, nextTrackAt: null });
    expect(await failedJobs(s.ctx.queues, ['tracker', 'janitor', 'vault-flush'])).toEqual([]);
  });

  it('emitted the events where they happened (pg-boss tables)', async () => {
    const r = await q(
      `SELECT name, count(*)::int AS n FROM ${s.ctx.events!.schema}.job WHERE name LIKE 'ev/%/activity' GROUP BY name`,
    );
    const counts = Object.fromEntries(r.rows.map((x) => [x.name.split('/')[1], x.n]));
    expect(counts['video.discovered']).toBe(seedVideos.length);
    expect(counts['query.snowballed']).toBeGreaterThan(0);
    expect(counts['video.gone']).toBe(1);
    expect(counts['janitor.completed']).toBe(1);
    expect(counts['vault.flushed']).toBeGreaterThanOrEqual(1);
  });
});
