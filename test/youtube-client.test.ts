import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { gzipSync } from 'node:zlib';
import { type Simulator, type SimulatorOptions, startSimulator } from '@pleiades/youtube-simulator';
import { keyFingerprint } from '@pleiades/youtube-simulator/fingerprint';
import { google } from 'googleapis';
import { afterAll, describe, expect, it } from 'vitest';
import { DAY_MS, ManualClock } from '../src/clock.ts';
import { MalformedResponseError, ValidationError, YouTubeApiError } from '../src/errors/index.ts';
import {
  createYouTubeClient,
  MAX_ANSWER_BYTES,
  parseDurationSeconds,
  toCount,
} from '../src/youtube/client.ts';
import { plainVideoList } from '../src/youtube/plain-video-list.ts';
import { videoListResponseSchema } from '../src/youtube/schemas.ts';

/**
 * The client against the simulator over HTTP: the same requests as Google's own client (`googleapis`)
 * sends, validated answers, YouTube's errors as YouTubeApiError (reason first), no hidden retries,
 * timeouts and network failures, malformed, oversized and compressed bodies — and never the API key
 * in what an error carries.
 */

const T0 = Date.parse('2026-03-10T19:00:00Z');
const KEY = 'AIzaSyClientTestKey-9f8e7d6c5b4a3210xyz';
const closers: (() => Promise<unknown>)[] = [];
afterAll(() => Promise.all(closers.map((c) => c())));

async function sim(opts: SimulatorOptions = {}): Promise<Simulator> {
  const s = await startSimulator({ clock: new ManualClock(T0), keys: [KEY], ...opts });
  closers.push(() => s.close());
  return s;
}

