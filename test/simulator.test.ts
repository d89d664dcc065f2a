import { type Simulator, type SimulatorOptions, startSimulator } from '@pleiades/youtube-simulator';
import { keyFingerprint } from '@pleiades/youtube-simulator/fingerprint';
import { google } from 'googleapis';
import { afterAll, describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS, ManualClock, nextPacificMidnight } from '../src/clock.ts';
import { isVideoId } from '../src/video-id.ts';
import { createYouTubeClient } from '../src/youtube/client.ts';
import {
  apiErrorBodySchema,
  batchGetStatsResponseSchema,
  channelListResponseSchema,
  playlistItemListResponseSchema,
  searchListResponseSchema,
  videoCategoryListResponseSchema,
  videoListResponseSchema,
} from '../src/youtube/schemas.ts';

/**
 * The simulator over real HTTP: YouTube's shapes (parsed with the client's own zod schemas), its error
 * bodies (as googleapis itself parses them), quota buckets per key and Pacific day, rate limits,
 * faults, lifecycle states, and the admin endpoints.
 */

// Tuesday 2026-03-10, noon in Los Angeles (PDT, UTC-7)
const T0 = Date.parse('2026-03-10T19:00:00Z');
const sims: Simulator[] = [];
afterAll(() => Promise.all(sims.map((s) => s.close())));

const key = (name: string) => `AIzaSyTest-${name}-abcdefghijklmnopqrstu`;

async function sim(
  opts: SimulatorOptions = {},
  keys = ['a', 'b', 'c'],
): Promise<Simulator & { clockM: ManualClock }> {
  const clock = new ManualClock(T0);
  const s = await startSimulator({ clock, keys: keys.map(key), ...opts });
  sims.push(s);
  return Object.assign(s, { clockM: clock });
}

async function get(s: Simulator, path: string, params: Record<string, string | number>) {
  const qs = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]));
  const r = await fetch(`${s.url}/youtube/v3/${path}?${qs}`);
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

const rawYouTube = (s: Simulator) => google.youtube({ version: 'v3', rootUrl: `${s.url}/`, retry: false });

/** A failed googleapis call as googleapis itself reports it (GaxiosError: status, code, parsed errors). */
async function gaxiosFailure(p: Promise<unknown>) {
  try {
    await p;
  } catch (err) {
    const e = err as {
      status?: number;
      code?: unknown;
      cause?: { errors?: { reason?: string; domain?: string; location?: string }[] };
      response?: { data?: unknown };
    };
    return { status: e.status, code: e.code, errors: e.cause?.errors ?? [], body: e.response?.data };
  }
  throw new Error('expected the call to fail');
}

