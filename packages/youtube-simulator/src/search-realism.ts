import { MINUTE_MS } from './clock.ts';
import { rfc3339 } from './resources.ts';
import { etagOf, hash2, hashString, normal, unit2 } from './rng.ts';
import { WORD_INDEX } from './words.ts';
import type { ChannelInfo, World } from './world.ts';

/**
 * How far search.list departs from a perfect index, as YouTube's does (docs/simulator.md names the
 * public observation behind each knob). On by default; `perfect` turns every knob off for unit tests
 * that assert exact matches.
 */
export interface SearchRealism {
  /** Every word required, indexed at publication, exact totals, videos only. */
  perfect: boolean;
  /** Indexing delay of a new upload: log-normal, this median (minutes)… */
  indexDelayMedianMin: number;
  /** …and this spread (sigma of the log). */
  indexDelaySigma: number;
  /** Share of uploads search never lists (they stay reachable by id, playlist and push). */
  neverIndexedFraction: number;
  /** order=relevance: a video matches when it carries at least this share of the query's words. */
  relevanceWordShare: number;
  /** pageInfo.totalResults is an estimate rounded to this many significant digits. */
  totalResultsDigits: number;
  /** Untyped searches mix in at most this many channels and playlists matching the query. */
  channelResults: number;
  playlistResults: number;
}

export const REALISTIC_SEARCH: SearchRealism = {
  perfect: false,
  indexDelayMedianMin: 60,
  indexDelaySigma: 1,
  neverIndexedFraction: 0.02,
  relevanceWordShare: 0.5,
  totalResultsDigits: 2,
  channelResults: 3,
  playlistResults: 2,
};

export const PERFECT_SEARCH: SearchRealism = {
  perfect: true,
  indexDelayMedianMin: 0,
  indexDelaySigma: 0,
  neverIndexedFraction: 0,
  relevanceWordShare: 1,
  totalResultsDigits: 0,
  channelResults: 0,
  playlistResults: 0,
};

/** A knob set by name ('perfect', 'realistic': the default) or as overrides of either. */
export type RealismOption<T> = 'perfect' | 'realistic' | Partial<T>;

export function resolveRealism<T extends { perfect: boolean }>(
  o: RealismOption<T> | undefined,
  realistic: T,
  perfect: T,
): T {
  if (o === 'perfect') return perfect;
  if (o === undefined || o === 'realistic') return realistic;
  return { ...(o.perfect ? perfect : realistic), ...o };
}

export type SearchRealismOption = RealismOption<SearchRealism>;

export const searchRealism = (o: SearchRealismOption | undefined): SearchRealism =>
  resolveRealism(o, REALISTIC_SEARCH, PERFECT_SEARCH);

const SALT_NEVER = 0x1d3;
const SALT_DELAY = 0x1d4;

/** When video `i` becomes searchable (ms on the world's clock); Infinity: never. */
export function indexedAt(world: World, r: SearchRealism, i: number): number {
  const pub = world.publishedAt(i);
  if (r.perfect) return pub;
  const k = hash2(world.seed, 0x5ea);
  if (unit2(i ^ k, SALT_NEVER) < r.neverIndexedFraction) return Number.POSITIVE_INFINITY;
  const z = normal(unit2(i ^ k, SALT_DELAY), unit2(i ^ k, SALT_DELAY + 1));
  return pub + Math.round(r.indexDelayMedianMin * Math.exp(r.indexDelaySigma * z) * MINUTE_MS);
}

/** How many of `n` query words a relevance match needs. */
export function wordsNeeded(r: SearchRealism, n: number): number {
  return r.perfect ? n : Math.max(1, Math.ceil(n * r.relevanceWordShare));
}

/** totalResults as YouTube shows it: an estimate, not a count. */
export function estimateTotal(r: SearchRealism, n: number): number {
  if (r.perfect || n < 10 || r.totalResultsDigits <= 0) return n;
  const p = 10 ** (Math.floor(Math.log10(n)) + 1 - r.totalResultsDigits);
  return Math.round(n / p) * p;
}