/** Calls `fn` expecting it to fail, and checks the error holds no trace of the key anywhere. */
async function failure(fn: () => Promise<unknown>, key = KEY): Promise<Error> {
  let err: unknown;
  try {
    await fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(Error);
  const e = err as Error;
  const everything = [
    e.message,
    String(e.stack),
    inspect(e, { depth: 20, showHidden: true }),
    JSON.stringify(e.cause ?? null),
    JSON.stringify(e),
  ].join('\n');
  expect(everything).not.toContain(key);
  expect(everything).not.toContain(key.slice(0, 20));
  return e;
}

const callsOf = (s: Simulator, method: string, key = KEY) => {
  const st = s.stats();
  return st.keys[keyFingerprint(key)]?.[st.day]?.calls[method] ?? 0;
};

async function rawServer(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server: Server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise((r) => server.close(r)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('answers', async () => {
  const s = await sim();
  const yt = createYouTubeClient({ rootUrl: s.url });
  const ids = s.world.videoIdsPublishedBetween(T0 - 2 * DAY_MS, T0, 50);

  it('every method returns the validated documented shape', async () => {
    const search = await yt.searchList(KEY, { q: 'music', order: 'date' });
    expect(search.items).toHaveLength(50);
    expect(search.nextPageToken).toBeTypeOf('string');

    const full = await yt.videosList(KEY, ids);
    expect(full.items.length).toBeGreaterThan(40);
    expect(full.items[0]).toHaveProperty('snippet.title');
    expect(full.items[0]).toHaveProperty('contentDetails.duration');
    expect(full.items[0]).toHaveProperty('statistics.viewCount');
    const statsOnly = await yt.videosList(KEY, ids, ['statistics']);
    expect(statsOnly.items[0]).not.toHaveProperty('snippet');

    const batch = await yt.batchGetStats(KEY, ids);
    expect(batch.items.map((v) => v.id)).toEqual(statsOnly.items.map((v) => v.id));
    expect(batch.items.map((v) => v.statistics?.viewCount)).toEqual(
      statsOnly.items.map((v) => v.statistics?.viewCount),
    );
    const seconds = batch.items.map((v) => parseDurationSeconds(v.contentDetails!.duration));
    expect(seconds).toEqual(full.items.map((v) => parseDurationSeconds(v.contentDetails!.duration)));

    const channelId = full.items[0]!.snippet!.channelId;
    const ch = await yt.channelsList(KEY, [channelId]);
    expect(ch.items[0]!.id).toBe(channelId);
    expect((await yt.channelsList(KEY, ['UCxxxxxxxxxxxxxxxxxxxxxA'])).items).toEqual([]);
    const uploads = await yt.playlistItemsList(KEY, ch.items[0]!.contentDetails!.relatedPlaylists.uploads!);
    expect(uploads.items.length).toBeGreaterThan(0);
    expect((await yt.videoCategoriesList(KEY)).items.length).toBeGreaterThan(10);
    // one request per call, each charged once
    const st = s.stats().keys[keyFingerprint(KEY)]![s.stats().day]!;
    expect(st.searchCalls).toBe(1);
    expect(st.units).toBe(7);
  });

  it('refuses 0 or more than 50 ids before spending quota', async () => {
    const before = callsOf(s, 'videos.list');
    const tooMany = s.world.videoIdsPublishedBetween(T0 - 2 * DAY_MS, T0, 51);
    await expect(yt.videosList(KEY, tooMany)).rejects.toBeInstanceOf(ValidationError);
    await expect(yt.videosList(KEY, [])).rejects.toBeInstanceOf(ValidationError);
    await expect(yt.batchGetStats(KEY, tooMany)).rejects.toBeInstanceOf(ValidationError);
    expect(callsOf(s, 'videos.list')).toBe(before);
  });
});

describe('errors', () => {
  it('YouTube error bodies become YouTubeApiError(status, first reason), keyInvalid normalised', async () => {
    const s = await sim({ unitsQuota: 1, keyRps: 3 });
    const yt = createYouTubeClient({ rootUrl: s.url });
    const ids = s.world.videoIdsPublishedBetween(T0 - DAY_MS, T0, 10);
    const bad = 'AIzaSyUnknownKeyForTheClient-000000000000';
    const invalid = await failure(() => yt.videosList(bad, ids), bad);
    expect(invalid).toBeInstanceOf(YouTubeApiError);
    expect(invalid).toMatchObject({ status: 400, reason: 'keyInvalid' });
    expect(invalid.message).toContain('API key not valid');

    await yt.videosList(KEY, ids);
    const quota = await failure(() => yt.videosList(KEY, ids));
    expect(quota).toMatchObject({ status: 403, reason: 'quotaExceeded' });
    expect(quota.message).toBe(
      'videos.list: 403 quotaExceeded: The request cannot be completed because you have exceeded your <a href="/youtube/v3/getting-started#quota">quota</a>.',
    );
    // six requests of the key at once: over keyRps 3
    const burst = await Promise.allSettled(
      Array.from({ length: 6 }, () => yt.searchList(KEY, { q: 'qwzxv' })),
    );
    const limited = burst
      .filter((r) => r.status === 'rejected')
      .map((r) => (r as PromiseRejectedResult).reason);
    expect(limited.length).toBeGreaterThanOrEqual(3);
    const rate = await failure(() => Promise.reject(limited[0]));
    expect(rate).toMatchObject({ status: 403, reason: 'rateLimitExceeded' });
  });

  it('500 and 503 are backendError, and are not retried (one request, no quota spent twice)', async () => {
    const s = await sim({ faults: { errorRate: 1 } });
    const yt = createYouTubeClient({ rootUrl: s.url });
    const ids = s.world.videoIdsPublishedBetween(T0 - DAY_MS, T0, 10);
    const statuses = new Set<number>();
    for (let i = 0; i < 12; i++) {
      const e = await failure(() => yt.videosList(KEY, ids));
      expect(e).toMatchObject({ reason: 'backendError' });
      statuses.add((e as YouTubeApiError).status);
    }
    expect([...statuses].sort()).toEqual([500, 503]);
    expect(callsOf(s, 'videos.list')).toBe(12);
  });

  it('a hung request becomes status 0 "timeout" after timeoutMs, and is not retried', async () => {
    const s = await sim({ faults: { timeoutRate: 1 } });
    const yt = createYouTubeClient({ rootUrl: s.url, timeoutMs: 250 });
    const e = await failure(() => yt.videosList(KEY, s.world.videoIdsPublishedBetween(T0 - DAY_MS, T0, 3)));
    expect(e).toBeInstanceOf(YouTubeApiError);
    expect(e).toMatchObject({ status: 0, reason: 'timeout' });
    expect(callsOf(s, 'videos.list')).toBe(1);
  });

  it('a network failure becomes status 0 "networkError"', async () => {
    const s = await startSimulator({ keys: [KEY] });
    const url = s.url;
    await s.close();
    const yt = createYouTubeClient({ rootUrl: url, timeoutMs: 2000 });
    const e = await failure(() => yt.searchList(KEY, { q: 'music' }));
    expect(e).toMatchObject({ status: 0, reason: 'networkError' });
    expect(e.message).toContain('ECONNREFUSED');
  });

  it('a body without the documented shape is a MalformedResponseError, not a crash later', async () => {
    const url = await rawServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url?.includes('/videos?'))
        res.end(
          JSON.stringify({
            kind: 'youtube#videoListResponse',
            etag: 'x',
            items: [{ kind: 'youtube#video', etag: 'y', id: 'abc', statistics: { viewCount: 12 } }],
            pageInfo: { totalResults: 1, resultsPerPage: 1 },
          }),
        );
      else if (req.url?.includes('/search?')) res.end('<html>not json</html>');
      else res.end('{}');
    });
    const yt = createYouTubeClient({ rootUrl: url });
    const e = await failure(() => yt.videosList(KEY, ['dQw4w9WgXcQ']));
    expect(e).toBeInstanceOf(MalformedResponseError);
    expect(e.message).toContain('items.0.statistics.viewCount');
    expect(await failure(() => yt.searchList(KEY, { q: 'x' }))).toBeInstanceOf(MalformedResponseError);
    expect(await failure(() => yt.videoCategoriesList(KEY))).toBeInstanceOf(MalformedResponseError);
  });

  it('a body over MAX_ANSWER_BYTES is refused while it is read: a MalformedResponseError', async () => {
    const url = await rawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ kind: 'youtube#videoListResponse', etag: 'x'.repeat(MAX_ANSWER_BYTES), items: [] }),
      );
    });
    const e = await failure(() => createYouTubeClient({ rootUrl: url }).videosList(KEY, ['dQw4w9WgXcQ']));
    expect(e).toBeInstanceOf(MalformedResponseError);
    expect(e.message).toContain(`over ${MAX_ANSWER_BYTES} bytes`);
  });

  it('an error answer that is not YouTube JSON still becomes a YouTubeApiError by status', async () => {
    const url = await rawServer((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>Bad Gateway</html>');
    });
    const e = await failure(() => createYouTubeClient({ rootUrl: url }).videosList(KEY, ['dQw4w9WgXcQ']));
    expect(e).toMatchObject({ status: 502, reason: 'backendError' });
  });
});

