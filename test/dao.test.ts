import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS, toEpochMinutes } from '../src/clock.ts';
import {
  addToSearchQueue,
  fetchHunterBatch,
  getQuery,
  normalizeQuery,
  updateSearchState,
} from '../src/dao/search-queue.ts';
import { markVideosVaulted } from '../src/dao/vault-videos.ts';
import {
  countVideos,
  deleteExpiredVideos,
  getVideos,
  ingestVideoMetadata,
  type VideoMetadata,
} from '../src/dao/videos.ts';
import {
  addToWatchlist,
  claimDueBatches,
  completeBatches,
  countDueByTier,
  getWatchlistEntries,
} from '../src/dao/watchlist.ts';
import { nextTrack, Tier } from '../src/tiers.ts';
import { videoIdFromBits, videoIdToBigInt } from '../src/video-id.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});

const ids = (n: number, salt = 1n) =>
  Array.from({ length: n }, (_, i) => videoIdFromBits(BigInt(i + 1) * 0x9e3779b97f4a7c15n + salt));

const video = (id: string, over: Partial<VideoMetadata> = {}): VideoMetadata => ({
  id,
  channelId: 'UC0123456789abcdefghijkl',
  channelTitle: 'A channel',
  title: `Video ${id}`,
  description: 'about it',
  tags: ['one', 'two'],
  categoryId: 10,
  durationS: 213,
  publishedAt: new Date('2026-11-20T10:00:00Z'),
  sourceQueryId: null,
  ...over,
});

describe('search queue', () => {
  it('adds queries once, whatever their case and spacing', async () => {
    const added = await addToSearchQueue(t.pool, [
      { query: 'Lo-Fi  Beats' },
      { query: 'lo-fi beats ' },
      { query: 'jazz' },
    ]);
    expect(added.map((q) => q.query)).toEqual(['Lo-Fi Beats', 'jazz']);
    const again = await addToSearchQueue(t.pool, [{ query: 'LO-FI BEATS' }]);
    expect(again).toEqual([]);
    expect(normalizeQuery('  A\tB  ')).toBe('a b');
  });

  it('never lets two concurrent claimers take the same query', async () => {
    await addToSearchQueue(
      t.pool,
      Array.from({ length: 200 }, (_, i) => ({ query: `concurrent ${i}` })),
    );
    const now = new Date();
    const claim = () => fetchHunterBatch(t.pool, { limit: 30, now, leaseMs: 60_000 });
    const results = await Promise.all(Array.from({ length: 8 }, claim));
    const claimed = results.flat().map((q) => String(q.id));
    expect(claimed.length).toBe(202); // 2 + 200 queries, 8 × 30 slots
    expect(new Set(claimed).size).toBe(claimed.length);
    // All leased: nothing left to claim until the lease lapses.
    expect(await claim()).toEqual([]);
    const later = await fetchHunterBatch(t.pool, {
      limit: 500,
      now: new Date(now.getTime() + 61_000),
      leaseMs: 60_000,
    });
    expect(later.length).toBe(202);
  });

  it('follows pages, then ends the pass and schedules a re-run for newer videos', async () => {
    const [q] = await addToSearchQueue(t.pool, [{ query: 'paging test', priority: 100 }]);
    const now = new Date();
    const step = (pageToken: string | null, nextPageToken: string | null) =>
      updateSearchState(t.pool, {
        id: q!.id,
        pageToken,
        nextPageToken,
        found: 50,
        now,
        maxPages: 3,
        rerunAfterMs: HOUR_MS,
      });
    expect(await step(null, 'P2')).toBe(true);
    expect(await step(null, 'P2')).toBe(false); // a replayed job changes nothing
    let s = await getQuery(t.pool, q!.id);
    expect(s).toMatchObject({ state: 'paging', nextPageToken: 'P2', pagesFetched: 1, resultsFound: 50 });
    await step('P2', 'P3');
    await step('P3', 'P4'); // third page: the page limit ends the pass
    s = await getQuery(t.pool, q!.id);
    expect(s).toMatchObject({ state: 'done', nextPageToken: null, pagesFetched: 0, resultsFound: 150 });
    expect(s!.publishedAfter).not.toBeNull();
  });
});

