// The YouTube API alone (@googleapis/youtube), not the whole `googleapis` bundle: the same generated
// client, but loading every Google API cost each worker ~100 MB of memory and a second at start.
import { youtube, type youtube_v3 } from '@googleapis/youtube';
import type { z } from 'zod';
import { MalformedResponseError, ValidationError, YouTubeApiError } from '../errors/index.ts';
import { registerSecret, scrubDeep, scrubText } from '../redact.ts';
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
 * The YouTube Data API v3 through the official `googleapis` client, pointed at the simulator (or any
 * other root) with `rootUrl`. Its own retries are off: Hydra owns retries, and a hidden retry would
 * spend quota twice. Every answer is checked against the documented shape (zod) and every failure
 * becomes a YouTubeApiError (status, first error reason) or a MalformedResponseError — never with the
 * API key in its message, stack or cause.
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
  /** e.g. the simulator's url; default YouTube's own root. */
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

export function createYouTubeClient(opts: YouTubeClientOptions = {}): YouTubeClient {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const yt = youtube({
    version: 'v3',
    ...(opts.rootUrl ? { rootUrl: opts.rootUrl.endsWith('/') ? opts.rootUrl : `${opts.rootUrl}/` } : {}),
    timeout: timeoutMs,
    retry: false,
    maxContentLength: MAX_ANSWER_BYTES,
  });

  async function call<S extends z.ZodType>(
    method: string,
    key: string,
    schema: S,
    run: () => Promise<{ data: unknown }>,
    /** A cheaper check of the common answer; undefined sends it to the schema. */
    plain?: (data: unknown) => z.infer<S> | undefined,
  ): Promise<z.infer<S>> {
    registerSecret(key);
    let data: unknown;
    try {
      data = (await run()).data;
    } catch (err) {
      if (isOversized(err))
        throw new MalformedResponseError(
          `${method}: the answer does not have YouTube's documented shape: (body): over ${MAX_ANSWER_BYTES} bytes`,
        );
      throw toYouTubeError(err, method, key, timeoutMs);
    }
    const quick = plain?.(data);
    if (quick !== undefined) return quick;
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
      return call('search.list', key, searchListResponseSchema, () =>
        yt.search.list({
          key,
          part: ['snippet'],
          type: ['video'],
          q: p.q,
          maxResults: p.maxResults ?? 50,
          ...(p.order ? { order: p.order } : {}),
          ...(p.pageToken ? { pageToken: p.pageToken } : {}),
          ...(p.publishedAfter ? { publishedAfter: p.publishedAfter } : {}),
        }),
      );
    },
    async videosList(key, ids, parts = DEFAULT_PARTS) {
      checkIds('videos.list', ids);
      return call(
        'videos.list',
        key,
        videoListResponseSchema,
        () => yt.videos.list({ key, part: [parts.join(',')], id: [ids.join(',')] }),
        plainVideoList,
      );
    },
    async batchGetStats(key, ids) {
      checkIds('videos.batchGetStats', ids);
      const r = await call('videos.batchGetStats', key, batchGetStatsResponseSchema, () =>
        yt.videos.batchGetStats({ key, part: ['statistics,contentDetails'], id: [ids.join(',')] }),
      );
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
      return call('channels.list', key, channelListResponseSchema, () =>
        yt.channels.list({ key, part: ['snippet,statistics,contentDetails'], id: [ids.join(',')] }),
      );
    },
    videoCategoriesList(key, regionCode = 'US') {
      return call('videoCategories.list', key, videoCategoryListResponseSchema, () =>
        yt.videoCategories.list({ key, part: ['snippet'], regionCode }),
      );
    },
    playlistItemsList(key, playlistId, pageToken) {
      const params: youtube_v3.Params$Resource$Playlistitems$List = {
        key,
        part: ['snippet,contentDetails'],
        playlistId,
        maxResults: 50,
        ...(pageToken ? { pageToken } : {}),
      };
      return call('playlistItems.list', key, playlistItemListResponseSchema, () =>
        yt.playlistItems.list(params),
      );
    },
  };
}

interface GaxiosLike {
  name?: string;
  message?: string;
  code?: unknown;
  response?: { status?: unknown; data?: unknown };
  cause?: unknown;
}

/** The low-level code of a network failure (ECONNREFUSED…), wherever fetch and gaxios nested it. */
function networkCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z_]+$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function isTimeout(e: GaxiosLike): boolean {
  const names = [e.name, e.code, (e.cause as GaxiosLike | undefined)?.name, networkCode(e)];
  return names.some(
    (n) => n === 'TimeoutError' || n === 'AbortError' || n === 'ETIMEDOUT' || n === 'UND_ERR_HEADERS_TIMEOUT',
  );
}

/**
 * A googleapis failure as a YouTubeApiError. googleapis errors carry the request config (params.key,
 * URLs with ?key=): none of it is kept; the cause is a scrubbed summary of YouTube's error body.
 */
/** node-fetch (under gaxios) stopped reading a body over `maxContentLength`. */
const isOversized = (err: unknown): boolean => {
  const e = err as { type?: unknown; error?: { type?: unknown } } | null;
  return e?.type === 'max-size' || e?.error?.type === 'max-size';
};

export function toYouTubeError(
  err: unknown,
  method: string,
  key: string,
  timeoutMs: number,
): YouTubeApiError {
  const clean = (s: string) => scrubText(s.split(key).join('***'));
  const e = (err ?? {}) as GaxiosLike;
  const status = typeof e.response?.status === 'number' ? e.response.status : 0;
  if (status > 0) {
    const body = apiErrorBodySchema.safeParse(e.response?.data);
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
  if (isTimeout(e)) return new YouTubeApiError(0, 'timeout', `${method}: no answer within ${timeoutMs} ms`);
  const code = networkCode(e);
  return new YouTubeApiError(
    0,
    'networkError',
    clean(`${method}: network failure${code ? ` (${code})` : ''}: ${e.message ?? String(err)}`),
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
