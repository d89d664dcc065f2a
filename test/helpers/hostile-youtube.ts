import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { videoIdFromBits } from '../../src/video-id.ts';

/**
 * A tiny HTTP server standing in for YouTube that answers as a broken or hostile one would: missing
 * fields, wrong types, huge strings, items nobody asked for, invalid JSON. What it answers is chosen
 * per video (tracker batches: by the ids asked for) and per search query (the hunter: by `q`), so one
 * worker process can meet every kind of answer at once. `honest` turns every answer into a valid one.
 */

export const TRACKER_MODES = [
  // Refused by the client: the job fails with a clear error and nothing is stored.
  'missingKind',
  'countAsNumber',
  'negativeCount',
  'countNotDigits',
  'countTooBig',
  'itemsNotArray',
  'invalidJson',
  'html',
  'emptyBody',
  'echoKey',
  // Odd but acceptable: only what was asked for is stored.
  'unrequestedItems',
  'hugeStrings',
] as const;
export type TrackerMode = (typeof TRACKER_MODES)[number];

export const HUNTER_MODES = [
  'searchMissingFields',
  'searchBadIds',
  'unrequestedDetails',
  'hugeTitle',
  'longWordTitles',
  'nulTitle',
  'futurePublished',
  'hugePageToken',
] as const;
export type HunterMode = (typeof HUNTER_MODES)[number];

export interface HostileYouTube {
  url: string;
  /** Every answer valid from now on. */
  honest: boolean;
  /** `n` fresh video ids whose statistics are answered per `mode`. */
  trackerVideos(mode: TrackerMode, n: number): string[];
  /** Ids the server made up in its search answers, per mode. */
  searched: Map<HunterMode, string[]>;
  requests: number;
  close(): Promise<void>;
}

/** Over the client's answer size bound (src/youtube/client.ts MAX_ANSWER_BYTES) once in every item. */
const HUGE = 'x'.repeat(2 * 1024 * 1024);
/** Far over every field's bound, in an answer under the size bound. */
const LONG = 'x'.repeat(8 * 1024);
const RECENT = '2026-11-20T10:00:00Z';