describe('videos (hot table)', () => {
  it('ingests many rows in one statement and re-ingests idempotently', async () => {
    const vs = ids(120).map((id) => video(id));
    const now = new Date('2026-11-25T00:00:00Z');
    expect((await ingestVideoMetadata(t.pool, vs, now)).length).toBe(120);
    const again = await ingestVideoMetadata(t.pool, [video(vs[0]!.id, { title: 'renamed' })], new Date());
    expect(again).toEqual([]);
    const [v] = await getVideos(t.pool, [vs[0]!.id]);
    expect(v).toMatchObject({ id: vs[0]!.id, title: 'renamed', tags: ['one', 'two'], durationS: 213 });
    expect(v!.discoveredAt.toISOString()).toBe(now.toISOString()); // the retention clock does not restart
  });

  it('janitor deletes expired hot rows in batches and leaves the watchlist intact', async () => {
    const old = ids(25, 7n).map((id) => video(id));
    const fresh = ids(5, 9n).map((id) => video(id));
    const now = Date.now();
    await ingestVideoMetadata(t.pool, old, new Date(now - 8 * DAY_MS));
    await ingestVideoMetadata(t.pool, fresh, new Date(now));
    await addToWatchlist(t.pool, [...old, ...fresh], now);
    await markVideosVaulted(
      t.pool,
      old.map((v) => v.id),
      new Date(now),
    ); // the janitor deletes only rows whose metadata is in the vault
    const before = await countVideos(t.pool);
    const cutoff = new Date(now - 7 * DAY_MS);
    const batches: number[] = [];
    for (;;) {
      const n = await deleteExpiredVideos(t.pool, cutoff, 10);
      batches.push(n);
      if (n < 10) break;
    }
    expect(batches).toEqual([10, 10, 5]);
    expect(await countVideos(t.pool)).toBe(before - 25);
    expect(
      await getVideos(
        t.pool,
        old.map((v) => v.id),
      ),
    ).toEqual([]);
    expect(
      (
        await getWatchlistEntries(
          t.pool,
          old.map((v) => v.id),
        )
      ).length,
    ).toBe(25);
  });
});

