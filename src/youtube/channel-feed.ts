import { MalformedResponseError, YouTubeApiError } from '../errors/index.ts';
import { type FeedEntry, parseFeed } from '../websub/feed.ts';

/**
 * YouTube's public uploads feed of a channel, `GET <root>/feeds/videos.xml?channel_id=UC…`: an Atom
 * document of the channel's newest uploads (15 on YouTube). It is not the Data API — no key, no quota
 * — so it does not go through Hydra (which meters keys and their quota); nothing secret is sent. The
 * channel poller reads it as the free safety net behind WebSub (workers/channel-poll.ts).
 */

/** A feed lists a handful of entries; anything bigger is not YouTube's feed. */
const MAX_FEED_BYTES = 512 * 1024;

export interface ChannelFeedReader {
  /** The channel's newest uploads as the feed lists them, or null when YouTube does not know the channel (404). */
  read(channelId: string): Promise<FeedEntry[] | null>;
}

export function createChannelFeedReader(opts: { rootUrl: string; timeoutMs: number }): ChannelFeedReader {
  const base = `${opts.rootUrl.replace(/\/+$/, '')}/feeds/videos.xml`;
  return {
    async read(channelId) {
      const url = `${base}?channel_id=${encodeURIComponent(channelId)}`;
      let res: Response;
      try {
        res = await fetch(url, { signal: AbortSignal.timeout(opts.timeoutMs), redirect: 'follow' });
      } catch (err) {
        throw new YouTubeApiError(0, 'feedUnreachable', `channel feed: ${(err as Error).message}`, {
          cause: err,
        });
      }
      if (res.status === 404) {
        await res.body?.cancel();
        return null;
      }
      if (!res.ok) {
        await res.body?.cancel();
        throw new YouTubeApiError(res.status, 'feedError', `channel feed: HTTP ${res.status}`);
      }
      const xml = await readCapped(res, MAX_FEED_BYTES);
      let entries: FeedEntry[];
      try {
        const feed = parseFeed(xml);
        if (feed.channelId !== channelId) throw new Error(`the feed is of ${feed.channelId}`);
        entries = feed.entries;
      } catch (err) {
        throw new MalformedResponseError(`channel feed: ${(err as Error).message}`, { cause: err });
      }
      return entries;
    },
  };
}

async function readCapped(res: Response, max: number): Promise<string> {
  const reader = res.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw new MalformedResponseError(`channel feed: over ${max} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
