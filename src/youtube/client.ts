import type { z } from 'zod';
import { MalformedResponseError, ValidationError, YouTubeApiError } from '../errors/index.ts';
import { registerSecret, scrubDeep, scrubText } from '../redact.ts';
import { AnswerTooLargeError, createHttpGet, type HttpAnswer, RequestTimeoutError } from './http-get.ts';
import { plainVideoList } from './plain-video-list.ts';
import {
  apiErrorBodySchema,
  batchGetStatsResponseSchema,
  type ChannelListResponse,
  channelListResponseSchema,
  type PlaylistItemListResponse,
  playlistItemListResponseSchema,
  type SearchListResponse,
  searchListResponseSchema,
  type VideoCategoryListResponse,
  type VideoListResponse,
  videoCategoryListResponseSchema,
  videoListResponseSchema,
} from './schemas.ts';

export type * from './schemas.ts';

/**
 * The YouTube Data API v3 over plain HTTPS GETs (./http-get.ts), pointed at the simulator (or any other
 * root) with `rootUrl`: the same requests as Google's own client sends (test/youtube-client.test.ts
 * compares the two request by request), at a third of its CPU per call. Nothing is retried: Hydra
 * owns retries, and a hidden retry would spend quota twice. Every answer is checked against the
 * documented shape (zod) and every failure becomes a YouTubeApiError (status, first error reason) or a
 * MalformedResponseError — never with the API key in its message, stack or cause.
 */

export type VideoPart =
  | 'snippet'
  | 'statistics'
  | 'contentDetails'
  | 'status'
  | 'liveStreamingDetails'
  | 'id';

export interface SearchParams {
  q: string;
  pageToken?: string;
  publishedAfter?: string;
  maxResults?: number;
  order?: 'date' | 'relevance' | 'viewCount';
}

export interface YouTubeClient {
  searchList(key: string, p: SearchParams): Promise<SearchListResponse>;
  /** At most 50 ids; missing (deleted, private) videos are simply absent from `items`. */
  videosList(key: string, ids: string[], parts?: VideoPart[]): Promise<VideoListResponse>;
  /**
   * videos:batchGetStats (statistics and duration, 1 unit), answered in the videos.list shape: items
   * of kind youtube#video carrying `statistics` and `contentDetails.duration` only.
   */
  batchGetStats(key: string, ids: string[]): Promise<VideoListResponse>;
  channelsList(key: string, ids: string[]): Promise<ChannelListResponse>;
  videoCategoriesList(key: string, regionCode?: string): Promise<VideoCategoryListResponse>;
  playlistItemsList(key: string, playlistId: string, pageToken?: string): Promise<PlaylistItemListResponse>;
}

export interface YouTubeClientOptions {
  /** e.g. the simulator's url; default YouTube's own root, https://youtube.googleapis.com/. */
  rootUrl?: string;
  /** Per request; default 15 s. */
  timeoutMs?: number;
}

const DEFAULT_PARTS: VideoPart[] = ['snippet', 'statistics', 'contentDetails'];

/**
 * The largest answer body read (bytes). YouTube's largest, 50 videos with full snippets (5,000-character
 * descriptions, tags, localized copies), is under 2 MB; a worker's old space is capped at 128 MB
 * (app/cli/heap.ts) and runs WORKER_CONCURRENCY jobs, so a bigger body is refused while it is read
 * rather than buffered and parsed, which could take the whole process down.
 */
export const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

const YOUTUBE_ROOT = 'https://youtube.googleapis.com/';

