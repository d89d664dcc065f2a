import { buildFeed } from './websub-feed.ts';
import { isChannelId } from './websub-topic.ts';
import type { World } from './world.ts';

/**
 * YouTube's public uploads feed of a channel, `GET https://www.youtube.com/feeds/videos.xml?channel_id=UC…`:
 * an Atom document of the channel's newest public uploads (YouTube lists 15), with the same entries
 * (`<yt:videoId>`, `<yt:channelId>`, `<title>`, `<published>`) as the hub's pushes. It is not part of the
 * Data API: no key, no quota. Pleiades reads it as the free safety net behind WebSub.
 */

/** Entries YouTube's channel feed lists. */
export const FEED_ENTRIES = 15;
/** How far back (in video indices) a feed request scans for the channel's uploads. */
const FEED_SCAN = 3_000_000;

export const FEED_PATH = '/feeds/videos.xml';
const SELF = 'https://www.youtube.com/feeds/videos.xml';

export interface FeedOptions {
  /**
   * An upload appears in the feed only this long after publication. YouTube serves the feed from a
   * cache, so a new upload shows there later than in the uploads playlist; no figure is published, so
   * the default (15 min) is our assumption, chosen to keep the feed no kinder than the playlist.
   */
  lagMs: number;
}

export const DEFAULT_FEED: FeedOptions = { lagMs: 15 * 60_000 };

/** The feed's XML, or null when the channel is not one of the world's (YouTube answers 404). */
export function channelFeed(world: World, channelId: string, now: number, o = DEFAULT_FEED): string | null {
  if (!isChannelId(channelId)) return null;
  const ch = world.findChannel(channelId);
  if (!ch || ch.id !== channelId) return null;
  const visibleAt = now - o.lagMs;
  const found: number[] = [];
  const end = world.firstIndexAtOrAfter(visibleAt + 1);
  const stop = Math.max(0, end - FEED_SCAN);
  for (let i = end - 1; i >= stop && found.length < FEED_ENTRIES; i--)
    if (world.channelOf(i) === ch.index && world.isVisible(i, now)) found.push(i);
  const entries = found.map((i) => {
    const d = world.details(i);
    return { videoId: d.id, title: d.title, channelTitle: ch.title, publishedAt: new Date(d.publishedAt) };
  });
  return buildFeed(ch.id, `${SELF}?channel_id=${ch.id}`, entries);
}
