import { PacificDays } from '@pleiades/youtube-simulator/quota';
import { decodeVideoId, encodeVideoId } from '@pleiades/youtube-simulator/rng';
import { World } from '@pleiades/youtube-simulator/world';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS, MINUTE_MS, pacificDay } from '../src/clock.ts';
import { bigIntToVideoId, isVideoId, videoIdToBigInt } from '../src/video-id.ts';

/** The synthetic world on its own: ids, publish times, growth curves, lifecycle, determinism, scale. */

const NOW = Date.parse('2026-03-10T19:00:00Z');
const ORIGIN = Date.parse('2026-03-10T00:00:00Z');

describe('video ids', () => {
  it('encode 64 bits exactly as src/video-id.ts does, and decode back', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (v) => {
        const hi = Number(v >> 32n);
        const lo = Number(v & 0xffffffffn);
        const id = encodeVideoId(hi, lo);
        expect(id).toBe(bigIntToVideoId(v));
        expect(isVideoId(id)).toBe(true);
        expect(BigInt.asUintN(64, videoIdToBigInt(id))).toBe(v);
        expect(decodeVideoId(id)).toEqual([hi, lo]);
      }),
      { numRuns: 2000 },
    );
  });

  it('reject what is not a video id', () => {
    for (const s of ['', 'short', 'dQw4w9WgXcQx', 'dQw4w9WgXcR', 'dQw4w9WgX!Q', 'dQw4w9WgXé Q'])
      expect(decodeVideoId(s)).toBeNull();
  });

  it('lead back to their video in O(1); ids of other worlds are not videos of this one', () => {
    const w = new World(42, { originMs: ORIGIN }, NOW);
    const other = new World(43, { originMs: ORIGIN }, NOW);
    for (const i of [0, 1, 2, 1000, 123_456, 1_460_000, 2 ** 31 - 2]) {
      expect(w.indexOf(w.videoIdAt(i))).toBe(i);
      expect(w.indexOf(other.videoIdAt(i))).toBe(-1);
    }
    expect(w.indexOf('dQw4w9WgXcQ')).toBe(-1);
    expect(w.indexOf('not an id')).toBe(-1);
  });

  it('channel ids look like YouTube channel ids', () => {
    const w = new World(42, { originMs: ORIGIN }, NOW);
    const ids = w.channelIds();
    expect(ids).toHaveLength(2000);
    expect(new Set(ids).size).toBe(2000);
    for (const id of ids) expect(id).toMatch(/^UC[A-Za-z0-9_-]{21}[AQgw]$/);
  });
});

