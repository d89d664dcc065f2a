import { DAY_MS, HOUR_MS } from '../src/clock.ts';
import { countQueriesByState } from '../src/dao/search-queue.ts';
import { countStaged } from '../src/dao/staging.ts';
import {
  discoveriesPerHour,
  fastestGrowing,
  type HourCount,
  recentQueries,
  snapshotsPerHour,
} from '../src/dao/stats.ts';
import { countFlushedRows } from '../src/dao/vault-flushes.ts';
import { countVideos } from '../src/dao/videos.ts';
import { countDueByTier, countWatchlistByTier, oldestDueLagMs } from '../src/dao/watchlist.ts';
import type { TierName } from '../src/tiers.ts';
import type { DashboardDeps, KeyView } from './deps.ts';

/** What /api/stats answers (and the overview page draws). Times are ISO strings, ids YouTube's. */
export interface Stats {
  /** The system clock's now: simulated time in the demo. */
  generatedAt: string;
  /** Simulated seconds per real second: above 1 in the demo (`start` without keys). */
  speed: number;
  videos: { hot: number; discoveredLastHour: number; discoveredLast24h: number };
  watchlist: {
    total: number;
    byTier: Record<TierName, number>;
    dueByTier: Record<TierName, number>;
    scheduleLagSeconds: number;
  };
  searchQueries: { byState: Record<string, number>; recent: RecentQueryView[] };
  snapshots: { today: number; lastHour: number; perHour: HourPoint[] };
  discovery: { perHour: HourPoint[] };
  vault: { stagedRows: number; flushedRows: number; sizeBytes: number | null };
  quota: PoolQuota[] | null;
  fastestGrowing: GrowingView[];
}

export interface HourPoint {
  hour: string;
  count: number;
}

export interface RecentQueryView {
  id: string;
  query: string;
  state: string;
  origin: string;
  priority: number;
  resultsFound: number;
  createdAt: string;
  lastRunAt: string | null;
}

export interface PoolQuota {
  pool: string;
  keys: number;
  keysByState: Record<string, number>;
  searchUsed: number;
  searchQuota: number;
  unitsUsed: number;
  unitsQuota: number;
}

export interface GrowingView {
  videoId: string;
  title: string;
  channelTitle: string;
  publishedAt: string;
  views: string;
  viewsPerHour: number;
  measuredAt: string;
}

/** Fills the hours of [from, to) that had nothing with zeros, so charts have an even axis. */
export function hourSeries(rows: HourCount[], from: number, to: number): HourPoint[] {
  const byHour = new Map(rows.map((r) => [r.hour, r.count]));
  const out: HourPoint[] = [];
  for (let h = Math.floor(from / HOUR_MS) * HOUR_MS; h < to; h += HOUR_MS)
    out.push({ hour: new Date(h).toISOString(), count: byHour.get(h) ?? 0 });
  return out;
}

