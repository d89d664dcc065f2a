import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Context, createContext } from '../app/context.ts';
import { DAY_MS } from '../src/clock.ts';
import { loadConfig } from '../src/config/index.ts';
import { addToSearchQueue } from '../src/dao/search-queue.ts';
import { addToWatchlist } from '../src/dao/watchlist.ts';
import { silentLogger } from '../src/log.ts';
import { bigIntToVideoId } from '../src/video-id.ts';
import { dispatchHunter } from '../workers/hunter-dispatch.ts';
import { dispatchTracker } from '../workers/tracker-dispatch.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import {
  type HostileYouTube,
  HUNTER_MODES,
  type HunterMode,
  startHostileYouTube,
  TRACKER_MODES,
  type TrackerMode,
} from './helpers/hostile-youtube.ts';
import { exited, spawnPleiades, waitFor } from './helpers/processes.ts';
import { drain } from './helpers/queues.ts';
import { createTestRedis, type TestRedis } from './helpers/redis.ts';

/**
 * A real worker process against a "YouTube" that answers badly on purpose (test/helpers/hostile-
 * youtube.ts). An answer without YouTube's documented shape fails its job with the client's
 * MalformedResponseError, stores nothing and leaves the worker running; an odd but valid answer
 * stores exactly what was asked for; once YouTube answers properly again, the retried jobs finish.
 */
let db: TestDatabase;
let redis: TestRedis;
let yt: HostileYouTube;
let ctx: Context;
let worker: ReturnType<typeof spawnPleiades>;
const KEY = 'AIzaSy-hostile-test-key-0000000000000';

beforeAll(async () => {
  db = await createTestDatabase();
  redis = await createTestRedis();
  yt = await startHostileYouTube();
  const env = {
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    REDIS_PREFIX: redis.prefix,
    YOUTUBE_API_KEY_POOL_JSON: JSON.stringify([KEY]),
    YOUTUBE_API_ROOT: yt.url,
    YOUTUBE_TIMEOUT_MS: '5000',
    TRACKER_LEASE_S: '600',
    HUNTER_LEASE_S: '600',
    WORKER_CONCURRENCY: '4',
    // The hunter's searches are paced across the Pacific day: in its first hour the pace allowed 6 of
    // the 8 hostile pages, and the test failed when it ran just after midnight Pacific. What it tests
    // is the answers, not the pace.
    DISCOVERY_PACE_SLACK: '1',
    LOG_LEVEL: 'info',
  };
  ctx = await createContext(loadConfig(env, { dotenvPath: false }), silentLogger, {
    simulator: false,
    events: false,
  });
  worker = spawnPleiades(['worker', '--queues', 'tracker,hunter'], env);
  // The race behind the time-outs under load: jobs were dispatched while the worker process was still
  // starting (Node loading the sources, connecting), and "every job ran once" waited on that start-up
  // too. Wait until both queues have a registered worker instead.
  await waitFor(
    'the worker process to take jobs',
    async () =>
      (await ctx.queues.get('tracker').getWorkers()).length > 0 &&
      (await ctx.queues.get('hunter').getWorkers()).length > 0,
    50_000,
  );
});
afterAll(async () => {
  worker?.kill('SIGTERM');
  if (worker) expect(await exited(worker), worker.output()).toBe(0);
  await ctx?.close();
  await yt?.close();
  await redis?.cleanup();
  await db?.drop();
});

const SHAPE = /does not have YouTube's documented shape/;
const REFUSED: Partial<Record<TrackerMode, RegExp>> = {
  missingKind: SHAPE,
  countAsNumber: SHAPE,
  negativeCount: SHAPE,
  countNotDigits: SHAPE,
  countTooBig: SHAPE,
  itemsNotArray: SHAPE,
  invalidJson: SHAPE,
  html: SHAPE,
  emptyBody: SHAPE,
  // ~100 MB: refused while it is read (the worker's heap is capped at 128 MB), not parsed.
  hugeStrings: SHAPE,
  echoKey: /400 badRequest/,
};

/** Waits until every job of `queue` has run at least once; returns them. */
async function attempted(queue: 'tracker' | 'hunter', n: number) {
  const q = ctx.queues.get(queue);
  return waitFor(
    `${n} ${queue} jobs to run`,
    async () => {
      const jobs = await q.getJobs(['completed', 'delayed', 'failed', 'waiting', 'active', 'prioritized']);
      const done = await Promise.all(
        jobs.map(async (j) => ((await j.getState()) === 'completed' || j.attemptsMade >= 1 ? j : null)),
      );
      return jobs.length === n && done.every(Boolean) ? jobs : undefined;
    },
    30_000,
  );
}

/** A job that failed an attempt and waits for (or runs) the next one is "retrying". */
const phase = (state: string): string => (state === 'completed' || state === 'failed' ? state : 'retrying');

const stagedIds = async (): Promise<Set<string>> =>
  new Set((await db.pool.query('SELECT video_id FROM staging')).rows.map((r) => bigIntToVideoId(r.video_id)));