describe('the world', () => {
  const w = new World(42, { originMs: ORIGIN }, NOW);

  it('publishes videos in index order, a year of history before the origin and more as time passes', () => {
    expect(w.historyStartMs).toBe(ORIGIN - 365 * DAY_MS);
    let prev = -Infinity;
    for (let i = 0; i < 5000; i++) {
      const t = w.publishedAt(i);
      expect(t).toBeGreaterThanOrEqual(prev);
      prev = t;
    }
    for (const t of [NOW - 100 * DAY_MS, NOW - 1, NOW, NOW + HOUR_MS]) {
      const i = w.firstIndexAtOrAfter(t);
      expect(w.publishedAt(i)).toBeGreaterThanOrEqual(t);
      expect(w.publishedAt(i - 1)).toBeLessThan(t);
    }
    const perDay = w.publishedCount(NOW) - w.publishedCount(NOW - DAY_MS);
    expect(perDay).toBeGreaterThan(3900);
    expect(perDay).toBeLessThan(4100);
    expect(w.publishedCount(NOW + HOUR_MS)).toBeGreaterThan(w.publishedCount(NOW));
  });

  it('serves a watchlist of over a million distinct existing videos without a map', () => {
    const ids = w.videoIdsPublishedBetween(NOW - 365 * DAY_MS, NOW, 1_050_000);
    expect(ids.length).toBe(1_050_000);
    expect(new Set(ids).size).toBe(ids.length);
    for (let k = 0; k < ids.length; k += 9973) {
      expect(isVideoId(ids[k])).toBe(true);
      expect(w.publishedAt(w.indexOf(ids[k]!))).toBeLessThanOrEqual(NOW);
    }
  });

  it('statistics never decrease, and follow ordinary, viral and late-viral curves', () => {
    const first = w.firstIndexAtOrAfter(NOW - 120 * DAY_MS);
    const ages = [
      0,
      10 * MINUTE_MS,
      HOUR_MS,
      6 * HOUR_MS,
      DAY_MS,
      3 * DAY_MS,
      10 * DAY_MS,
      30 * DAY_MS,
      90 * DAY_MS,
    ];
    let viral = 0;
    let lateViral = 0;
    const finals: number[] = [];
    for (let i = first; i < first + 4000; i++) {
      const pub = w.publishedAt(i);
      let prev = { viewCount: 0, likeCount: 0, commentCount: 0 };
      const series = ages.map((a) => w.statistics(i, pub + a));
      for (const s of series) {
        expect(s.viewCount).toBeGreaterThanOrEqual(prev.viewCount);
        if (s.likeCount !== null) expect(s.likeCount).toBeGreaterThanOrEqual(prev.likeCount);
        if (s.commentCount !== null) expect(s.commentCount).toBeGreaterThanOrEqual(prev.commentCount);
        expect(s.likeCount ?? 0).toBeLessThanOrEqual(s.viewCount);
        prev = { viewCount: s.viewCount, likeCount: s.likeCount ?? 0, commentCount: s.commentCount ?? 0 };
      }
      const [d3, d90] = [series[5]!.viewCount, series[8]!.viewCount];
      if (d90 > 1_000_000) viral++;
      if (d90 > 30 * Math.max(1, d3) && d90 > 10_000) lateViral++;
      finals.push(d90);
    }
    finals.sort((a, b) => a - b);
    const median = finals[finals.length >> 1]!;
    expect(median).toBeGreaterThan(100);
    expect(median).toBeLessThan(20_000);
    expect(viral).toBeGreaterThan(10);
    expect(viral).toBeLessThan(200);
    expect(lateViral).toBeGreaterThan(3);
  });

  it('some videos become private or deleted as they age', () => {
    const first = w.firstIndexAtOrAfter(NOW - 200 * DAY_MS);
    let gone = 0;
    let goneYoung = 0;
    for (let i = first; i < first + 10_000; i++) {
      if (!w.isVisible(i, NOW)) gone++;
      if (!w.isVisible(i, w.publishedAt(i) + HOUR_MS / 2)) goneYoung++;
    }
    expect(gone / 10_000).toBeGreaterThan(0.02);
    expect(gone / 10_000).toBeLessThan(0.04);
    expect(goneYoung).toBe(0);
    expect(w.visibility(w.publishedCount(NOW), NOW)).toBe('unpublished');
  });

  it('schedules live streams and premieres when asked to, watched only from their start', () => {
    const none = w.firstIndexAtOrAfter(NOW - DAY_MS);
    expect(w.live(none)).toBeNull(); // by default a world has no broadcasts
    const lw = new World(42, { originMs: ORIGIN, liveFraction: 0.02, premiereFraction: 0.03 }, NOW);
    const first = lw.firstIndexAtOrAfter(NOW - 10 * DAY_MS);
    const kinds = { live: 0, premiere: 0 };
    let watched = 0;
    for (let i = first; i < first + 10_000; i++) {
      const l = lw.live(i);
      if (!l) continue;
      kinds[l.kind]++;
      const pub = lw.publishedAt(i);
      expect(l.scheduledStart - pub).toBeGreaterThanOrEqual(HOUR_MS);
      expect(l.scheduledStart - pub).toBeLessThanOrEqual(25 * HOUR_MS);
      expect(l.actualStart - l.scheduledStart).toBeLessThan(l.kind === 'premiere' ? 1 : 10 * MINUTE_MS);
      expect(l.actualEnd).toBeGreaterThan(l.actualStart);
      expect(l.peakViewers).toBeGreaterThan(0);
      expect(lw.statistics(i, l.actualStart - MINUTE_MS).viewCount).toBe(0);
      watched += lw.statistics(i, l.actualEnd + DAY_MS).viewCount;
    }
    expect(watched).toBeGreaterThan(0);
    expect(kinds.live / 10_000).toBeGreaterThan(0.01);
    expect(kinds.live / 10_000).toBeLessThan(0.03);
    expect(kinds.premiere / 10_000).toBeGreaterThan(0.02);
    expect(kinds.premiere / 10_000).toBeLessThan(0.04);
  });

  it('is a pure function of the seed', () => {
    const again = new World(42, { originMs: ORIGIN }, NOW + 5 * DAY_MS);
    const other = new World(43, { originMs: ORIGIN }, NOW);
    for (const i of [0, 77, 500_000, 1_400_000]) {
      expect(again.videoIdAt(i)).toBe(w.videoIdAt(i));
      expect(again.details(i)).toEqual(w.details(i));
      expect(again.statistics(i, NOW)).toEqual(w.statistics(i, NOW));
      expect(other.videoIdAt(i)).not.toBe(w.videoIdAt(i));
    }
  });
});

describe('Pacific days', () => {
  it('follow pacificDay() across both DST changes of 2026', () => {
    const days = new PacificDays();
    for (const start of [Date.parse('2026-03-07T00:00:00Z'), Date.parse('2026-10-31T00:00:00Z')])
      for (let t = start; t < start + 3 * DAY_MS; t += 7 * MINUTE_MS + 13_000)
        expect(days.of(t)).toBe(pacificDay(t));
    // and backwards, as a manual clock may be set
    for (let t = NOW; t > NOW - 2 * DAY_MS; t -= 53 * MINUTE_MS) expect(days.of(t)).toBe(pacificDay(t));
  });
});