describe("the requests are Google's", () => {
  /** A server that keeps each request's path and query, and answers 400 with YouTube's error body. */
  async function recorder(): Promise<{
    url: string;
    seen: { path: string; query: Record<string, string> }[];
  }> {
    const seen: { path: string; query: Record<string, string> }[] = [];
    const url = await rawServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      seen.push({ path: u.pathname, query: Object.fromEntries(u.searchParams) });
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ error: { code: 400, message: 'recorded', errors: [{ reason: 'badRequest' }] } }),
      );
    });
    return { url, seen };
  }

  it('every method sends the path and parameters that googleapis sends for the same call', async () => {
    const ours = await recorder();
    const theirs = await recorder();
    const yt = createYouTubeClient({ rootUrl: ours.url });
    const g = google.youtube({ version: 'v3', rootUrl: `${theirs.url}/`, retry: false });
    const ids = ['dQw4w9WgXcQ', '9bZkp7q19f0'];
    const calls: [() => Promise<unknown>, () => Promise<unknown>][] = [
      [
        () =>
          yt.searchList(KEY, {
            q: 'a b&c',
            order: 'date',
            pageToken: 'CDIQAA',
            publishedAfter: '2026-03-10T00:00:00Z',
          }),
        () =>
          g.search.list({
            key: KEY,
            part: ['snippet'],
            type: ['video'],
            q: 'a b&c',
            maxResults: 50,
            order: 'date',
            pageToken: 'CDIQAA',
            publishedAfter: '2026-03-10T00:00:00Z',
          }),
      ],
      [
        () => yt.searchList(KEY, { q: 'x' }),
        () => g.search.list({ key: KEY, part: ['snippet'], type: ['video'], q: 'x', maxResults: 50 }),
      ],
      [
        () => yt.videosList(KEY, ids, ['statistics', 'snippet']),
        () => g.videos.list({ key: KEY, part: ['statistics,snippet'], id: [ids.join(',')] }),
      ],
      [
        () => yt.batchGetStats(KEY, ids),
        () => g.videos.batchGetStats({ key: KEY, part: ['statistics,contentDetails'], id: [ids.join(',')] }),
      ],
      [
        () => yt.channelsList(KEY, ['UCxxxxxxxxxxxxxxxxxxxxxA']),
        () =>
          g.channels.list({
            key: KEY,
            part: ['snippet,statistics,contentDetails'],
            id: ['UCxxxxxxxxxxxxxxxxxxxxxA'],
          }),
      ],
      [
        () => yt.videoCategoriesList(KEY),
        () => g.videoCategories.list({ key: KEY, part: ['snippet'], regionCode: 'US' }),
      ],
      [
        () => yt.playlistItemsList(KEY, 'UUxxxxxxxxxxxxxxxxxxxxxA', 'EAAaBlBUOkNESQ'),
        () =>
          g.playlistItems.list({
            key: KEY,
            part: ['snippet,contentDetails'],
            playlistId: 'UUxxxxxxxxxxxxxxxxxxxxxA',
            maxResults: 50,
            pageToken: 'EAAaBlBUOkNESQ',
          }),
      ],
    ];
    for (const [mine, google] of calls) {
      expect(await failure(mine)).toMatchObject({ status: 400, reason: 'badRequest' });
      await google().catch(() => undefined);
    }
    expect(ours.seen).toHaveLength(calls.length);
    expect(ours.seen).toEqual(theirs.seen);
  });
});