describe('a hostile YouTube', () => {
  it('tracker: malformed answers fail their job clearly and store nothing; odd ones store only what was asked', async () => {
    const now = Date.now();
    const batches = new Map<TrackerMode, string[]>();
    for (const mode of TRACKER_MODES) {
      const ids = yt.trackerVideos(mode, 50);
      batches.set(mode, ids);
      await addToWatchlist(
        db.pool,
        ids.map((id) => ({ id, publishedAt: now - 3 * DAY_MS })),
        now,
      );
    }
    expect((await dispatchTracker(ctx.deps)).jobs).toBe(TRACKER_MODES.length);
    const jobs = await attempted('tracker', TRACKER_MODES.length);
    const outcome: Record<string, string> = {};
    const expected: Record<string, string> = {};
    for (const job of jobs) {
      const mode = [...batches].find(([, ids]) => ids.includes(job.data.videos[0].id))![0];
      const state = phase(await job.getState());
      outcome[mode] =
        `${state}${job.failedReason && REFUSED[mode]?.test(job.failedReason) ? ': clear' : `: ${job.failedReason ?? ''}`}`;
      // Refused: failed this attempt (retried later with backoff) with a clear reason.
      expected[mode] = REFUSED[mode] ? 'retrying: clear' : 'completed: ';
      expect(job.failedReason ?? '').not.toContain(KEY);
    }
    expect(outcome).toEqual(expected);
    // Staged: exactly the videos asked for in the acceptable answers — not the extra items.
    expect(await stagedIds()).toEqual(new Set(batches.get('unrequestedItems')!));
    expect(worker.exitCode, worker.output()).toBe(null);
    expect(worker.output()).not.toContain(KEY);

    // YouTube answers properly again: the retried jobs finish, every video once.
    yt.honest = true;
    for (const job of jobs) if ((await job.getState()) === 'delayed') await job.promote();
    await drain(ctx.queues, ['tracker'], 30_000);
    expect(await ctx.queues.get('tracker').getFailed()).toEqual([]);
    const all = [...batches.values()].flat();
    expect(await stagedIds()).toEqual(new Set(all));
    expect((await db.pool.query('SELECT count(*)::int AS n FROM staging')).rows[0].n).toBe(all.length);
    yt.honest = false;
  });

  it('hunter: only valid, requested, plausible videos are stored, bounded, and no query is poisoned', async () => {
    await db.pool.query('TRUNCATE watchlist, watchlist_schedule, staging');
    const now = Date.now();
    await addToSearchQueue(
      db.pool,
      HUNTER_MODES.map((query) => ({ query, origin: 'manual' as const, priority: 100 })),
      new Date(now),
    );
    expect((await dispatchHunter(ctx.deps)).enqueued).toBe(HUNTER_MODES.length);
    const jobs = await attempted('hunter', HUNTER_MODES.length);
    const summary: Record<string, string> = {};
    for (const j of jobs) {
      const reason = j.failedReason ? (SHAPE.test(j.failedReason) ? ': clear' : `: ${j.failedReason}`) : '';
      summary[j.data.query as HunterMode] = `${phase(await j.getState())}${reason}`;
    }
    // A page without the documented shape (and a page token no YouTube would send) is refused.
    expect(summary).toEqual({
      ...Object.fromEntries(HUNTER_MODES.map((m) => [m, 'completed'])),
      searchMissingFields: 'retrying: clear',
      hugePageToken: 'retrying: clear',
    });
    const stored = new Map(
      (
        await db.pool.query(
          `SELECT v.id, v.title, c.channel_id, c.title AS channel_title, v.tags, v.description
           FROM videos v JOIN channels c ON c.key = v.channel_key`,
        )
      ).rows.map((r) => [bigIntToVideoId(r.id), r]),
    );
    const asked = (m: HunterMode) => yt.searched.get(m) ?? [];
    const expected = new Set(
      (['searchBadIds', 'unrequestedDetails', 'hugeTitle', 'longWordTitles', 'nulTitle'] as const).flatMap(
        asked,
      ),
    );
    // Not the items nobody asked for, not the ones published in the year 9999, nothing of the refused pages.
    expect(new Set(stored.keys())).toEqual(expected);
    const watchlist = (await db.pool.query('SELECT video_id FROM watchlist')).rows.map((r) =>
      bigIntToVideoId(r.video_id),
    );
    expect(new Set(watchlist)).toEqual(expected);
    for (const id of asked('hugeTitle')) {
      const v = stored.get(id)!;
      expect(v.title.length).toBeLessThanOrEqual(1000);
      expect(v.channel_title.length).toBeLessThanOrEqual(1000);
      expect(v.channel_id.length).toBeLessThanOrEqual(64);
      expect((v.tags as string[]).every((t) => t.length <= 500)).toBe(true);
    }
    for (const id of asked('nulTitle')) expect(stored.get(id)!.title).toBe('badtitle');
    // Snowballed queries are real queries: at most 200 characters, whatever the titles were.
    const queries = (await db.pool.query('SELECT query FROM search_queue')).rows.map(
      (r) => r.query as string,
    );
    expect(queries.every((q) => q.length <= 200)).toBe(true);
    // The dispatcher still works (no query holds it up), and the worker is alive.
    await expect(dispatchHunter(ctx.deps)).resolves.toBeDefined();
    expect(worker.exitCode, worker.output()).toBe(null);
    expect(worker.output()).not.toContain(KEY);

    // YouTube answers properly again: the refused pages are fetched again and finish.
    yt.honest = true;
    const hunter = ctx.queues.get('hunter');
    for (const j of await hunter.getDelayed()) await j.promote();
    await drain(ctx.queues, ['hunter'], 30_000);
    expect((await hunter.getFailed()).map((j) => j.failedReason)).toEqual([]);
    const done = await hunter.getCompleted();
    for (const m of ['searchMissingFields', 'hugePageToken'])
      expect(done.some((j) => j.data.query === m)).toBe(true);
  });
});
