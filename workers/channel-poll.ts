import type { Payload } from '../queues/index.ts';
import { addToInbox, unknownVideoIds } from '../src/dao/discovery-inbox.ts';
import {
  type ClaimedChannel,
  cachedUploadsPlaylists,
  completePolls,
  leasedChannels,
  type PollOutcome,
  setUploadsPlaylists,
} from '../src/dao/followed-channels.ts';
import { withTransaction } from '../src/db/pool.ts';
import { estimateUploadsPerDay, pollIntervalS } from '../src/discovery/interval.ts';
import { recordFound } from '../src/discovery/record.ts';
import { YouTubeApiError } from '../src/errors/index.ts';
import { isVideoId } from '../src/video-id.ts';
import { refreshChannels } from './channels.ts';
import type { AgentDeps, PlaylistItem } from './deps.ts';
import { fetchMetadata, ingestDiscovered } from './discovery.ts';

export interface ChannelPollResult {
  channels: number;
  pages: number;
  newVideos: number;
  units: number;
  gone: number;
  /** Channels read through their free feed (no units) instead of the uploads playlist. */
  feeds: number;
}

/** Channels polled at once within one job: the calls are I/O, not CPU. */
const PARALLEL = 4;

interface Seen {
  videoId: string;
  publishedMs: number;
}

const publishedMsOf = (it: PlaylistItem): number => {
  const t = it.contentDetails?.videoPublishedAt ?? it.snippet?.publishedAt;
  return t ? Date.parse(t) : Number.NaN;
};

const videoIdOf = (it: PlaylistItem): string | null | undefined =>
  it.contentDetails?.videoId ?? it.snippet?.resourceId?.videoId;

async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const run = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
  return out;
}

/**
 * Finds uploads playlists the poll does not know yet: the Painter's `channels` cache first, then
 * channels.list (50 channels a unit), whose answer also fills that cache. A channel YouTube does not
 * know becomes `gone`. Returns the units spent.
 */
async function resolvePlaylists(deps: AgentDeps, channels: ClaimedChannel[]): Promise<number> {
  const missing = channels.filter((c) => !c.uploadsPlaylistId).map((c) => c.channelId);
  if (missing.length === 0) return 0;
  const found = new Map<string, string | null>(await cachedUploadsPlaylists(deps.pool, missing));
  const ask = missing.filter((id) => !found.has(id));
  const { items, units } = await refreshChannels(deps, ask, {
    keyPool: deps.config.CHANNEL_POOL,
    now: new Date(deps.clock.now()),
  });
  for (const id of ask) found.set(id, null);
  for (const c of items) found.set(c.id, c.contentDetails?.relatedPlaylists?.uploads ?? null);
  await setUploadsPlaylists(
    deps.pool,
    missing.map((id) => ({ channelId: id, uploadsPlaylistId: found.get(id) ?? null })),
  );
  for (const c of channels) if (!c.uploadsPlaylistId) c.uploadsPlaylistId = found.get(c.channelId) ?? null;
  return units;
}

/**
 * The free safety net behind WebSub: a subscribed channel's public feed (newest 15 uploads, no quota).
 * It answers only when it reaches what is known — its oldest entry at or before the watermark, or
 * fewer entries than a full feed (the channel's whole list) — and null otherwise (more uploads since
 * the last poll than the feed lists, an unknown channel, an unreadable feed): the uploads playlist
 * then reads the channel as before.
 */
async function readFeed(deps: AgentDeps, c: ClaimedChannel): Promise<Seen[] | null> {
  const watermark = c.newestPublishedAt?.getTime() ?? null;
  if (!deps.feed || !deps.config.CHANNEL_FEED_POLL || !c.websubVerified || watermark === null) return null;
  let entries: Awaited<ReturnType<NonNullable<AgentDeps['feed']>['read']>>;
  try {
    entries = await deps.feed.read(c.channelId);
  } catch (err) {
    deps.log.warn(
      { channelId: c.channelId, err: (err as Error).message },
      'channel feed unreadable; polling the playlist',
    );
    return null;
  }
  if (entries === null) return null;
  const seen = entries.map((e) => ({ videoId: e.videoId, publishedMs: e.publishedAt.getTime() }));
  const reachesKnown = seen.length < FEED_FULL || seen.some((x) => x.publishedMs <= watermark);
  return reachesKnown ? seen : null;
}