describe('shapes', async () => {
  // exact matches, every word required, indexed at once: these assertions need the perfect index
  const s = await sim({ search: 'perfect' });
  const yt = createYouTubeClient({ rootUrl: s.url });
  const K = key('a');

  it('search.list: YouTube search results, newest first, only already published videos', async () => {
    const r = await get(s, 'search', {
      part: 'snippet',
      q: 'music',
      type: 'video',
      order: 'date',
      maxResults: 50,
      key: K,
    });
    expect(r.status).toBe(200);
    const page = searchListResponseSchema.parse(r.body);
    expect(Object.keys(r.body)).toEqual(['kind', 'etag', 'nextPageToken', 'regionCode', 'pageInfo', 'items']);
    expect(page.items).toHaveLength(50);
    expect(page.pageInfo.resultsPerPage).toBe(50);
    expect(page.pageInfo.totalResults).toBeGreaterThan(500);
    const times = page.items.map((i) => Date.parse(i.snippet!.publishedAt));
    expect(times.every((t) => t <= T0)).toBe(true);
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    for (const item of page.items) {
      expect(item.id.kind).toBe('youtube#video');
      expect(isVideoId(item.id.videoId)).toBe(true);
      expect(item.snippet!.channelId).toMatch(/^UC[A-Za-z0-9_-]{21}[AQgw]$/);
      expect(Object.keys(item.snippet!.thumbnails)).toEqual(['default', 'medium', 'high']);
    }
  });

  it('search.list pages through about 500 results at most, without repeats', async () => {
    const seen = new Set<string>();
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await yt.searchList(K, {
        q: 'gaming',
        order: 'date',
        maxResults: 50,
        ...(token ? { pageToken: token } : {}),
      });
      for (const i of page.items) seen.add(i.id.videoId!);
      token = page.nextPageToken;
      pages++;
    } while (token && pages < 20);
    expect(pages).toBe(10);
    expect(seen.size).toBe(500);
  });

  it('search.list honours publishedAfter, viewCount order, and words that lead to new queries', async () => {
    const after = new Date(T0 - 6 * HOUR_MS).toISOString();
    const recent = await yt.searchList(K, { q: 'cooking', publishedAfter: after, order: 'date' });
    expect(recent.items.length).toBeGreaterThan(0);
    for (const i of recent.items)
      expect(Date.parse(i.snippet!.publishedAt)).toBeGreaterThanOrEqual(Date.parse(after));

    const popular = await yt.searchList(K, { q: 'cooking', order: 'viewCount', maxResults: 10 });
    const stats = await yt.videosList(
      K,
      popular.items.map((i) => i.id.videoId!),
      ['statistics'],
    );
    const views = popular.items.map((i) =>
      Number(stats.items.find((v) => v.id === i.id.videoId)!.statistics!.viewCount),
    );
    expect([...views].sort((a, b) => b - a)).toEqual(views);

    // snowballing: a word of a result's title is itself a query whose results carry that word
    const word = recent.items[0]!.snippet!.title.split(' ').find(
      (w) => /^[A-Za-z]+$/.test(w) && w.toLowerCase() !== 'cooking',
    )!;
    const next = await yt.searchList(K, { q: word.toLowerCase(), order: 'date', maxResults: 20 });
    expect(next.items.length).toBeGreaterThan(0);
    const details = await yt.videosList(
      K,
      next.items.map((i) => i.id.videoId!),
      ['snippet'],
    );
    for (const v of details.items) {
      const words = [...v.snippet!.title.toLowerCase().split(/[^a-z0-9]+/), ...(v.snippet!.tags ?? [])];
      expect(words).toContain(word.toLowerCase());
    }
    // a word nobody uses finds nothing
    expect((await yt.searchList(K, { q: 'qwzxv' })).items).toEqual([]);
  });

  it('videos.list: the documented parts, counts as strings', async () => {
    const ids = s.world.videoIdsPublishedBetween(T0 - 3 * DAY_MS, T0, 50);
    const r = await get(s, 'videos', {
      part: 'snippet,statistics,contentDetails,status',
      id: ids.join(','),
      key: K,
    });
    expect(r.status).toBe(200);
    const list = videoListResponseSchema.parse(r.body);
    expect(Object.keys(r.body)).toEqual(['kind', 'etag', 'items', 'pageInfo']);
    expect(list.items.length).toBeGreaterThan(40);
    expect(list.pageInfo).toEqual({ totalResults: list.items.length, resultsPerPage: list.items.length });
    const raw = (r.body.items as Record<string, unknown>[])[0]!;
    expect(Object.keys(raw)).toEqual([
      'kind',
      'etag',
      'id',
      'snippet',
      'contentDetails',
      'status',
      'statistics',
    ]);
    for (const v of list.items) {
      expect(ids).toContain(v.id);
      expect(v.statistics!.viewCount).toMatch(/^\d+$/);
      expect(v.statistics!.favoriteCount).toBe('0');
      expect(v.contentDetails!.duration).toMatch(/^PT(\d+H)?(\d+M)?(\d+S)?$/);
      expect(v.status!.privacyStatus).toBe('public');
    }
    // only the parts asked for
    const statsOnly = await get(s, 'videos', { part: 'statistics', id: ids.slice(0, 5).join(','), key: K });
    for (const v of statsOnly.body.items as Record<string, unknown>[])
      expect(Object.keys(v)).toEqual(['kind', 'etag', 'id', 'statistics']);
  });

  it('likeCount and commentCount are absent for some videos, as on YouTube', async () => {
    const ids = s.world.videoIdsPublishedBetween(T0 - 30 * DAY_MS, T0, 1000);
    let noLikes = 0;
    let noComments = 0;
    for (let i = 0; i < ids.length; i += 50) {
      const r = await yt.videosList(K, ids.slice(i, i + 50), ['statistics']);
      noLikes += r.items.filter((v) => v.statistics!.likeCount === undefined).length;
      noComments += r.items.filter((v) => v.statistics!.commentCount === undefined).length;
    }
    expect(noLikes).toBeGreaterThan(5);
    expect(noLikes).toBeLessThan(100);
    expect(noComments).toBeGreaterThan(5);
    expect(noComments).toBeLessThan(100);
  });

  it('videos:batchGetStats: the videoStats shape, 1 unit', async () => {
    const ids = s.world.videoIdsPublishedBetween(T0 - 3 * DAY_MS, T0, 20);
    const before = s.stats().keys[keyFingerprint(K)]![s.stats().day]!.units;
    const r = await get(s, 'videos:batchGetStats', {
      part: 'snippet,statistics,contentDetails',
      id: ids.join(','),
      key: K,
    });
    expect(r.status).toBe(200);
    const b = batchGetStatsResponseSchema.parse(r.body);
    expect(b.kind).toBe('youtube#batchGetStatsResponse');
    expect(b.items.length).toBeGreaterThan(15);
    for (const v of b.items) {
      expect(v.kind).toBe('youtube#videoStats');
      expect(v.statistics!.viewCount).toMatch(/^\d+$/);
      expect(Date.parse(v.snippet!.publishTime!)).toBeLessThanOrEqual(T0);
    }
    expect(s.stats().keys[keyFingerprint(K)]![s.stats().day]!.units).toBe(before + 1);
  });

  it('channels, uploads playlist and categories', async () => {
    // the newest video of all is the newest upload of its channel (fresh videos are never yet deleted)
    const newest = s.world.videoIdsPublishedBetween(T0 - HOUR_MS, T0 + 1, 1000).at(-1)!;
    const video = (await yt.videosList(K, [newest], ['snippet'])).items[0]!;
    const channelId = video.snippet!.channelId;
    const r = await get(s, 'channels', { part: 'snippet,statistics,contentDetails', id: channelId, key: K });
    const ch = channelListResponseSchema.parse(r.body).items[0]!;
    expect(ch.id).toBe(channelId);
    expect(ch.contentDetails!.relatedPlaylists.uploads).toBe(`UU${channelId.slice(2)}`);
    expect(Number(ch.statistics!.videoCount)).toBeGreaterThan(0);
    expect(ch.snippet!.customUrl).toMatch(/^@/);
    // an unknown channel: no items at all, as YouTube answers
    const none = await get(s, 'channels', { part: 'snippet', id: 'UCxxxxxxxxxxxxxxxxxxxxxA', key: K });
    expect(none.body.items).toBeUndefined();
    expect(channelListResponseSchema.parse(none.body).items).toEqual([]);

    const uploads = ch.contentDetails!.relatedPlaylists.uploads!;
    const p1 = await get(s, 'playlistItems', {
      part: 'snippet,contentDetails',
      playlistId: uploads,
      maxResults: 50,
      key: K,
    });
    const page1 = playlistItemListResponseSchema.parse(p1.body);
    expect(page1.items).toHaveLength(50);
    expect(page1.items.map((i) => i.snippet!.position)).toEqual([...Array(50).keys()]);
    expect(page1.items.every((i) => i.snippet!.channelId === channelId)).toBe(true);
    expect(page1.items[0]!.contentDetails!.videoId).toBe(video.id);
    const times = page1.items.map((i) => Date.parse(i.contentDetails!.videoPublishedAt!));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const page2 = await yt.playlistItemsList(K, uploads, page1.nextPageToken);
    expect(page2.items[0]!.snippet!.position).toBe(50);
    expect(Date.parse(page2.items[0]!.contentDetails!.videoPublishedAt!)).toBeLessThanOrEqual(times[49]!);
    const missing = await gaxiosFailure(
      rawYouTube(s).playlistItems.list({ key: K, part: ['snippet'], playlistId: 'UUnope' }),
    );
    expect(missing.status).toBe(404);
    expect(missing.errors[0]!.reason).toBe('playlistNotFound');

    const cats = videoCategoryListResponseSchema.parse(
      (await get(s, 'videoCategories', { part: 'snippet', regionCode: 'US', key: K })).body,
    );
    expect(cats.items.find((c) => c.id === '10')!.snippet!.title).toBe('Music');
  });
});