describe('transport', () => {
  it('a compressed answer is read (a proxy may compress what we did not ask to be)', async () => {
    const s = await sim();
    const ids = s.world.videoIdsPublishedBetween(T0 - DAY_MS, T0, 5);
    const plain = await createYouTubeClient({ rootUrl: s.url }).videosList(KEY, ids, ['statistics']);
    const url = await rawServer(async (req, res) => {
      const r = await fetch(`${s.url}${req.url}`);
      const body = gzipSync(Buffer.from(await r.text()));
      res.writeHead(r.status, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(body);
    });
    const zipped = await createYouTubeClient({ rootUrl: url }).videosList(KEY, ids, ['statistics']);
    expect(zipped.items.map((i) => i.statistics?.viewCount)).toEqual(
      plain.items.map((i) => i.statistics?.viewCount),
    );
    expect(zipped.items).toHaveLength(5);
  });

  it('a body that stops half-way becomes a "timeout" at the deadline; one cut off becomes a networkError', async () => {
    const half = await rawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"kind":"youtube#videoListResponse",');
    });
    const slow = await failure(() =>
      createYouTubeClient({ rootUrl: half, timeoutMs: 300 }).videosList(KEY, ['dQw4w9WgXcQ']),
    );
    expect(slow).toMatchObject({ status: 0, reason: 'timeout' });
    const cut = await rawServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"kind":"youtube#videoListResponse",', () => req.socket.destroy());
    });
    const e = await failure(() => createYouTubeClient({ rootUrl: cut }).videosList(KEY, ['dQw4w9WgXcQ']));
    expect(e).toMatchObject({ status: 0, reason: 'networkError' });
  });

  it("HTTP_PROXY is honoured, as Google's client did", async () => {
    const s = await sim();
    const ids = s.world.videoIdsPublishedBetween(T0 - DAY_MS, T0, 3);
    const proxied: string[] = [];
    // A forward proxy: the request line carries the whole target url.
    const proxy = await rawServer(async (req, res) => {
      proxied.push(req.url ?? '');
      const r = await fetch(req.url!);
      res.writeHead(r.status, { 'content-type': 'application/json' });
      res.end(await r.text());
    });
    const before = { ...process.env };
    // The simulator is on 127.0.0.1, which a NO_PROXY of loopback would skip: this test names it by IP.
    Object.assign(process.env, { HTTP_PROXY: proxy, NO_PROXY: '' });
    try {
      const r = await createYouTubeClient({ rootUrl: s.url }).videosList(KEY, ids, ['statistics']);
      expect(r.items).toHaveLength(3);
    } finally {
      for (const k of ['HTTP_PROXY', 'NO_PROXY'])
        if (before[k] === undefined) delete process.env[k];
        else process.env[k] = before[k];
    }
    expect(proxied).toHaveLength(1);
    expect(proxied[0]).toContain(`${s.url}/youtube/v3/videos?`);
  });
});

