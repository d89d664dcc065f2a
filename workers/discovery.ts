import { ingestVideoMetadata, type VideoMetadata } from '../src/dao/videos.ts';
import { addToWatchlist } from '../src/dao/watchlist.ts';
import type { Queryable } from '../src/db/pool.ts';
import { isVideoId } from '../src/video-id.ts';
import type { AgentDeps } from './deps.ts';
import { toMetadata } from './hunter.ts';

/**
 * What the channel poller and the WebSub ingest share with the Hunter: the metadata of new ids from
 * videos.list (50 a unit), and the ingest itself — hot rows, watchlist, `video.discovered` events with
 * the route that found them — in the caller's transaction.
 */

/** videos.list for the ids, 50 per call, through Hydra's CHANNEL_POOL. Absent videos are skipped. */
export async function fetchMetadata(
  deps: Pick<AgentDeps, 'hydra' | 'youtube' | 'config'>,
  ids: string[],
): Promise<{ videos: VideoMetadata[]; units: number }> {
  const videos: VideoMetadata[] = [];
  let units = 0;
  const unique = [...new Set(ids)].sort();
  for (let i = 0; i < unique.length; i += 50) {
    const chunk = unique.slice(i, i + 50);
    units++;
    const r = await deps.hydra.call({ pool: deps.config.CHANNEL_POOL, method: 'videos.list' }, (key) =>
      deps.youtube.videosList(key, chunk, ['snippet', 'contentDetails']),
    );
    for (const v of r.items)
      if (isVideoId(v.id) && v.snippet?.publishedAt && v.snippet.channelId) videos.push(toMetadata(v, null));
  }
  return { videos, units };
}

/** Ingests videos as the Hunter does; returns the ones that were new. */
export async function ingestDiscovered(
  tx: Queryable,
  deps: Pick<AgentDeps, 'emit' | 'policy'>,
  videos: VideoMetadata[],
  route: 'channel' | 'websub',
  now: number,
): Promise<VideoMetadata[]> {
  if (videos.length === 0) return [];
  const sorted = [...videos].sort((a, b) => a.id.localeCompare(b.id));
  const newIds = new Set(await ingestVideoMetadata(tx, sorted, new Date(now)));
  await addToWatchlist(tx, sorted, now, deps.policy);
  const fresh = sorted.filter((v) => newIds.has(v.id));
  if (fresh.length)
    await deps.emit(
      'video.discovered',
      fresh.map((v) => ({
        videoId: v.id,
        channelId: v.channelId,
        publishedAt: v.publishedAt.toISOString(),
        route,
      })),
      { tx },
    );
  return fresh;
}