describe('watchlist', () => {
  it('adds idempotently in the tier of the video age, due at once, in batches of at most 50', async () => {
    const now = Date.now();
    const [young, mid, old] = ids(3, 11n);
    const added = await addToWatchlist(
      t.pool,
      [
        { id: young!, publishedAt: now - HOUR_MS },
        { id: mid!, publishedAt: now - 3 * DAY_MS },
        { id: old!, publishedAt: now - 60 * DAY_MS },
      ],
      now,
    );
    expect(added).toBe(3);
    expect(await addToWatchlist(t.pool, [{ id: young!, publishedAt: now }], now)).toBe(0);
    const rows = await getWatchlistEntries(t.pool, [young!, mid!, old!]);
    expect(Object.fromEntries(rows.map((r) => [r.videoId, r.tier]))).toEqual({
      [young!]: 'HOURLY',
      [mid!]: 'DAILY',
      [old!]: 'WEEKLY',
    });
    expect(rows.every((r) => r.nextTrackAt === toEpochMinutes(now) * 60_000)).toBe(true);
    const many = ids(120, 12n);
    expect(
      await addToWatchlist(
        t.pool,
        many.map((id) => ({ id, publishedAt: now })),
        now,
      ),
    ).toBe(120);
    const sizes = await t.pool.query<{ n: number }>(
      'SELECT cardinality(video_ids) AS n FROM watchlist_schedule WHERE video_ids && $1::bigint[] ORDER BY n DESC',
      [many.map((id) => videoIdToBigInt(id))],
    );
    expect(sizes.rows.map((r) => r.n)).toEqual([50, 50, 20]);
  });

  it('concurrent claimers never take the same video, and a lapsed lease makes it due again', async () => {
    const now = Date.now() + 10 * DAY_MS; // everything added so far is due
    const vs = ids(1000, 13n);
    await addToWatchlist(
      t.pool,
      vs.map((id) => ({ id, publishedAt: now - HOUR_MS })),
      now,
    );
    const due = (await countDueByTier(t.pool, now)).HOURLY;
    expect(due).toBeGreaterThanOrEqual(1000);
    const claim = () => claimDueBatches(t.pool, { tier: Tier.HOURLY, limit: 3, now, leaseMs: 15 * 60_000 });
    const claims = await Promise.all(Array.from({ length: 30 }, claim));
    const got = claims.flat().flatMap((b) => b.videos.map((v) => v.id));
    expect(new Set(got).size).toBe(got.length);
    expect(got.length).toBe(due);
    expect(await claim()).toEqual([]);
    expect((await countDueByTier(t.pool, now)).HOURLY).toBe(0);
    const afterLease = await claimDueBatches(t.pool, {
      tier: Tier.HOURLY,
      limit: 5000,
      now: now + 16 * 60_000,
      leaseMs: 60_000,
    });
    expect(afterLease.flatMap((b) => b.videos).length).toBe(due);
  });

  it('completes a whole batch in one go, fenced by the claim', async () => {
    const now = Date.now() + 30 * DAY_MS;
    const vs = ids(50, 17n);
    await addToWatchlist(
      t.pool,
      vs.map((id) => ({ id, publishedAt: now - 47 * HOUR_MS })),
      now,
    );
    const claimed = (
      await claimDueBatches(t.pool, { tier: Tier.HOURLY, limit: 10_000, now, leaseMs: 600_000 })
    ).filter((b) => b.videos.some((v) => vs.includes(v.id)));
    expect(claimed.length).toBe(1);
    const batch = claimed[0]!;
    const at = now + 60_000;
    const updates = batch.videos.map((v) => {
      const n = nextTrack(v.publishedMin * 60_000, at);
      return {
        videoId: v.id,
        tier: n.tier,
        nextTrackAt: n.nextAt,
        trackedAt: at,
        lastTrackedMin: v.lastTrackedMin,
        misses: 0,
        previousTier: v.tier,
        previousMisses: v.misses,
      };
    });
    const applied = await completeBatches(t.pool, [batch.batchId], batch.leaseMin, updates);
    expect(applied.size).toBe(50);
    // Replaying the same job finds the fence gone: nothing applies twice.
    expect((await completeBatches(t.pool, [batch.batchId], batch.leaseMin, updates)).size).toBe(0);
    const rows = await getWatchlistEntries(t.pool, vs);
    expect(rows.every((r) => r.tier === 'HOURLY' && r.lastTrackedAt === toEpochMinutes(at) * 60_000)).toBe(
      true,
    );
    expect(rows.every((r) => r.nextTrackAt === Math.ceil((at + HOUR_MS) / 60_000) * 60_000)).toBe(true);
    // 47h old: one more hourly round, then the next completion moves it to DAILY.
    const later = at + 2 * HOUR_MS;
    const [b2] = (
      await claimDueBatches(t.pool, { tier: Tier.HOURLY, limit: 10_000, now: later, leaseMs: 600_000 })
    ).filter((b) => b.videos.some((v) => vs.includes(v.id)));
    await completeBatches(
      t.pool,
      [b2!.batchId],
      b2!.leaseMin,
      b2!.videos.map((v) => ({
        videoId: v.id,
        ...(({ tier, nextAt }) => ({ tier, nextTrackAt: nextAt }))(nextTrack(v.publishedMin * 60_000, later)),
        trackedAt: later,
        lastTrackedMin: v.lastTrackedMin,
        misses: 0,
        previousTier: v.tier,
        previousMisses: v.misses,
      })),
    );
    expect((await getWatchlistEntries(t.pool, vs)).every((r) => r.tier === 'DAILY')).toBe(true);
  });
});

describe('tiers', () => {
  it('HOURLY under 48h, DAILY until 30 days, WEEKLY after', () => {
    const now = Date.UTC(2026, 10, 25);
    expect(nextTrack(now - 47 * HOUR_MS, now)).toMatchObject({ tier: Tier.HOURLY });
    expect(nextTrack(now - 48 * HOUR_MS, now)).toMatchObject({ tier: Tier.DAILY, nextAt: now + DAY_MS });
    expect(nextTrack(now - 29 * DAY_MS, now).tier).toBe(Tier.DAILY);
    expect(nextTrack(now - 30 * DAY_MS, now)).toMatchObject({ tier: Tier.WEEKLY, nextAt: now + 7 * DAY_MS });
    expect(nextTrack(now - HOUR_MS, now, { hourlyUntilMs: HOUR_MS / 2, dailyUntilMs: DAY_MS }).tier).toBe(
      Tier.DAILY,
    );
  });
});
