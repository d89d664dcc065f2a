import type { Queryable } from '../db/pool.ts';

/**
 * Per quota day and discovery route: new videos found (and of those, published in the 24 h before),
 * shared-bucket units and search.list calls spent (sql/004_channels.sql).
 */

export type DiscoveryRoute = 'search' | 'channel' | 'websub';
export const DISCOVERY_ROUTES: DiscoveryRoute[] = ['search', 'channel', 'websub'];

export interface RouteDay {
  route: DiscoveryRoute;
  newVideos: number;
  freshVideos: number;
  units: number;
  searchCalls: number;
}

/** Adds one ingest's figures to its route's row of `day` (YYYY-MM-DD, the Pacific quota day). */
export async function recordDiscovery(db: Queryable, day: string, r: RouteDay): Promise<void> {
  if (r.newVideos === 0 && r.freshVideos === 0 && r.units === 0 && r.searchCalls === 0) return;
  await db.query(
    `INSERT INTO discovery_daily AS d (day, route, new_videos, fresh_videos, units, search_calls)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (day, route) DO UPDATE SET new_videos = d.new_videos + EXCLUDED.new_videos,
       fresh_videos = d.fresh_videos + EXCLUDED.fresh_videos, units = d.units + EXCLUDED.units,
       search_calls = d.search_calls + EXCLUDED.search_calls`,
    [day, r.route, r.newVideos, r.freshVideos, r.units, r.searchCalls],
  );
}

/** Every route's figures of `day`; routes without a row are zeros. */
export async function discoveryOnDay(db: Queryable, day: string): Promise<Record<DiscoveryRoute, RouteDay>> {
  const r = await db.query(
    `SELECT route, new_videos, fresh_videos, units, search_calls FROM discovery_daily WHERE day = $1`,
    [day],
  );
  const out = Object.fromEntries(
    DISCOVERY_ROUTES.map((route) => [
      route,
      { route, newVideos: 0, freshVideos: 0, units: 0, searchCalls: 0 },
    ]),
  ) as Record<DiscoveryRoute, RouteDay>;
  for (const x of r.rows)
    if (x.route in out)
      out[x.route as DiscoveryRoute] = {
        route: x.route,
        newVideos: x.new_videos,
        freshVideos: x.fresh_videos,
        units: x.units,
        searchCalls: x.search_calls,
      };
  return out;
}
