import type { Payload } from '../queues/index.ts';
import { DAY_MS, HOUR_MS } from '../src/clock.ts';
import { unknownVideoIds } from '../src/dao/discovery-inbox.ts';
import {
  addToSearchQueue,
  existingQueries,
  normalizeQuery,
  updateSearchState,
} from '../src/dao/search-queue.ts';
import { insertSearchPage } from '../src/dao/search-ranks.ts';
import { ingestVideoMetadata, type VideoMetadata } from '../src/dao/videos.ts';
import { addToWatchlist } from '../src/dao/watchlist.ts';
import { withTransaction } from '../src/db/pool.ts';
import { recordFound } from '../src/discovery/record.ts';
import { noteSpentTrackingQuota } from '../src/observations/incidents.ts';
import { snowballQueries } from '../src/snowball.ts';
import { isVideoId } from '../src/video-id.ts';
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
 * not known yet (tags, duration and category that search results lack; 1 unit for up to 50; every id
 * on a snowball page), then in one
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
  // A query's first page feeds the snowball (titles and tags of every result); on other pages only
  // ids Pleiades does not know yet (not watched, not waiting in the WebSub inbox) are worth a
  // videos.list: with followed channels pushed and polled, most results are known, and the call is
  // skipped altogether when all are.
  const snowballPage = !job.pageToken && !job.publishedAfter && job.depth < config.SNOWBALL_MAX_DEPTH;
  const wanted = snowballPage ? ids : await unknownVideoIds(pool, ids);
  const details = wanted.length
    ? await hydra.call({ pool: 'hunting', method: 'videos.list' }, (key) =>
        youtube.videosList(key, wanted, ['snippet', 'contentDetails']),
      )
    : { items: [] as VideoItem[] };
  const queryId = BigInt(job.queryId);
  const asked = new Set(wanted);
  const videos = details.items
    // Only what was asked for, published when YouTube could have published it.
    .filter((v) => asked.has(v.id) && isPlausiblePublishedAt(v.snippet?.publishedAt, clock.now()))
    .map((v) => toMetadata(v, queryId));
  const now = clock.now();
  const snowballed: string[] = [];
  let newIds: string[] = [];
  const nextPageToken = page.nextPageToken ?? null;
  await withTransaction(pool, async (tx) => {
    newIds = await ingestVideoMetadata(tx, videos, new Date(now));
    await addToWatchlist(tx, videos, now, deps.policy);
    // What YouTube surfaced for the query, in its order (the vault's ranks/).
    await insertSearchPage(tx, {
      queryId,
      query: job.query,
      pageToken: job.pageToken,
      runAt: now,
      order: 'date',
      publishedAfter: job.publishedAfter,
      videoIds: page.items.map((i) => (isVideoId(i.id.videoId) ? i.id.videoId : null)),
    });
    const byId = new Map(videos.map((v) => [v.id, v]));
    // The route's figures of the day, and a hit for each new video's channel (the follow policy's input).
    await recordFound(tx, {
      route: 'search',
      now,
      found: newIds.map((id) => byId.get(id)!),
      units: wanted.length ? 1 : 0,
      searchCalls: 1,
    });
    if (newIds.length) {
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
    if (snowballPage && videos.length) {
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
  // Units spent here may be the tracking pool's last (shared keys): polls it delays are then `quota`.
  await noteSpentTrackingQuota(deps, now);
  return { found: ids.length, newVideos: newIds.length, nextPageToken, snowballed };
}

/**
 * YouTube opened in 2005, and nothing is published tomorrow: any other time is not one YouTube would
 * report (a year 9999 would not even fit the watchlist's minutes).
 */
export function isPlausiblePublishedAt(iso: string | null | undefined, now: number): boolean {
  const t = iso ? Date.parse(iso) : Number.NaN;
  return t >= Date.UTC(2005, 0, 1) && t <= now + DAY_MS;
}

/** Text as stored: no NUL (Postgres text cannot hold it), and far more than YouTube's own limits. */
const text = (s: string | null | undefined, max: number): string =>
  (s ?? '').replaceAll('\u0000', '').slice(0, max);

export function toMetadata(v: VideoItem, sourceQueryId: bigint | null): VideoMetadata {
  const s = v.snippet!;
  const category = Number(s.categoryId);
  return {
    id: v.id,
    channelId: text(s.channelId, 64), // 24 characters at YouTube; the events carry at most 64
    channelTitle: text(s.channelTitle, 1000),
    title: text(s.title, 1000),
    description: text(s.description, 5000),
    tags: (s.tags ?? []).slice(0, 100).map((t) => text(t, 500)),
    categoryId: Number.isInteger(category) ? category : null,
    durationS: v.contentDetails?.duration ? parseDurationSeconds(v.contentDetails.duration) : null,
    publishedAt: new Date(s.publishedAt!),
    sourceQueryId,
  };
}
