import { DAY_MS, pacificDay } from '../clock.ts';
import { type DiscoveryRoute, recordDiscovery } from '../dao/discovery-daily.ts';
import { recordChannelHits } from '../dao/followed-channels.ts';
import type { Queryable } from '../db/pool.ts';

/** Of these new videos, how many were published in the 24 h before `now`. */
export const countFresh = (videos: { publishedAt: Date }[], now: number): number =>
  videos.filter((v) => now - v.publishedAt.getTime() <= DAY_MS).length;

/**
 * A discovery's bookkeeping, in the transaction that stored the videos: the route's figures of the
 * quota day, and for search, a hit for the channel of each new video (the follow policy's input).
 */
export async function recordFound(
  tx: Queryable,
  o: {
    route: DiscoveryRoute;
    now: number;
    /** The new videos (first seen now). */
    found: { channelId: string; publishedAt: Date }[];
    units: number;
    searchCalls?: number;
  },
): Promise<void> {
  if (o.route === 'search')
    await recordChannelHits(
      tx,
      o.found.map((v) => v.channelId),
      new Date(o.now),
    );
  await recordDiscovery(tx, pacificDay(o.now), {
    route: o.route,
    newVideos: o.found.length,
    freshVideos: countFresh(o.found, o.now),
    units: o.units,
    searchCalls: o.searchCalls ?? 0,
  });
}