describe('errors as YouTube sends them', async () => {
  const s = await sim();
  const raw = rawYouTube(s);
  const K = key('a');

  it('maxResults over 50 → 400 invalidParameter, and it costs a search call', async () => {
    const f = await gaxiosFailure(raw.search.list({ key: K, part: ['snippet'], q: 'music', maxResults: 51 }));
    expect(f.status).toBe(400);
    expect(f.code).toBe(400);
    expect(f.errors[0]).toMatchObject({
      reason: 'invalidParameter',
      domain: 'global',
      location: 'maxResults',
    });
    expect(apiErrorBodySchema.parse(f.body).error.message).toBe(
      "Invalid value '51'. Values must be within the range: [0, 50]",
    );
    expect(s.stats().keys[keyFingerprint(K)]![s.stats().day]).toMatchObject({
      searchCalls: 1,
      errors: { invalidParameter: 1 },
    });
  });

  it('more than 50 ids → 400; a missing part → 400 required; both cost a unit', async () => {
    const ids = s.world.videoIdsPublishedBetween(T0 - DAY_MS, T0, 51);
    const f = await gaxiosFailure(raw.videos.list({ key: K, part: ['statistics'], id: ids }));
    expect(f.status).toBe(400);
    expect(f.errors[0]!.reason).toBe('invalidParameter');
    const batch = await gaxiosFailure(raw.videos.batchGetStats({ key: K, part: ['statistics'], id: ids }));
    expect(batch.status).toBe(400);
    const noPart = await get(s, 'videos', { id: ids[0]!, key: K });
    expect(noPart.status).toBe(400);
    expect(apiErrorBodySchema.parse(noPart.body).error.errors![0]).toMatchObject({
      reason: 'required',
      location: 'part',
    });
    expect(s.stats().keys[keyFingerprint(K)]![s.stats().day]!.units).toBe(3);
  });

  it('an unknown key → 400 "API key not valid" with ErrorInfo API_KEY_INVALID, counted under its fingerprint', async () => {
    const bad = 'AIzaSyNotAKeyOfThisSimulator-0000000000';
    const f = await gaxiosFailure(raw.videos.list({ key: bad, part: ['statistics'], id: ['dQw4w9WgXcQ'] }));
    expect(f.status).toBe(400);
    const body = apiErrorBodySchema.parse(f.body);
    expect(body.error.message).toBe('API key not valid. Please pass a valid API key.');
    expect(body.error.status).toBe('INVALID_ARGUMENT');
    expect(body.error.errors![0]).toMatchObject({ reason: 'badRequest', domain: 'global' });
    expect(body.error.details![0]).toMatchObject({
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason: 'API_KEY_INVALID',
      domain: 'googleapis.com',
    });
    const st = s.stats();
    expect(st.keys[keyFingerprint(bad)]![st.day]).toMatchObject({
      calls: { 'videos.list': 1 },
      errors: { keyInvalid: 1 },
    });
    expect(JSON.stringify(st)).not.toContain(bad);
    // and through our client the reason is normalised
    const yt = createYouTubeClient({ rootUrl: s.url });
    await expect(yt.videosList(bad, ['dQw4w9WgXcQ'])).rejects.toMatchObject({
      status: 400,
      reason: 'keyInvalid',
    });
  });

  it('no key at all → 403 forbidden', async () => {
    const r = await get(s, 'videos', { part: 'statistics', id: 'dQw4w9WgXcQ' });
    expect(r.status).toBe(403);
    expect(apiErrorBodySchema.parse(r.body).error.errors![0]!.reason).toBe('forbidden');
  });

  it('deleted and private videos are missing from items; likes and comments can be hidden', async () => {
    const yt = createYouTubeClient({ rootUrl: s.url });
    const ids = s.world.videoIdsPublishedBetween(T0 - 2 * HOUR_MS, T0, 5);
    const base = await yt.videosList(K, ids, ['statistics']);
    expect(base.items.map((v) => v.id)).toEqual(ids);
    s.setVideoState(ids[0]!, 'deleted');
    s.setVideoState(ids[1]!, 'private');
    s.setVideoState(ids[2]!, 'likesHidden');
    const admin = await fetch(`${s.url}/admin/videos/${ids[3]}/state`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ state: 'commentsDisabled' }),
    });
    expect(admin.status).toBe(200);
    const after = await yt.videosList(K, ids, ['statistics']);
    expect(after.items.map((v) => v.id)).toEqual(ids.slice(2));
    expect(after.items[0]!.statistics).not.toHaveProperty('likeCount');
    expect(after.items[0]!.statistics).toHaveProperty('commentCount');
    expect(after.items[1]!.statistics).not.toHaveProperty('commentCount');
    expect(after.items[1]!.statistics).toHaveProperty('likeCount');
    s.setVideoState(ids[0]!, 'public');
    expect((await yt.videosList(K, ids, ['statistics'])).items.map((v) => v.id)).toContain(ids[0]);
    const unknown = await fetch(`${s.url}/admin/videos/AAAAAAAAAAA/state`, {
      method: 'POST',
      body: JSON.stringify({ state: 'deleted' }),
    });
    expect(unknown.status).toBe(404);
  });
});