/** A feed of this many entries may have cut off older uploads (YouTube's feed lists 15). */
const FEED_FULL = 15;

/**
 * Reads a channel's uploads playlist from the newest item until it reaches uploads it has seen (the
 * channel's watermark), at most CHANNEL_POLL_MAX_PAGES pages (CHANNEL_FIRST_POLL_PAGES on the first
 * poll). Returns what it saw and the newest page, which measures how often the channel publishes.
 */
async function readUploads(
  deps: AgentDeps,
  c: ClaimedChannel & { uploadsPlaylistId: string },
): Promise<{ seen: Seen[]; firstPage: Seen[]; pages: number; gone: boolean }> {
  const { config } = deps;
  const watermark = c.newestPublishedAt?.getTime() ?? null;
  const maxPages = watermark === null ? config.CHANNEL_FIRST_POLL_PAGES : config.CHANNEL_POLL_MAX_PAGES;
  const out = { seen: [] as Seen[], firstPage: [] as Seen[], pages: 0, gone: false };
  let token: string | undefined;
  while (out.pages < maxPages) {
    out.pages++;
    let page: Awaited<ReturnType<AgentDeps['youtube']['playlistItemsList']>>;
    try {
      page = await deps.hydra.call({ pool: config.CHANNEL_POOL, method: 'playlistItems.list' }, (key) =>
        deps.youtube.playlistItemsList(key, c.uploadsPlaylistId, token),
      );
    } catch (err) {
      // playlistNotFound: the channel (or its uploads) is gone.
      if (err instanceof YouTubeApiError && err.status === 404) return { ...out, gone: true };
      throw err;
    }
    const items: Seen[] = [];
    for (const it of page.items) {
      const videoId = videoIdOf(it);
      const publishedMs = publishedMsOf(it);
      if (isVideoId(videoId) && !Number.isNaN(publishedMs)) items.push({ videoId, publishedMs });
    }
    if (out.pages === 1) out.firstPage = items;
    out.seen.push(...items);
    const reachedKnown = watermark !== null && items.some((i) => i.publishedMs <= watermark);
    if (reachedKnown || !page.nextPageToken) break;
    token = page.nextPageToken;
  }
  return out;
}

/**
 * One channel-poll job: the channels it still holds the lease of, each uploads playlist read down to
 * what is known, the new ids fetched with videos.list (50 a unit, across all the job's channels) and
 * ingested as the Hunter ingests — hot rows, watchlist, `video.discovered` (route `channel`) — in one
 * transaction with each channel's next poll time and the day's figures. A poll whose lease has lapsed
 * (another dispatcher has the channel now) still ingests what it found but writes no channel state.
 */