export function createYouTubeClient(opts: YouTubeClientOptions = {}): YouTubeClient {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const root = opts.rootUrl ? (opts.rootUrl.endsWith('/') ? opts.rootUrl : `${opts.rootUrl}/`) : YOUTUBE_ROOT;
  const get = createHttpGet({ timeoutMs, maxBytes: MAX_ANSWER_BYTES });

  /** GET youtube/v3/`path` with `params` (undefined ones left out) and the key. */
  async function call<S extends z.ZodType>(
    method: string,
    key: string,
    schema: S,
    path: string,
    params: Record<string, string | number | undefined>,
    /** A cheaper check of the common answer; undefined sends it to the schema. */
    plain?: (data: unknown) => z.infer<S> | undefined,
  ): Promise<z.infer<S>> {
    registerSecret(key);
    const url = new URL(`youtube/v3/${path}`, root);
    for (const [name, value] of Object.entries(params))
      if (value !== undefined) url.searchParams.set(name, String(value));
    url.searchParams.set('key', key);
    let answer: HttpAnswer;
    try {
      answer = await get(url);
    } catch (err) {
      if (err instanceof AnswerTooLargeError)
        throw new MalformedResponseError(
          `${method}: the answer does not have YouTube's documented shape: (body): over ${MAX_ANSWER_BYTES} bytes`,
        );
      throw requestError(err, method, key, timeoutMs);
    }
    if (answer.status < 200 || answer.status > 299) throw statusError(answer, method, key);
    const data = answer.data;
    const quick = plain?.(data);
    if (quick !== undefined) return quick;
    if (data === undefined)
      throw new MalformedResponseError(
        `${method}: the answer does not have YouTube's documented shape: (body): not JSON`,
      );
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      const issues = parsed.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`)
        .join('; ');
      throw new MalformedResponseError(
        `${method}: the answer does not have YouTube's documented shape: ${issues}`,
      );
    }
    return parsed.data;
  }

  const checkIds = (method: string, ids: string[]) => {
    if (ids.length === 0 || ids.length > 50)
      throw new ValidationError([
        { field: 'ids', message: `${method} takes 1 to 50 ids, got ${ids.length}` },
      ]);
  };

  return {
    searchList(key, p) {
      return call('search.list', key, searchListResponseSchema, 'search', {
        part: 'snippet',
        type: 'video',
        q: p.q,
        maxResults: p.maxResults ?? 50,
        order: p.order,
        pageToken: p.pageToken,
        publishedAfter: p.publishedAfter,
      });
    },
    async videosList(key, ids, parts = DEFAULT_PARTS) {
      checkIds('videos.list', ids);
      return call(
        'videos.list',
        key,
        videoListResponseSchema,
        'videos',
        { part: parts.join(','), id: ids.join(',') },
        plainVideoList,
      );
    },
    async batchGetStats(key, ids) {
      checkIds('videos.batchGetStats', ids);
      const r = await call('videos.batchGetStats', key, batchGetStatsResponseSchema, 'videos:batchGetStats', {
        part: 'statistics,contentDetails',
        id: ids.join(','),
      });
      const items: VideoListResponse['items'] = r.items.map((v) => ({
        kind: 'youtube#video' as const,
        etag: v.etag ?? '',
        id: v.id,
        ...(v.statistics ? { statistics: v.statistics } : {}),
        ...(v.contentDetails?.duration ? { contentDetails: { duration: v.contentDetails.duration } } : {}),
      }));
      return {
        kind: 'youtube#videoListResponse' as const,
        etag: r.etag ?? '',
        items,
        pageInfo: { totalResults: items.length, resultsPerPage: items.length },
      };
    },
    async channelsList(key, ids) {
      checkIds('channels.list', ids);
      return call('channels.list', key, channelListResponseSchema, 'channels', {
        part: 'snippet,statistics,contentDetails',
        id: ids.join(','),
      });
    },
    videoCategoriesList(key, regionCode = 'US') {
      return call('videoCategories.list', key, videoCategoryListResponseSchema, 'videoCategories', {
        part: 'snippet',
        regionCode,
      });
    },
    playlistItemsList(key, playlistId, pageToken) {
      return call('playlistItems.list', key, playlistItemListResponseSchema, 'playlistItems', {
        part: 'snippet,contentDetails',
        playlistId,
        maxResults: 50,
        pageToken,
      });
    },
  };
}

/** The low-level code of a network failure (ECONNREFUSED…), wherever it is nested. */
function networkCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z_]+$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

const scrubber = (key: string) => (s: string) => scrubText(s.split(key).join('***'));

/**
 * An answer with a status outside 2xx as a YouTubeApiError: its first error reason when the body is
 * YouTube's error JSON (keyInvalid normalised), else a reason from the status alone. The cause is a
 * scrubbed summary of the error body; nothing of the request (its URL holds the key) is kept.
 */
function statusError(answer: HttpAnswer, method: string, key: string): YouTubeApiError {
  const clean = scrubber(key);
  const { status } = answer;
  const body = apiErrorBodySchema.safeParse(answer.data);
  if (!body.success)
    return new YouTubeApiError(
      status,
      status >= 500 ? 'backendError' : status === 429 ? 'rateLimitExceeded' : 'httpError',
      clean(`${method}: HTTP ${status} without a YouTube error body`),
    );
  const b = body.data.error;
  const first = b.errors?.[0]?.reason;
  const keyInvalid =
    first === 'keyInvalid' || b.details?.some((d) => d.reason === 'API_KEY_INVALID') === true;
  const reason = keyInvalid ? 'keyInvalid' : (first ?? b.status ?? 'unknown');
  return new YouTubeApiError(status, reason, clean(`${method}: ${status} ${reason}: ${b.message}`), {
    cause: scrubDeep({ status, error: b }),
  });
}

/** A request that got no answer: status 0, "timeout" or "networkError" with the system's code. */
function requestError(err: unknown, method: string, key: string, timeoutMs: number): YouTubeApiError {
  const e = (err ?? {}) as { message?: unknown };
  const code = networkCode(err);
  // Our deadline, or the system's (a connect that never completed).
  if (err instanceof RequestTimeoutError || code === 'ETIMEDOUT')
    return new YouTubeApiError(0, 'timeout', `${method}: no answer within ${timeoutMs} ms`);
  return new YouTubeApiError(
    0,
    'networkError',
    scrubber(key)(
      `${method}: network failure${code ? ` (${code})` : ''}: ${typeof e.message === 'string' ? e.message : String(err)}`,
    ),
    { cause: { code: code ?? null } },
  );
}

/** Seconds of an ISO 8601 duration (PT4M13S, P1DT2H, P0D) or a protobuf one (253s); null if neither. */
export function parseDurationSeconds(d: string): number | null {
  const proto = /^(\d+(?:\.\d+)?)s$/.exec(d);
  if (proto) return Math.round(Number(proto[1]));
  const m = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(d);
  if (!m || d === 'P' || d.endsWith('T')) return null;
  const [, w = '0', dd = '0', h = '0', min = '0', s = '0'] = m;
  return Math.round(
    Number(w) * 604_800 + Number(dd) * 86_400 + Number(h) * 3600 + Number(min) * 60 + Number(s),
  );
}

/** A YouTube count (a string of digits) as a bigint; null when absent (hidden likes, disabled comments). */
export function toCount(s: string | null | undefined): bigint | null {
  if (s === undefined || s === null || !/^\d+$/.test(s)) return null;
  return BigInt(s);
}