describe('quota per key and Pacific day', () => {
  it('the 101st search.list of a key → 403 quotaExceeded, while videos.list works; reset at Pacific midnight', async () => {
    const s = await sim();
    const yt = createYouTubeClient({ rootUrl: s.url });
    const K = key('a');
    for (let i = 0; i < 100; i++) await yt.searchList(K, { q: 'qwzxv', maxResults: 0 });
    const f = await gaxiosFailure(rawYouTube(s).search.list({ key: K, part: ['snippet'], q: 'music' }));
    expect(f.status).toBe(403);
    expect(f.errors[0]).toMatchObject({ reason: 'quotaExceeded', domain: 'youtube.quota' });
    await expect(yt.searchList(K, { q: 'music' })).rejects.toMatchObject({
      status: 403,
      reason: 'quotaExceeded',
    });
    // the shared bucket is untouched; another key's search bucket too
    const ids = s.world.videoIdsPublishedBetween(T0 - DAY_MS, T0, 50);
    expect((await yt.videosList(K, ids, ['statistics'])).items.length).toBeGreaterThan(0);
    expect((await yt.searchList(key('b'), { q: 'music' })).items.length).toBeGreaterThan(0);
    let st = s.stats();
    expect(st.keys[keyFingerprint(K)]![st.day]).toMatchObject({
      searchCalls: 100,
      units: 1,
      calls: { 'search.list': 102, 'videos.list': 1 },
      errors: { quotaExceeded: 2 },
    });
    // one minute before Pacific midnight: still spent; after it: a new day, a fresh bucket
    const midnight = nextPacificMidnight(T0);
    expect(new Date(midnight).toISOString()).toBe('2026-03-11T07:00:00.000Z');
    s.clockM.set(midnight - 60_000);
    await expect(yt.searchList(K, { q: 'music' })).rejects.toMatchObject({ reason: 'quotaExceeded' });
    s.clockM.set(midnight);
    expect((await yt.searchList(K, { q: 'music' })).items.length).toBeGreaterThan(0);
    st = s.stats();
    expect(st.day).toBe('2026-03-11');
    expect(st.keys[keyFingerprint(K)]!['2026-03-11']).toMatchObject({ searchCalls: 1 });
  });

  it('the shared bucket: a spent key answers quotaExceeded for videos.list while search.list still works', async () => {
    const s = await sim({ unitsQuota: 5 });
    const yt = createYouTubeClient({ rootUrl: s.url });
    const K = key('a');
    const ids = s.world.videoIdsPublishedBetween(T0 - DAY_MS, T0, 50);
    for (let i = 0; i < 5; i++) await yt.videosList(K, ids, ['statistics']);
    await expect(yt.videosList(K, ids, ['statistics'])).rejects.toMatchObject({
      status: 403,
      reason: 'quotaExceeded',
    });
    await expect(yt.batchGetStats(K, ids)).rejects.toMatchObject({ reason: 'quotaExceeded' });
    await expect(yt.channelsList(K, [s.world.channelIds()[0]!])).rejects.toMatchObject({
      reason: 'quotaExceeded',
    });
    expect((await yt.searchList(K, { q: 'music' })).items.length).toBeGreaterThan(0);
    expect((await yt.videosList(key('b'), ids, ['statistics'])).items.length).toBeGreaterThan(0);
  });

  it('legacy model: search.list spends 100 units of the shared bucket', async () => {
    const s = await sim({ legacyQuota: true, unitsQuota: 250 });
    const yt = createYouTubeClient({ rootUrl: s.url });
    const K = key('a');
    await yt.searchList(K, { q: 'music' });
    await yt.searchList(K, { q: 'music' });
    await expect(yt.searchList(K, { q: 'music' })).rejects.toMatchObject({ reason: 'quotaExceeded' });
    const ids = s.world.videoIdsPublishedBetween(T0 - DAY_MS, T0, 10);
    expect((await yt.videosList(K, ids)).items.length).toBeGreaterThan(0);
    const st = s.stats();
    expect(st.keys[keyFingerprint(K)]![st.day]).toMatchObject({ units: 201, searchCalls: 0 });
  });

  it('over keyRps in one second → 403 rateLimitExceeded', async () => {
    const s = await sim({ keyRps: 5 });
    const K = key('a');
    const ids = s.world.videoIdsPublishedBetween(T0 - DAY_MS, T0, 5).join(',');
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => get(s, 'videos', { part: 'statistics', id: ids, key: K })),
    );
    const limited = answers.filter((a) => a.status === 403);
    const served = answers.filter((a) => a.status === 200);
    // 5 in the burst's second (more only if the burst straddled two seconds)
    expect(served.length).toBeGreaterThanOrEqual(5);
    expect(served.length).toBeLessThanOrEqual(10);
    expect(served.length + limited.length).toBe(12);
    expect(apiErrorBodySchema.parse(limited[0]!.body).error.errors![0]!.reason).toBe('rateLimitExceeded');
    const st = s.stats();
    // refused requests cost nothing
    expect(st.keys[keyFingerprint(K)]![st.day]).toMatchObject({
      units: served.length,
      errors: { rateLimitExceeded: limited.length },
    });
  });
});

