import { upsertChannels } from '../src/dao/channels.ts';
import { toCount } from '../src/youtube/client.ts';
import type { AgentDeps, ChannelItem } from './deps.ts';

/**
 * channels.list for these channels (50 a unit, through Hydra) into the `channels` cache; the Painter
 * and the channel poller share it. Returns the answers and the units spent.
 */
export async function refreshChannels(
  deps: Pick<AgentDeps, 'hydra' | 'youtube' | 'pool'>,
  ids: string[],
  opts: { keyPool: string; now: Date },
): Promise<{ items: ChannelItem[]; units: number }> {
  const items: ChannelItem[] = [];
  let units = 0;
  for (let i = 0; i < ids.length; i += 50) {
    const chunk = ids.slice(i, i + 50);
    units++;
    const answer = await deps.hydra.call({ pool: opts.keyPool, method: 'channels.list' }, (key) =>
      deps.youtube.channelsList(key, chunk),
    );
    await upsertChannels(
      deps.pool,
      answer.items.map((c) => ({
        channelId: c.id,
        title: c.snippet?.title ?? '',
        country: c.snippet?.country ?? null,
        subscriberCount: toCount(c.statistics?.subscriberCount ?? undefined),
        videoCount: toCount(c.statistics?.videoCount ?? undefined),
        viewCount: toCount(c.statistics?.viewCount ?? undefined),
        uploadsPlaylistId: c.contentDetails?.relatedPlaylists?.uploads ?? null,
      })),
      opts.now,
    );
    items.push(...answer.items);
  }
  return { items, units };
}
