import { type ApiError, apiErrors } from './api-errors.ts';
import type { ApiMethod } from './quota-costs.ts';
import {
  categoryResources,
  channelResource,
  playlistItemResource,
  searchResultResource,
  videoResource,
  videoStatsResource,
} from './resources.ts';
import { etagOf, hash2, hashString } from './rng.ts';
import { MAX_RESULTS, type SearchIndex, type SearchOrder, type SearchQuery } from './search.ts';
import {
  interleave,
  type OtherResult,
  otherResultResource,
  otherResults,
  wordsNeeded,
} from './search-realism.ts';
import { WORD_INDEX } from './words.ts';
import type { World } from './world.ts';

/**
 * The API methods: parameters checked as YouTube checks them, answers in YouTube's shapes. A handler
 * either returns a body or throws a Reject carrying YouTube's error body; the server charges quota.
 */

export interface HandlerContext {
  world: World;
  search: SearchIndex;
  now: number;
}

export interface Endpoint {
  method: ApiMethod;
  handle(p: URLSearchParams, ctx: HandlerContext): unknown;
}

export class Reject extends Error {
  readonly apiError: ApiError;
  constructor(e: ApiError) {
    super(e.body.error.message);
    this.apiError = e;
  }
}

const reject = (e: ApiError): never => {
  throw new Reject(e);
};

/** Values of a parameter given once comma-separated or repeated (googleapis repeats arrays). */
function listParam(p: URLSearchParams, name: string): string[] | null {
  const all = p.getAll(name);
  if (all.length === 0) return null;
  const out: string[] = [];
  for (const v of all)
    for (const s of v.split(',')) {
      const t = s.trim();
      if (t) out.push(t);
    }
  return out;
}

function parts(p: URLSearchParams, known: readonly string[]): Set<string> {
  const list = listParam(p, 'part');
  if (!list || list.length === 0) return reject(apiErrors.required('part'));
  for (const x of list) if (!known.includes(x)) reject(apiErrors.unknownPart(x));
  return new Set(list);
}

