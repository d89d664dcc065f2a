import type { Payload } from '../queues/index.ts';
import { HOUR_MS } from '../src/clock.ts';
import {
  addToSearchQueue,
  existingQueries,
  normalizeQuery,
  updateSearchState,
} from '../src/dao/searchQueue.ts';
import { ingestVideoMetadata, type VideoMetadata } from '../src/dao/videos.ts';
import { addToWatchlist } from '../src/dao/watchlist.ts';
import { withTransaction } from '../src/db/pool.ts';
import { snowballQueries } from '../src/snowball.ts';
import { isVideoId } from '../src/videoId.ts';
import { parseDurationSeconds } from '../src/youtube/client.ts';
import type { AgentDeps, VideoItem } from './deps.ts';

export interface HuntResult {
  found: number;
  newVideos: number;
  nextPageToken: string | null;
  snowballed: string[];
}

/**
 * One page of one search query: search.list (search bucket), then videos.list for the page's ids
 * (tags, duration and category that search results lack; 1 unit for up to 50), then in one
 * transaction: the hot rows, the watchlist, `video.discovered` events, snowball queries and the
 * query's page state. Replaying the job is harmless: the page state only moves if it is still at
 * this page, and every write is an idempotent upsert.
 */
export async function hunt(deps: AgentDeps, job: Payload<'hunter'>): Promise<HuntResult> {
  const { config, hydra, youtube, pool, clock } = deps;
  const page = await hydra.call({ pool: 'hunting', method: 'search.list' }, (key) =>
    youtube.searchList(key, {
      q: job.query,
      maxResults: 50,
      order: 'date',
      ...(job.pageToken ? { pageToken: job.pageToken } : {}),
      ...(job.publishedAfter ? { publishedAfter: job.publishedAfter } : {}),
    }),
  );
  const ids = [...new Set(page.items.map((i) => i.id.videoId).filter(isVideoId))];
  const details = ids.length
    ? await hydra.call({ pool: 'hunting', method: 'videos.list' }, (key) =>
        youtube.videosList(key, ids, ['snippet', 'contentDetails']),
      )
    : { items: [] as VideoItem[] };
  const queryId = BigInt(job.queryId);
  const videos = details.items
    .filter((v) => isVideoId(v.id) && v.snippet?.publishedAt)
    .map((v) => toMetadata(v, queryId));
  const now = clock.now();
  const snowballed: string[] = [];
  let newIds: string[] = [];
  const nextPageToken = page.nextPageToken ?? null;
  await withTransaction(pool, async (tx) => {
    newIds = await ingestVideoMetadata(tx, videos, new Date(now));
    await addToWatchlist(tx, videos, now, deps.policy);
    if (newIds.length) {
      const byId = new Map(videos.map((v) => [v.id, v]));
      await deps.emit(
        'video.discovered',
        newIds.map((id) => ({
          videoId: id,
          channelId: byId.get(id)!.channelId,
          publishedAt: byId.get(id)!.publishedAt.toISOString(),
          queryId: job.queryId,
          route: 'search',
        })),
        { tx },
      );
    }
    // Snowball from the first page of a query's first pass only: one derivation per query.
    if (!job.pageToken && !job.publishedAfter && job.depth < config.SNOWBALL_MAX_DEPTH && videos.length) {
      const texts = videos.map((v) => ({ title: v.title, tags: v.tags }));
      const candidates = snowballQueries(job.query, texts, { max: config.SNOWBALL_PER_PARENT * 3 });
      const queued = await existingQueries(tx, candidates.map(normalizeQuery));
      const fresh = candidates
        .filter((c) => !queued.has(normalizeQuery(c)))
        .slice(0, config.SNOWBALL_PER_PARENT);
      const added = await addToSearchQueue(
        tx,
        fresh.map((q) => ({
          query: q,
          origin: 'snowball' as const,
          parentId: queryId,
          depth: job.depth + 1,
          priority: -1 - job.depth,
        })),
        new Date(now),
      );
      snowballed.push(...added.map((q) => q.query));
      if (added.length)
        await deps.emit(
          'query.snowballed',
          [{ parentId: job.queryId, parent: job.query, queries: snowballed, depth: job.depth + 1 }],
          { tx },
        );
    }
    await updateSearchState(tx, {
      id: queryId,
      pageToken: job.pageToken,
      nextPageToken,
      found: newIds.length,
      now: new Date(now),
      maxPages: config.HUNTER_MAX_PAGES,
      rerunAfterMs: config.HUNTER_RERUN_AFTER_H * HOUR_MS,
    });
  });
  return { found: ids.length, newVideos: newIds.length, nextPageToken, snowballed };
}

function toMetadata(v: VideoItem, sourceQueryId: bigint): VideoMetadata {
  const s = v.snippet!;
  const category = Number(s.categoryId);
  return {
    id: v.id,
    channelId: s.channelId ?? '',
    channelTitle: s.channelTitle ?? '',
    title: s.title ?? '',
    description: (s.description ?? '').slice(0, 5000),
    tags: (s.tags ?? []).slice(0, 100),
    categoryId: Number.isInteger(category) ? category : null,
    durationS: v.contentDetails?.duration ? parseDurationSeconds(v.contentDetails.duration) : null,
    publishedAt: new Date(s.publishedAt!),
    sourceQueryId,
  };
}
