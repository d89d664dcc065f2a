import { HOUR_MS, nextPacificMidnight, pacificDay } from '../clock.ts';
import type { Config } from '../config/index.ts';
import { readCapacityState } from '../dao/capacity.ts';
import { discoveryOnDay } from '../dao/discovery-daily.ts';
import type { Queryable } from '../db/pool.ts';

/**
 * The discovery budget: each Pacific day's shared-bucket units split between search (the videos.list
 * of each result page; search.list itself has a bucket of its own), channel polling with WebSub
 * (known producers) and tracking (everything else on the pool: the tracker, and the Painter's
 * enrichment), by configurable shares and by what remains in each Hydra pool.
 *
 * Shares are normalised among the routes that draw on the same key pool: with one pool the three
 * shares split it; with `hunting` and `tracking` pools, search and channels split `hunting` and
 * tracking has its pool to itself. A route's allowance is its planned units minus what it spent today,
 * never more than the pool has left. Channel polling is also paced: by a fraction f of the quota day
 * it may have spent its plan × (f + DISCOVERY_PACE_SLACK), so polls spread over the day instead of
 * spending the share at midnight.
 */

export type BudgetRoute = 'search' | 'channels' | 'tracking';
export const BUDGET_ROUTES: BudgetRoute[] = ['search', 'channels', 'tracking'];

export interface KeyUsage {
  pool: string;
  state: string;
  searchUsed: number;
  unitsUsed: number;
}

/** What the planner reads from Hydra: the real Hydra (and the dashboard's view of it) has both. */
export interface QuotaSource {
  keys(): Promise<KeyUsage[]>;
  remaining(pool?: string): Promise<{ search: number; units: number }>;
}

export interface BudgetInput {
  now: number;
  shares: Record<BudgetRoute, number>;
  /** The pool each route asks Hydra for (`hunting`, CHANNEL_POOL, `tracking`), before resolution. */
  wantedPools: Record<BudgetRoute, string>;
  keys: KeyUsage[];
  /** What Hydra says is left today, per resolved pool. */
  remaining: Record<string, { search: number; units: number }>;
  /** Units spent today by search (videos.list of result pages) and channels (polling and WebSub). */
  spent: { search: number; channels: number };
  unitsPerKey: number;
  searchPerKey: number;
  paceSlack: number;
  /**
   * The capacity check found the tracking pool overloaded under the `demote` policy
   * (src/capacity/check.ts): search and channel polling get no units, so discovery stops adding
   * videos the pool cannot afford (WebSub pushes are still taken in).
   */
  discoveryPaused?: boolean;
}

export interface PoolBudget {
  pool: string;
  keys: number;
  units: { quota: number; used: number; remaining: number };
  search: { quota: number; used: number; remaining: number };
}

export interface RouteBudget {
  route: BudgetRoute;
  pool: string;
  /** The share of the pool's units, normalised among the routes on that pool. */
  share: number;
  plannedUnits: number;
  spentUnits: number;
  /** Units the route may still spend today. */
  allowanceUnits: number;
  /** Units it may spend now, at an even pace through the day (what channel-dispatch uses). */
  pacedAllowanceUnits: number;
}

export interface BudgetPlan {
  day: string;
  /** Fraction of the Pacific quota day gone by. */
  dayElapsed: number;
  resetAt: string;
  pools: PoolBudget[];
  routes: Record<BudgetRoute, RouteBudget>;
  /** Search and channel polling get no units: the tracking pool is overloaded (`demote` policy). */
  discoveryPaused: boolean;
}

/** Hydra's rule (src/hydra/pools.ts) over the pool names in use: the pool itself, else `default`, else the first. */
export function resolvePoolName(names: string[], wanted: string): string {
  if (names.includes(wanted)) return wanted;
  if (names.includes('default')) return 'default';
  return names[0] ?? wanted;
}

/** The start of the Pacific day `now` falls in (23 or 25 hours long around DST changes). */
export function pacificDayStart(now: number): number {
  return nextPacificMidnight(nextPacificMidnight(now) - 26 * HOUR_MS);
}

const clamp = (x: number, lo: number, hi: number): number => Math.max(lo, Math.min(hi, x));