function intParam(p: URLSearchParams, name: string, min: number, max: number, dflt: number): number {
  const raw = p.get(name);
  if (raw === null) return dflt;
  if (!/^-?\d+$/.test(raw))
    return reject(apiErrors.invalidParameter(name, `Invalid unsigned integer value: '${raw}'.`));
  const n = Number(raw);
  if (n < min || n > max) reject(apiErrors.outOfRange(name, raw, min, max));
  return n;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

function timeParam(p: URLSearchParams, name: 'publishedAfter' | 'publishedBefore'): number | undefined {
  const raw = p.get(name);
  if (raw === null) return undefined;
  const t = Date.parse(raw);
  if (!RFC3339.test(raw) || Number.isNaN(t)) reject(apiErrors.invalidTime(name));
  return t;
}

/** At most 50 ids per request, as YouTube allows. */
function idList(p: URLSearchParams, name = 'id'): string[] | null {
  const ids = listParam(p, name);
  if (ids && ids.length > 50)
    reject(
      apiErrors.invalidParameter(
        name,
        `Invalid value for parameter ${name}: ${ids.length} ids were given; at most 50 may be specified.`,
      ),
    );
  return ids && [...new Set(ids)];
}

// Page tokens are opaque to clients; ours carry numbers (offsets) and a signature of their query.
const encodeToken = (nums: number[], sig: number): string =>
  `C${Buffer.from(`${nums.join('-')}.${sig.toString(36)}`).toString('base64url')}`;

function decodeToken(token: string, sig: number, count: number): number[] {
  const m = /^([\d-]+)\.([0-9a-z]+)$/.exec(Buffer.from(token.slice(1), 'base64url').toString());
  const nums = m ? m[1]!.split('-').map(Number) : [];
  if (
    !token.startsWith('C') ||
    !m ||
    m[2] !== sig.toString(36) ||
    nums.length !== count ||
    nums.some((n) => !Number.isSafeInteger(n))
  )
    return reject(apiErrors.invalidPageToken());
  return nums;
}

const responseEtag = (seed: number, now: number): string => etagOf(hash2(seed, Math.floor(now / 1000)));

const ORDERS: Record<string, SearchOrder> = {
  date: 'date',
  rating: 'rating',
  relevance: 'relevance',
  title: 'title',
  videocount: 'videoCount',
  viewcount: 'viewCount',
};

/** YouTube's query syntax, the part we model: words all required, `-word` excluded, `|` ignored. */
function parseQuery(q: string): Pick<SearchQuery, 'words' | 'excluded' | 'impossible'> {
  const words = new Set<number>();
  const excluded = new Set<number>();
  let impossible = false;
  for (const raw of q.toLowerCase().split(/\s+/)) {
    const negative = raw.startsWith('-');
    for (const t of raw.match(/[a-z0-9]+/g) ?? []) {
      const w = WORD_INDEX.get(t);
      if (negative) {
        if (w !== undefined) excluded.add(w);
      } else if (w === undefined) impossible = true;
      else words.add(w);
    }
  }
  return {
    words: [...words].sort((a, b) => a - b),
    excluded: [...excluded].sort((a, b) => a - b),
    impossible,
  };
}

const search: Endpoint = {
  method: 'search.list',
  handle(p, { world, search: index, now }) {
    const part = parts(p, ['id', 'snippet']);
    const maxResults = intParam(p, 'maxResults', 0, 50, 5);
    const orderRaw = p.get('order') ?? 'relevance';
    const order = ORDERS[orderRaw.toLowerCase()];
    if (!order)
      reject(
        apiErrors.invalidParameter(
          'order',
          `Invalid string value: '${orderRaw}'. Allowed values: [date, rating, relevance, title, videocount, viewcount]`,
        ),
      );
    const publishedAfter = timeParam(p, 'publishedAfter');
    const publishedBefore = timeParam(p, 'publishedBefore');
    const q = p.get('q') ?? '';
    const types = listParam(p, 'type');
    const channelId = p.get('channelId');
    const sig = hashString(
      [q, order, publishedAfter, publishedBefore, channelId, types?.join(',')].join('\u0000'),
      0x5ea7,
    );
    const token = p.get('pageToken');
    const offset = token === null ? 0 : decodeToken(token, sig, 1)[0]!;
    const channel = channelId === null ? undefined : world.findChannel(channelId);
    const videosWanted = !types || types.includes('video');
    const parsed = parseQuery(q);
    const realism = index.realism;
    const query: SearchQuery = {
      ...parsed,
      // relevance ranks videos carrying most of the words; date lists only those carrying all of them
      minWords: order === 'relevance' ? wordsNeeded(realism, parsed.words.length) : parsed.words.length,
      publishedAfter,
      publishedBefore,
      order: order!,
      ...(channel ? { channel: channel.index } : {}),
    };
    if ((channelId !== null && !channel) || !videosWanted) query.impossible = true;
    const result = index.search(query, now);
    const others =
      channel || parsed.impossible || channelId !== null
        ? []
        : otherResults(world, realism, parsed.words, types);
    const all: (number | OtherResult)[] = interleave<number | OtherResult>(result.indices, others).slice(
      0,
      MAX_RESULTS,
    );
    const page = all.slice(offset, offset + maxResults);
    const end = offset + page.length;
    const body: Record<string, unknown> = {
      kind: 'youtube#searchListResponse',
      etag: responseEtag(sig, now),
    };
    if (maxResults > 0 && end < all.length) body.nextPageToken = encodeToken([end], sig);
    if (offset > 0) body.prevPageToken = encodeToken([Math.max(0, offset - maxResults)], sig);
    body.regionCode = p.get('regionCode') ?? 'US';
    body.pageInfo = { totalResults: result.totalResults + others.length, resultsPerPage: maxResults };
    body.items = page.map((i) =>
      typeof i === 'number'
        ? searchResultResource(world, i, part.has('snippet'))
        : otherResultResource(i, part.has('snippet')),
    );
    return body;
  },
};

const VIDEO_PARTS = [
  'contentDetails',
  'fileDetails',
  'id',
  'liveStreamingDetails',
  'localizations',
  'paidProductPlacementDetails',
  'player',
  'processingDetails',
  'recordingDetails',
  'snippet',
  'statistics',
  'status',
  'suggestions',
  'topicDetails',
] as const;

const videos: Endpoint = {
  method: 'videos.list',
  handle(p, { world, now }) {
    const part = parts(p, VIDEO_PARTS);
    const ids = idList(p);
    if (!ids) return reject(apiErrors.missingFilter(['chart', 'id', 'myRating']));
    if (p.has('maxResults'))
      reject({
        status: 400,
        body: {
          error: {
            code: 400,
            message: 'The request specifies an invalid filter parameter.',
            errors: [
              {
                message: 'The request specifies an invalid filter parameter.',
                domain: 'youtube.parameter',
                reason: 'invalidFilters',
                location: 'parameters.',
                locationType: 'other',
              },
            ],
          },
        },
      });
    const want = {
      snippet: part.has('snippet'),
      statistics: part.has('statistics'),
      contentDetails: part.has('contentDetails'),
      status: part.has('status'),
      liveStreamingDetails: part.has('liveStreamingDetails'),
    };
    const items: unknown[] = [];
    for (const id of ids) {
      const i = world.indexOf(id);
      if (i >= 0 && world.isVisible(i, now)) items.push(videoResource(world, i, now, want));
    }
    return {
      kind: 'youtube#videoListResponse',
      etag: responseEtag(items.length, now),
      items,
      pageInfo: { totalResults: items.length, resultsPerPage: items.length },
    };
  },
};

const batchGetStats: Endpoint = {
  method: 'videos.batchGetStats',
  handle(p, { world, now }) {
    const part = parts(p, ['contentDetails', 'id', 'snippet', 'statistics']);
    const ids = idList(p);
    if (!ids) return reject(apiErrors.required('id'));
    const want = {
      snippet: part.has('snippet'),
      statistics: part.has('statistics'),
      contentDetails: part.has('contentDetails'),
    };
    const items: unknown[] = [];
    for (const id of ids) {
      const i = world.indexOf(id);
      if (i >= 0 && world.isVisible(i, now)) items.push(videoStatsResource(world, i, now, want));
    }
    return { kind: 'youtube#batchGetStatsResponse', etag: responseEtag(items.length ^ 0xb5, now), items };
  },
};

const channels: Endpoint = {
  method: 'channels.list',
  handle(p, { world, now }) {
    const part = parts(p, [
      'auditDetails',
      'brandingSettings',
      'contentDetails',
      'contentOwnerDetails',
      'id',
      'localizations',
      'snippet',
      'statistics',
      'status',
      'topicDetails',
    ]);
    const ids = idList(p);
    const handle = p.get('forHandle');
    if (!ids && handle === null)
      reject(
        apiErrors.missingFilter(['categoryId', 'forHandle', 'forUsername', 'id', 'managedByMe', 'mine']),
      );
    const wanted = ids ?? [handle!.startsWith('@') ? handle! : `@${handle}`];
    const want = {
      snippet: part.has('snippet'),
      statistics: part.has('statistics'),
      contentDetails: part.has('contentDetails'),
    };
    const items = wanted.flatMap((id) => {
      const ch = world.findChannel(id);
      return ch && (ids ? ch.id === id : true) ? [channelResource(world, ch, now, want)] : [];
    });
    // as YouTube: when no channel matches, the answer has no `items` at all
    return {
      kind: 'youtube#channelListResponse',
      etag: responseEtag(items.length ^ 0xc4, now),
      pageInfo: { totalResults: items.length, resultsPerPage: 5 },
      ...(items.length ? { items } : {}),
    };
  },
};

const videoCategories: Endpoint = {
  method: 'videoCategories.list',
  handle(p) {
    parts(p, ['id', 'snippet']);
    const ids = listParam(p, 'id');
    const region = p.get('regionCode');
    if (!ids && region === null) reject(apiErrors.missingFilter(['id', 'regionCode']));
    if (region !== null && !/^[A-Za-z]{2}$/.test(region))
      reject(apiErrors.invalidParameter('regionCode', `Invalid value '${region}' for regionCode.`));
    return {
      kind: 'youtube#videoCategoryListResponse',
      etag: etagOf(hashString(`categories:${ids?.join(',') ?? region}`)),
      items: categoryResources(ids ?? undefined),
    };
  },
};

/** How far back one playlistItems page may scan for a channel's uploads. */
const PLAYLIST_SCAN = 3_000_000;

const playlistItems: Endpoint = {
  method: 'playlistItems.list',
  handle(p, { world, now }) {
    const part = parts(p, ['contentDetails', 'id', 'snippet', 'status']);
    const maxResults = intParam(p, 'maxResults', 0, 50, 5);
    const playlistId = p.get('playlistId');
    if (playlistId === null) return reject(apiErrors.missingFilter(['id', 'playlistId']));
    const ch = playlistId.startsWith('UU') ? world.findChannel(`UC${playlistId.slice(2)}`) : undefined;
    if (!ch) return reject(apiErrors.playlistNotFound());
    const sig = hashString(playlistId, 0x9a);
    const published = world.publishedCount(now);
    // the token holds where the previous page stopped scanning (an index) and the position reached
    let cursor = published;
    let position = 0;
    const token = p.get('pageToken');
    if (token !== null) {
      [cursor, position] = decodeToken(token, sig, 2) as [number, number];
      if (cursor > published) cursor = published;
    }
    const found: number[] = [];
    let i = cursor - 1;
    const stop = Math.max(0, cursor - PLAYLIST_SCAN);
    for (; i >= stop && found.length <= maxResults; i--)
      if (world.channelOf(i) === ch.index && world.isVisible(i, now)) found.push(i);
    const page = found.slice(0, maxResults);
    const want = {
      snippet: part.has('snippet'),
      contentDetails: part.has('contentDetails'),
      status: part.has('status'),
    };
    const body: Record<string, unknown> = {
      kind: 'youtube#playlistItemListResponse',
      etag: responseEtag(sig, now),
    };
    if (found.length > maxResults && maxResults > 0)
      body.nextPageToken = encodeToken([page[page.length - 1]!, position + maxResults], sig);
    body.items = page.map((v, k) => playlistItemResource(world, v, playlistId, position + k, want));
    body.pageInfo = {
      totalResults: world.channelVideoCount(ch.index, now) - ch.olderUploads,
      resultsPerPage: maxResults,
    };
    return body;
  },
};

/** Path after /youtube/v3/ → endpoint. */
export const ENDPOINTS: Record<string, Endpoint> = {
  search,
  videos,
  'videos:batchGetStats': batchGetStats,
  channels,
  videoCategories,
  playlistItems,
};
