import type { Queryable } from '../db/pool.ts';
import { bigIntToVideoId } from '../video-id.ts';

/**
 * Read-only figures for the dashboard. Nothing here writes. Every query is bounded by a time window on
 * an indexed column, or is a count the dashboard caches briefly.
 */

export interface HourCount {
  /** Start of the hour, ms since the epoch. */
  hour: number;
  count: number;
}

/** Videos first ingested per hour in [from, to): the discovery rate (hot table, indexed by discovered_at). */
export async function discoveriesPerHour(db: Queryable, from: number, to: number): Promise<HourCount[]> {
  const r = await db.query<{ h: Date; n: number }>(
    `SELECT date_trunc('hour', discovered_at) AS h, count(*)::int AS n FROM videos
     WHERE discovered_at >= $1 AND discovered_at < $2 GROUP BY 1 ORDER BY 1`,
    [new Date(from), new Date(to)],
  );
  return r.rows.map((x) => ({ hour: x.h.getTime(), count: x.n }));
}

/**
 * Snapshots per hour in [from, to): those still staged by the hour they were taken, plus those already
 * flushed to the vault by the hour their flush finished (a flush deletes its staged rows in the
 * transaction that finishes it, so no snapshot is counted twice; a flushed one is placed at most one
 * flush interval late).
 */
export async function snapshotsPerHour(db: Queryable, from: number, to: number): Promise<HourCount[]> {
  const r = await db.query<{ h: Date; n: number }>(
    `SELECT h, sum(n)::float8 AS n FROM (
       SELECT date_trunc('hour', taken_at) AS h, count(*) AS n FROM staging
       WHERE taken_at >= $1 AND taken_at < $2 GROUP BY 1
       UNION ALL
       SELECT date_trunc('hour', finished_at), sum(rows) FROM vault_flushes
       WHERE kind = 'metrics' AND finished_at >= $1 AND finished_at < $2 GROUP BY 1) x
     GROUP BY h ORDER BY h`,
    [new Date(from), new Date(to)],
  );
  return r.rows.map((x) => ({ hour: x.h.getTime(), count: x.n }));
}

export interface GrowingVideo {
  videoId: string;
  title: string;
  channelTitle: string;
  publishedAt: number;
  /** Views at the latest snapshot within the video's first day. */
  views: bigint;
  /** Views gained per hour between its first snapshot and that one (the Scribe's early velocity). */
  viewsPerHour: number;
  measuredAt: number;
}

/**
 * The hot videos that grew fastest in their first day, among those measured since `since`. Bounded by
 * the hot table's discovered_at index (a video measured in its first day was discovered at most a day
 * or two earlier), then the features primary key.
 */
export async function fastestGrowing(
  db: Queryable,
  opts: { since: number; discoveredSince: number; limit: number },
): Promise<GrowingVideo[]> {
  const r = await db.query(
    `SELECT v.id, v.title, coalesce(c.title, '') AS channel_title, v.published_at, f.early_views,
            f.early_views_at, f.early_views_per_hour::float8 AS per_hour
     FROM videos v JOIN features f ON f.video_id = v.id JOIN channels c ON c.key = v.channel_key
     WHERE v.discovered_at >= $2 AND f.early_views_at >= $1 AND f.early_views_per_hour IS NOT NULL
     ORDER BY f.early_views_per_hour DESC, v.id
     LIMIT $3`,
    [new Date(opts.since), new Date(opts.discoveredSince), opts.limit],
  );
  return r.rows.map((x) => ({
    videoId: bigIntToVideoId(x.id),
    title: x.title,
    channelTitle: x.channel_title,
    publishedAt: (x.published_at as Date).getTime(),
    views: x.early_views,
    viewsPerHour: x.per_hour,
    measuredAt: (x.early_views_at as Date).getTime(),
  }));
}

export interface RecentQuery {
  id: bigint;
  query: string;
  state: string;
  origin: string;
  priority: number;
  resultsFound: number;
  createdAt: number;
  lastRunAt: number | null;
}

/** The newest queries of the search queue (the overview lists them: a query added by hand shows up). */
export async function recentQueries(db: Queryable, limit: number): Promise<RecentQuery[]> {
  const r = await db.query(
    `SELECT id, query, state, origin, priority, results_found, created_at, last_run_at
     FROM search_queue ORDER BY id DESC LIMIT $1`,
    [limit],
  );
  return r.rows.map((x) => ({
    id: x.id,
    query: x.query,
    state: x.state,
    origin: x.origin,
    priority: x.priority,
    resultsFound: x.results_found,
    createdAt: (x.created_at as Date).getTime(),
    lastRunAt: x.last_run_at ? (x.last_run_at as Date).getTime() : null,
  }));
}