/** Quota used today per pool, from Hydra's key states (fingerprints only). */
export function quotaByPool(keys: KeyView[], searchQuota: number, unitsQuota: number): PoolQuota[] {
  const pools = new Map<string, PoolQuota>();
  for (const k of keys) {
    let p = pools.get(k.pool);
    if (!p) {
      p = {
        pool: k.pool,
        keys: 0,
        keysByState: {},
        searchUsed: 0,
        searchQuota: 0,
        unitsUsed: 0,
        unitsQuota: 0,
      };
      pools.set(k.pool, p);
    }
    p.keys += 1;
    p.keysByState[k.state] = (p.keysByState[k.state] ?? 0) + 1;
    p.searchUsed += k.searchUsed;
    p.unitsUsed += k.unitsUsed;
    p.searchQuota += searchQuota;
    p.unitsQuota += unitsQuota;
  }
  return [...pools.values()].sort((a, b) => a.pool.localeCompare(b.pool));
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

async function optional<T>(f: (() => Promise<T>) | undefined): Promise<T | null> {
  return f ? f() : null;
}

export async function computeStats(deps: DashboardDeps): Promise<Stats> {
  const { pool, clock, config } = deps;
  const now = clock.now();
  const dayAgo = now - DAY_MS;
  const hourStart = Math.floor(now / HOUR_MS) * HOUR_MS;
  const windowStart = hourStart - 23 * HOUR_MS;
  const utcMidnight = Math.floor(now / DAY_MS) * DAY_MS;
  const [
    hot,
    byTier,
    dueByTier,
    lagMs,
    byState,
    recent,
    discovered,
    snapshots,
    snapshotsToday,
    staged,
    flushed,
    sizeBytes,
    keys,
    growing,
  ] = await Promise.all([
    countVideos(pool),
    countWatchlistByTier(pool),
    countDueByTier(pool, now),
    oldestDueLagMs(pool, now),
    countQueriesByState(pool),
    recentQueries(pool, 12),
    discoveriesPerHour(pool, windowStart, now + 1),
    snapshotsPerHour(pool, windowStart, now + 1),
    snapshotsPerHour(pool, utcMidnight, now + 1),
    countStaged(pool),
    countFlushedRows(pool),
    optional(deps.vault && (() => deps.vault!.sizeBytes())),
    optional(deps.hydra && (() => deps.hydra!.keys())),
    fastestGrowing(pool, { since: dayAgo, discoveredSince: now - 3 * DAY_MS, limit: 10 }),
  ]);
  const discoveryPerHour = hourSeries(discovered, windowStart, now + 1);
  const snapshotSeries = hourSeries(snapshots, windowStart, now + 1);
  return {
    generatedAt: new Date(now).toISOString(),
    speed: deps.speed ?? 1,
    videos: {
      hot,
      discoveredLastHour: discoveryPerHour.at(-1)?.count ?? 0,
      discoveredLast24h: sum(discoveryPerHour.map((p) => p.count)),
    },
    watchlist: {
      total: sum(Object.values(byTier)),
      byTier,
      dueByTier,
      scheduleLagSeconds: Math.round(lagMs / 1000),
    },
    searchQueries: {
      byState,
      recent: recent.map((q) => ({
        id: String(q.id),
        query: q.query,
        state: q.state,
        origin: q.origin,
        priority: q.priority,
        resultsFound: q.resultsFound,
        createdAt: new Date(q.createdAt).toISOString(),
        lastRunAt: q.lastRunAt === null ? null : new Date(q.lastRunAt).toISOString(),
      })),
    },
    snapshots: {
      today: sum(snapshotsToday.map((r) => r.count)),
      lastHour: snapshotSeries.at(-1)?.count ?? 0,
      perHour: snapshotSeries,
    },
    discovery: { perHour: discoveryPerHour },
    vault: { stagedRows: staged, flushedRows: flushed, sizeBytes },
    quota: keys ? quotaByPool(keys, config.HYDRA_SEARCH_QUOTA, config.HYDRA_UNITS_QUOTA) : null,
    fastestGrowing: growing.map((g) => ({
      videoId: g.videoId,
      title: g.title,
      channelTitle: g.channelTitle,
      publishedAt: new Date(g.publishedAt).toISOString(),
      views: String(g.views),
      viewsPerHour: Math.round(g.viewsPerHour * 10) / 10,
      measuredAt: new Date(g.measuredAt).toISOString(),
    })),
  };
}

/** Reuses an answer for `ttlMs` and never runs two computations at once (several tabs, one database). */
export function cached<T>(ttlMs: number, compute: () => Promise<T>): () => Promise<T> {
  let last: { at: number; value: T } | null = null;
  let running: Promise<T> | null = null;
  return () => {
    if (last && Date.now() - last.at < ttlMs) return Promise.resolve(last.value);
    running ??= compute()
      .then((value) => {
        last = { at: Date.now(), value };
        return value;
      })
      .finally(() => {
        running = null;
      });
    return running;
  };
}