describe('faults, admin and stats', () => {
  it('injected 500/503 backendError, latency and hung requests; from options and from the admin endpoint', async () => {
    const s = await sim({ faults: { errorRate: 1 } });
    const K = key('a');
    const ids = s.world.videoIdsPublishedBetween(T0 - DAY_MS, T0, 5).join(',');
    const statuses = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const r = await get(s, 'videos', { part: 'statistics', id: ids, key: K });
      statuses.add(r.status);
      expect(apiErrorBodySchema.parse(r.body).error.errors![0]!.reason).toBe('backendError');
    }
    expect([...statuses].sort()).toEqual([500, 503]);
    const set = await fetch(`${s.url}/admin/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ latencyMs: 20 }),
    });
    expect(await set.json()).toEqual({ latencyMs: 20 });
    expect((await get(s, 'videos', { part: 'statistics', id: ids, key: K })).status).toBe(200);
    const badFaults = await fetch(`${s.url}/admin/faults`, {
      method: 'POST',
      body: JSON.stringify({ errorRate: 2 }),
    });
    expect(badFaults.status).toBe(400);

    s.setFaults({ timeoutRate: 1 });
    const ctl = AbortSignal.timeout(300);
    await expect(
      fetch(`${s.url}/youtube/v3/videos?part=statistics&id=${ids}&key=${K}`, { signal: ctl }),
    ).rejects.toThrow();
    const st = s.stats();
    // 500s and 503s cost nothing; the hung request was served (and charged) but never answered
    expect(st.keys[keyFingerprint(K)]![st.day]).toMatchObject({ units: 2, errors: { timeout: 1 } });
    expect(st.errors.backendError! + st.errors.serviceUnavailable!).toBe(20);
  });

  it('POST /admin/clock moves a manual clock; GET /admin/stats names keys by fingerprint only', async () => {
    const s = await sim({}, ['x', 'y']);
    const post = (body: unknown) =>
      fetch(`${s.url}/admin/clock`, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.json());
    expect(await post({ advanceMs: DAY_MS })).toMatchObject({
      now: new Date(T0 + DAY_MS).toISOString(),
      day: '2026-03-11',
    });
    expect(s.clock.now()).toBe(T0 + DAY_MS);
    expect(await post({ set: '2026-07-01T12:00:00Z' })).toMatchObject({ day: '2026-07-01' });
    s.clockM.set(T0);
    await get(s, 'videos', { part: 'statistics', id: 'dQw4w9WgXcQ', key: key('x') });
    await get(s, 'videos', {
      part: 'statistics',
      id: 'dQw4w9WgXcQ',
      key: 'AIzaSyUnknown-zzzzzzzzzzzzzzzzzzzzzzzzzz',
    });
    const r = await fetch(`${s.url}/admin/stats`);
    const text = await r.text();
    for (const k of [key('x'), key('y'), 'AIzaSyUnknown-zzzzzzzzzzzzzzzzzzzzzzzzzz'])
      expect(text).not.toContain(k);
    const stats = JSON.parse(text);
    expect(Object.keys(stats.keys).every((fp: string) => /^k_[0-9a-f]{12}$/.test(fp))).toBe(true);
    expect(stats.keys[keyFingerprint(key('x'))]['2026-03-10'].calls['videos.list']).toBe(1);
    s.resetStats();
    expect(s.stats().keys).toEqual({});
  });

  it('statistics grow with the clock; the world is the same for the same seed', async () => {
    const a = await sim({ seed: 7 });
    const b = await sim({ seed: 7 });
    const c = await sim({ seed: 8 });
    const K = key('a');
    const q = { part: 'snippet', q: 'travel', order: 'date', maxResults: 50, key: K };
    const ra = await get(a, 'search', q);
    expect(await get(b, 'search', q)).toEqual(ra);
    expect((await get(c, 'search', q)).body).not.toEqual(ra.body);
    const ids = (ra.body.items as { id: { videoId: string } }[]).map((i) => i.id.videoId).join(',');
    const va = await get(a, 'videos', { part: 'snippet,statistics,contentDetails', id: ids, key: K });
    expect(await get(b, 'videos', { part: 'snippet,statistics,contentDetails', id: ids, key: K })).toEqual(
      va,
    );

    const views = (r: { body: Record<string, unknown> }) =>
      new Map(
        (r.body.items as { id: string; statistics: { viewCount: string } }[]).map((v) => [
          v.id,
          Number(v.statistics.viewCount),
        ]),
      );
    const before = views(va);
    a.clockM.advance(12 * HOUR_MS);
    const after = views(await get(a, 'videos', { part: 'statistics', id: ids, key: K }));
    let grew = 0;
    for (const [id, v] of after) {
      expect(v).toBeGreaterThanOrEqual(before.get(id)!);
      if (v > before.get(id)!) grew++;
    }
    expect(grew).toBeGreaterThan(after.size / 2);
  });
});