export async function startHostileYouTube(): Promise<HostileYouTube> {
  let next = 1n;
  const modeOf = new Map<string, TrackerMode | HunterMode>();
  const fresh = (mode: TrackerMode | HunterMode): string => {
    const id = videoIdFromBits(next++ * 0x9e3779b97f4a7c15n + 7n);
    modeOf.set(id, mode);
    return id;
  };
  const state: HostileYouTube = {
    url: '',
    honest: false,
    requests: 0,
    searched: new Map(),
    trackerVideos: (mode, n) => Array.from({ length: n }, () => fresh(mode)),
    close: async () => {},
  };

  const video = (id: string, parts: string[], over: Record<string, unknown> = {}) => ({
    kind: 'youtube#video',
    etag: `etag-${id}`,
    id,
    ...(parts.includes('snippet')
      ? {
          snippet: {
            publishedAt: RECENT,
            channelId: 'UCaaaaaaaaaaaaaaaaaaaaaa',
            title: `A fine video ${id}`,
            description: 'nothing to see',
            thumbnails: {},
            channelTitle: 'A channel',
            tags: ['fine'],
            categoryId: '10',
            liveBroadcastContent: 'none',
          },
        }
      : {}),
    ...(parts.includes('contentDetails') ? { contentDetails: { duration: 'PT1M' } } : {}),
    ...(parts.includes('statistics')
      ? { statistics: { viewCount: '1000', likeCount: '10', commentCount: '1' } }
      : {}),
    ...over,
  });
  const list = (items: unknown) => ({
    kind: 'youtube#videoListResponse',
    etag: 'etag',
    items,
    pageInfo: { totalResults: Array.isArray(items) ? items.length : 0, resultsPerPage: 50 },
  });
  const json = (res: ServerResponse, body: unknown, status = 200) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
    res.end(text);
  };

  function videos(res: ServerResponse, ids: string[], parts: string[], reqUrl: string) {
    const mode = state.honest ? undefined : modeOf.get(ids[0] ?? '');
    const honest = ids.map((id) => video(id, parts));
    const snippetOver = (o: Record<string, unknown>) =>
      honest.map((v) => ({ ...v, snippet: { ...(v.snippet ?? {}), ...o } }));
    switch (mode) {
      case 'missingKind':
        return json(res, list(honest.map(({ kind: _k, etag: _e, ...rest }) => rest)));
      case 'countAsNumber':
        return json(res, list(honest.map((v) => ({ ...v, statistics: { viewCount: 1000 } }))));
      case 'negativeCount':
        return json(res, list(honest.map((v) => ({ ...v, statistics: { viewCount: '-5' } }))));
      case 'countNotDigits':
        return json(res, list(honest.map((v) => ({ ...v, statistics: { viewCount: '1.2K' } }))));
      case 'countTooBig':
        return json(
          res,
          list(honest.map((v) => ({ ...v, statistics: { viewCount: '99999999999999999999999' } }))),
        );
      case 'itemsNotArray':
        return json(res, list({ 0: honest[0] }));
      case 'invalidJson':
        return json(res, '{"kind":"youtube#videoListResponse","items":[{"id":');
      case 'html':
        res.writeHead(200, { 'content-type': 'text/html' });
        return res.end('<html><body>Sign in to continue</body></html>');
      case 'emptyBody':
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end();
      case 'echoKey': {
        const key = String(new URL(`http://x${reqUrl}`).searchParams.get('key'));
        return json(
          res,
          {
            error: {
              code: 400,
              message: `Bad request for key ${key}`,
              errors: [{ reason: 'badRequest', message: key }],
            },
          },
          400,
        );
      }
      case 'unrequestedItems': {
        const extra = Array.from({ length: 20 }, () => video(fresh('unrequestedItems'), parts));
        // …and one requested video twice, with other counts.
        const twice = { ...honest[0]!, statistics: { viewCount: '1' } };
        return json(res, list([...honest, ...extra, twice]));
      }
      case 'hugeStrings':
        return json(res, { ...list(honest.map((v) => ({ ...v, etag: HUGE }))), etag: HUGE, surprise: HUGE });
      case 'unrequestedDetails':
        return json(
          res,
          list([...honest, ...Array.from({ length: 5 }, () => video(fresh('unrequestedDetails'), parts))]),
        );
      case 'hugeTitle':
        return json(
          res,
          list(snippetOver({ title: LONG, channelTitle: LONG, channelId: LONG, tags: [LONG, LONG] })),
        );
      case 'longWordTitles':
        return json(res, list(snippetOver({ title: `the ${'w'.repeat(300)} song` })));
      case 'nulTitle':
        return json(res, list(snippetOver({ title: 'bad\u0000title', description: 'nul\u0000here' })));
      case 'futurePublished':
        return json(res, list(snippetOver({ publishedAt: '9999-12-31T23:59:59Z' })));
      default:
        return json(res, list(honest));
    }
  }

  function search(res: ServerResponse, q: string) {
    const mode =
      !state.honest && (HUNTER_MODES as readonly string[]).includes(q) ? (q as HunterMode) : undefined;
    const ids = Array.from({ length: 5 }, () => fresh(mode ?? 'searchBadIds'));
    if (mode) state.searched.set(mode, [...(state.searched.get(mode) ?? []), ...ids]);
    const item = (videoId: unknown) => ({
      kind: 'youtube#searchResult',
      etag: 'e',
      id: { kind: 'youtube#video', videoId },
      snippet: {
        publishedAt: RECENT,
        channelId: 'UCaaaaaaaaaaaaaaaaaaaaaa',
        title: 't',
        description: '',
        thumbnails: {},
        channelTitle: 'c',
        liveBroadcastContent: 'none',
      },
    });
    const page = (items: unknown[], extra: Record<string, unknown> = {}) => ({
      kind: 'youtube#searchListResponse',
      etag: 'e',
      pageInfo: { totalResults: items.length, resultsPerPage: 50 },
      items,
      ...extra,
    });
    switch (mode) {
      case 'searchMissingFields':
        return json(res, { items: ids.map((id) => ({ id: { videoId: id } })) });
      case 'searchBadIds':
        return json(
          res,
          page([
            ...ids.map(item),
            item('not an id'),
            item('../../../etc'),
            item(''),
            item('AAAAAAAAAA!'),
            item('x'.repeat(5000)),
          ]),
        );
      case 'hugePageToken':
        return json(res, page(ids.map(item), { nextPageToken: 'T'.repeat(5000) }));
      default:
        return json(res, page(ids.map(item)));
    }
  }

  const server = createServer((req, res) => {
    state.requests++;
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname === '/youtube/v3/videos')
      return videos(
        res,
        (u.searchParams.get('id') ?? '').split(',').filter(Boolean),
        (u.searchParams.get('part') ?? '').split(','),
        req.url ?? '',
      );
    if (u.pathname === '/youtube/v3/search') return search(res, u.searchParams.get('q') ?? '');
    if (u.pathname === '/youtube/v3/videoCategories')
      return json(res, { kind: 'youtube#videoCategoryListResponse', etag: 'e', items: [] });
    if (u.pathname === '/youtube/v3/channels')
      return json(res, { kind: 'youtube#channelListResponse', etag: 'e', items: [] });
    json(res, { error: { code: 404, message: 'Not Found', errors: [{ reason: 'notFound' }] } }, 404);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return state;
}