export async function pollChannels(
  deps: AgentDeps,
  job: Payload<'channel-poll'>,
): Promise<ChannelPollResult> {
  const { pool, config, clock } = deps;
  const started = clock.now();
  const result: ChannelPollResult = { channels: 0, pages: 0, newVideos: 0, units: 0, gone: 0, feeds: 0 };
  const channels = await leasedChannels(pool, job.channelIds, job.leaseUntil, started);
  if (channels.length === 0) return result;
  result.channels = channels.length;
  result.units += await resolvePlaylists(deps, channels);

  const policy = {
    targetVideos: config.CHANNEL_POLL_TARGET_VIDEOS,
    minS: config.CHANNEL_POLL_MIN_S,
    maxS: config.CHANNEL_POLL_MAX_S,
    websubFactor: config.WEBSUB_POLL_FACTOR,
  };
  const feedOn = deps.feed !== undefined && config.CHANNEL_FEED_POLL;
  const reads = await mapLimit(channels, PARALLEL, async (c) => {
    const fromFeed = await readFeed(deps, c);
    if (fromFeed) return { seen: fromFeed, firstPage: fromFeed, pages: 0, gone: false, feed: true };
    const r = c.uploadsPlaylistId
      ? await readUploads(deps, c as ClaimedChannel & { uploadsPlaylistId: string })
      : { seen: [], firstPage: [], pages: 0, gone: true };
    return { ...r, feed: false };
  });
  const now = clock.now();
  const outcomes: PollOutcome[] = [];
  const candidates: string[] = [];
  /** New ids a feed listed: they go to the discovery inbox, fetched with the pushes in full batches. */
  const fromFeeds: string[] = [];
  const channelOf = new Map<string, string>();
  channels.forEach((c, i) => {
    const r = reads[i]!;
    result.pages += r.pages;
    result.units += r.pages;
    if (r.feed) result.feeds++;
    if (r.gone) {
      result.gone++;
      outcomes.push({
        channelId: c.channelId,
        newestPublishedAt: null,
        uploadsPerDay: null,
        pollEveryS: c.pollEveryS,
        nextPollAt: new Date(now),
        found: 0,
        units: r.pages,
        gone: true,
      });
      return;
    }
    const watermark = c.newestPublishedAt?.getTime() ?? Number.NEGATIVE_INFINITY;
    for (const s of r.seen)
      if (s.publishedMs > watermark) {
        (r.feed ? fromFeeds : candidates).push(s.videoId);
        channelOf.set(s.videoId, c.channelId);
      }
    const rate = estimateUploadsPerDay(
      r.firstPage.map((s) => s.publishedMs),
      now,
    );
    // With the free feed as the safety net, a subscribed channel is polled at the normal cadence, not
    // WEBSUB_POLL_FACTOR times less often: the next poll most likely reads the feed (no units), and a
    // dropped push is found within about an hour. Polled that often, the feed's 15 entries reach the
    // watermark for all but the most prolific channels, whose polls fall back to the playlist.
    const every = pollIntervalS(rate, policy, c.websubVerified && !feedOn);
    const newest = r.seen.length ? Math.max(...r.seen.map((s) => s.publishedMs)) : null;
    outcomes.push({
      channelId: c.channelId,
      newestPublishedAt: newest === null ? null : new Date(newest),
      uploadsPerDay: rate,
      pollEveryS: every,
      nextPollAt: new Date(now + every * 1000),
      found: 0,
      units: r.pages,
    });
  });

  // Only ids Pleiades has never seen cost a share of a videos.list call.
  const unknown = await unknownVideoIds(pool, candidates);
  // A feed poll runs for a few channels at a time and mostly finds a push or two that was late or
  // dropped: a videos.list call of its own for them would cost about a unit each. The inbox batches
  // them with the pushes (websub-ingest, 50 a unit), recorded as the channel route's finds.
  const feedUnknown = await unknownVideoIds(pool, fromFeeds);
  const { videos, units } = await fetchMetadata(deps, unknown);
  result.units += units;
  const at = clock.now();
  await withTransaction(pool, async (tx) => {
    const fresh = await ingestDiscovered(tx, deps, videos, 'channel', at);
    result.newVideos = fresh.length;
    const perChannel = new Map<string, number>();
    for (const v of fresh) {
      const ch = channelOf.get(v.id) ?? v.channelId;
      perChannel.set(ch, (perChannel.get(ch) ?? 0) + 1);
    }
    for (const o of outcomes) o.found = perChannel.get(o.channelId) ?? 0;
    await addToInbox(
      tx,
      feedUnknown.map((videoId) => ({ videoId, channelId: channelOf.get(videoId)!, route: 'channel' })),
      new Date(at),
    );
    await completePolls(tx, outcomes, job.leaseUntil, new Date(at));
    await recordFound(tx, { route: 'channel', now: at, found: fresh, units: result.units });
  });
  return result;
}