/** A search result that is not a video: a channel, or one of its playlists. */
export interface OtherResult {
  kind: 'channel' | 'playlist';
  channel: ChannelInfo;
}

/** Channels (and their playlists) whose title or topic carries a word of the query. */
export function otherResults(
  world: World,
  r: SearchRealism,
  words: number[],
  types: string[] | null,
): OtherResult[] {
  if (r.perfect || words.length === 0) return [];
  const wantChannels = types === null || types.includes('channel');
  const wantPlaylists = types === null || types.includes('playlist');
  if (!wantChannels && !wantPlaylists) return [];
  const set = new Set(words);
  const channels: ChannelInfo[] = [];
  const limit = Math.max(r.channelResults, r.playlistResults);
  for (let c = 0; c < world.channelCount() && channels.length < limit; c++) {
    const ch = world.channel(c);
    const hit =
      set.has(WORD_INDEX.get(ch.topic.name) ?? -1) ||
      ch.title
        .toLowerCase()
        .split(' ')
        .some((t) => set.has(WORD_INDEX.get(t) ?? -1));
    if (hit) channels.push(ch);
  }
  const out: OtherResult[] = [];
  if (wantChannels)
    for (const ch of channels.slice(0, r.channelResults)) out.push({ kind: 'channel', channel: ch });
  if (wantPlaylists)
    for (const ch of channels.slice(0, r.playlistResults)) out.push({ kind: 'playlist', channel: ch });
  return out;
}

/** A playlist id for a channel's synthetic public playlist (PL + 32 characters, as YouTube's). */
export function playlistIdOf(ch: ChannelInfo): string {
  const body = Buffer.from(`${ch.id}:playlist`).toString('base64url');
  return `PL${body.slice(0, 32)}`;
}

/**
 * Untyped results: videos with channels and playlists spread among them (every 7th position from the
 * top, as YouTube's mixed pages show them), then the rest of the videos.
 */
export function interleave<T>(videos: T[], others: T[]): T[] {
  if (others.length === 0) return videos;
  const out: T[] = [];
  let v = 0;
  let o = 0;
  while (v < videos.length || o < others.length) {
    if (o < others.length && (out.length % 7 === 0 || v >= videos.length)) out.push(others[o++]!);
    else out.push(videos[v++]!);
  }
  return out;
}

const channelThumbs = (ch: ChannelInfo) =>
  Object.fromEntries(
    (
      [
        ['default', 88],
        ['medium', 240],
        ['high', 800],
      ] as const
    ).map(([name, size]) => [
      name,
      { url: `https://yt3.ggpht.com/sim-${ch.id.slice(2, 14)}=s${size}-c-k-c0x00ffffff-no-rj` },
    ]),
  );

/** A `youtube#searchResult` for a channel or a playlist (Schema$SearchResult, id.kind tells which). */
export function otherResultResource(o: OtherResult, withSnippet: boolean): Record<string, unknown> {
  const ch = o.channel;
  const playlistId = playlistIdOf(ch);
  const out: Record<string, unknown> = {
    kind: 'youtube#searchResult',
    etag: etagOf(hashString(`${o.kind}:${ch.id}`)),
    id:
      o.kind === 'channel'
        ? { kind: 'youtube#channel', channelId: ch.id }
        : { kind: 'youtube#playlist', playlistId },
  };
  if (withSnippet) {
    const published = rfc3339(ch.createdAt);
    const title = o.kind === 'channel' ? ch.title : `${ch.title}: best of ${ch.topic.name}`;
    out.snippet = {
      publishedAt: published,
      channelId: ch.id,
      title,
      description: ch.description.slice(0, 160),
      thumbnails: channelThumbs(ch),
      channelTitle: ch.title,
      liveBroadcastContent: 'none',
      // Sent by the real API though absent from its discovery document (resources.ts, searchResultResource).
      publishTime: published,
    };
  }
  return out;
}