export function planBudget(input: BudgetInput): BudgetPlan {
  const names = [...new Set(input.keys.map((k) => k.pool))];
  const poolOf = Object.fromEntries(
    BUDGET_ROUTES.map((r) => [r, resolvePoolName(names, input.wantedPools[r])]),
  ) as Record<BudgetRoute, string>;
  const start = pacificDayStart(input.now);
  const reset = nextPacificMidnight(input.now);
  const dayElapsed = clamp((input.now - start) / Math.max(1, reset - start), 0, 1);

  const pools: PoolBudget[] = [...new Set(Object.values(poolOf))].map((pool) => {
    const keys = input.keys.filter((k) => k.pool === pool);
    const usable = keys.filter((k) => k.state !== 'disabled').length;
    const left = input.remaining[pool] ?? { search: 0, units: 0 };
    return {
      pool,
      keys: keys.length,
      units: {
        quota: usable * input.unitsPerKey,
        used: keys.reduce((a, k) => a + k.unitsUsed, 0),
        remaining: left.units,
      },
      search: {
        quota: usable * input.searchPerKey,
        used: keys.reduce((a, k) => a + k.searchUsed, 0),
        remaining: left.search,
      },
    };
  });
  const poolByName = new Map(pools.map((p) => [p.pool, p]));

  const spentOf = (route: BudgetRoute): number => {
    if (route === 'search') return input.spent.search;
    if (route === 'channels') return input.spent.channels;
    // Tracking's spend is what the pool used minus what the other routes on it spent (Hydra counts
    // per key, not per route; search and channel units are counted where they are spent).
    const p = poolByName.get(poolOf.tracking)!;
    const others = BUDGET_ROUTES.filter((r) => r !== 'tracking' && poolOf[r] === poolOf.tracking).reduce(
      (a, r) => a + spentOf(r),
      0,
    );
    return Math.max(0, p.units.used - others);
  };

  const routes = {} as Record<BudgetRoute, RouteBudget>;
  for (const route of BUDGET_ROUTES) {
    const pool = poolOf[route];
    const p = poolByName.get(pool)!;
    const peers = BUDGET_ROUTES.filter((r) => poolOf[r] === pool);
    const total = peers.reduce((a, r) => a + input.shares[r], 0);
    const share = total > 0 ? input.shares[route] / total : 1 / peers.length;
    const plannedUnits = Math.round(share * p.units.quota);
    const spentUnits = spentOf(route);
    const pace = Math.min(1, dayElapsed + input.paceSlack);
    const paused = input.discoveryPaused === true && route !== 'tracking';
    routes[route] = {
      route,
      pool,
      share,
      plannedUnits,
      spentUnits,
      allowanceUnits: paused ? 0 : Math.floor(clamp(plannedUnits - spentUnits, 0, p.units.remaining)),
      pacedAllowanceUnits: paused
        ? 0
        : Math.floor(clamp(plannedUnits * pace - spentUnits, 0, p.units.remaining)),
    };
  }
  return {
    day: pacificDay(input.now),
    dayElapsed,
    resetAt: new Date(reset).toISOString(),
    pools,
    routes,
    discoveryPaused: input.discoveryPaused === true,
  };
}

/** Today's plan from Hydra's key state and the routes' recorded spend; null without any key. */
export async function currentBudget(deps: {
  pool: Queryable;
  config: Config;
  now: number;
  hydra: QuotaSource;
}): Promise<BudgetPlan | null> {
  const { config, now } = deps;
  const keys = await deps.hydra.keys();
  if (keys.length === 0) return null;
  const names = [...new Set(keys.map((k) => k.pool))];
  const wantedPools: Record<BudgetRoute, string> = {
    search: 'hunting',
    channels: config.CHANNEL_POOL,
    tracking: 'tracking',
  };
  const used = [...new Set(BUDGET_ROUTES.map((r) => resolvePoolName(names, wantedPools[r])))];
  const [lefts, day, capacity] = await Promise.all([
    Promise.all(used.map((p) => deps.hydra.remaining(p))),
    discoveryOnDay(deps.pool, pacificDay(now)),
    readCapacityState(deps.pool),
  ]);
  return planBudget({
    now,
    shares: {
      search: config.DISCOVERY_SHARE_SEARCH,
      channels: config.DISCOVERY_SHARE_CHANNELS,
      tracking: config.DISCOVERY_SHARE_TRACKING,
    },
    wantedPools,
    keys,
    remaining: Object.fromEntries(used.map((p, i) => [p, lefts[i]!])),
    spent: { search: day.search.units, channels: day.channel.units + day.websub.units },
    unitsPerKey: config.HYDRA_UNITS_QUOTA,
    searchPerKey: config.HYDRA_SEARCH_QUOTA,
    paceSlack: config.DISCOVERY_PACE_SLACK,
    discoveryPaused: config.TRACKER_OVERLOAD_POLICY === 'demote' && capacity.overloaded,
  });
}

/** Units per new video (null before a route found anything): the cost figure of each route. */
export const unitsPerNewVideo = (units: number, newVideos: number): number | null =>
  newVideos > 0 ? Math.round((units / newVideos) * 1000) / 1000 : null;