describe("the quick check of the tracker's answers", () => {
  const base = () => ({
    kind: 'youtube#videoListResponse',
    etag: 'e',
    items: [
      {
        kind: 'youtube#video',
        etag: 'a',
        id: 'dQw4w9WgXcQ',
        statistics: { viewCount: '12', likeCount: '3' },
      },
      { kind: 'youtube#video', etag: 'b', id: 'dQw4w9WgXcA' },
    ],
    pageInfo: { totalResults: 2, resultsPerPage: 2 },
  });

  it('accepts only what the schema accepts, and returns what the schema would', () => {
    const ok = base();
    expect(plainVideoList(ok)).toBe(ok);
    expect(videoListResponseSchema.parse(ok)).toEqual(ok);
    const variants: [string, (x: ReturnType<typeof base>) => unknown][] = [
      ['a count of digits as a number', (x) => ((x.items[0]!.statistics!.viewCount as unknown) = 12)],
      ['an empty count', (x) => (x.items[0]!.statistics!.viewCount = '')],
      ['a count over 2^63', (x) => (x.items[0]!.statistics!.viewCount = '9223372036854775808')],
      ['a 19-digit count below 2^63', (x) => (x.items[0]!.statistics!.viewCount = '1000000000000000000')],
      ['an unknown field', (x) => Object.assign(x.items[1]!, { extra: 1 })],
      ['another part', (x) => Object.assign(x.items[1]!, { snippet: { title: 't' } })],
      ['a wrong kind', (x) => (x.items[1]!.kind = 'youtube#channel')],
      ['null statistics', (x) => Object.assign(x.items[1]!, { statistics: null })],
      ['no pageInfo', (x) => delete (x as { pageInfo?: unknown }).pageInfo],
      ['a negative page count', (x) => (x.pageInfo.totalResults = -1)],
      ['items not a list', (x) => ((x as { items: unknown }).items = {})],
    ];
    for (const [what, change] of variants) {
      const x = base();
      change(x);
      // The quick check passes nothing the schema would refuse or change; anything else goes to zod.
      expect(plainVideoList(x), what).toBeUndefined();
    }
  });
});

describe('helpers', () => {
  it('parseDurationSeconds reads ISO 8601 and protobuf durations', () => {
    expect(parseDurationSeconds('PT4M13S')).toBe(253);
    expect(parseDurationSeconds('PT1H')).toBe(3600);
    expect(parseDurationSeconds('PT1H2M3S')).toBe(3723);
    expect(parseDurationSeconds('P1DT2H')).toBe(93_600);
    expect(parseDurationSeconds('P0D')).toBe(0);
    expect(parseDurationSeconds('PT45S')).toBe(45);
    expect(parseDurationSeconds('253s')).toBe(253);
    for (const bad of ['', 'P', 'PT', '4:13', 'PTXM']) expect(parseDurationSeconds(bad)).toBeNull();
  });

  it('toCount keeps big counts exact and absent ones null', () => {
    expect(toCount('12345678901234567890')).toBe(12345678901234567890n);
    expect(toCount('0')).toBe(0n);
    expect(toCount(undefined)).toBeNull();
    expect(toCount(null)).toBeNull();
    expect(toCount('-1')).toBeNull();
  });
});
