import { DEFAULT_FEED, type FeedOptions } from './channel-feed.ts';
import { type Clock, systemClock } from './clock.ts';
import { FaultInjector, type Faults } from './faults.ts';
import { type HubOptions, WebSubHub } from './hub.ts';
import { type LatencyModel, latencySampler } from './latency.ts';
import { KeyRateLimiter, PacificDays, QuotaLedger } from './quota.ts';
import { DEFAULT_DAILY_QUOTA } from './quota-costs.ts';
import { SearchIndex } from './search.ts';
import { type SearchRealismOption, searchRealism } from './search-realism.ts';
import { listen } from './server.ts';
import { type SimulatorStats, StatsRecorder } from './stats.ts';
import { type VideoState, World, type WorldOptions } from './world.ts';

/**
 * A YouTube Data API v3 stand-in: the product's default "YouTube" when no keys are configured, and
 * the YouTube of every test. It speaks YouTube's endpoints and JSON, counts quota as YouTube does and
 * fails as YouTube fails (invalid key, quotaExceeded, rateLimitExceeded, 5xx, hangs).
 */

export type { Faults } from './faults.ts';
export type { HubOptions, HubStats, WebSubHub } from './hub.ts';
export type { LatencyModel, MethodLatency } from './latency.ts';
export { YOUTUBE_LATENCY } from './latency.ts';
export type { LiveBroadcastContent, LiveSchedule } from './live.ts';
export type { SearchRealism, SearchRealismOption } from './search-realism.ts';
export type { KeyDayStats, SimulatorStats } from './stats.ts';
export type { VideoState, WorldOptions } from './world.ts';
export { World } from './world.ts';

export interface SimulatorOptions {
  /** 0 (default): a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 42: the synthetic world is a pure function of the seed (and world.originMs). */
  seed?: number;
  /** Default the system clock; a ManualClock or ScaledClock lets tests and demos move time. */
  clock?: Clock;
  /** The valid API keys; any other key gets YouTube's invalid-key 400. Omitted: every key is valid. */
  keys?: string[];
  /** search.list calls per key and Pacific day (default 100). */
  searchQuota?: number;
  /** Shared-bucket units per key and Pacific day (default 10,000). */
  unitsQuota?: number;
  /** search.list costs 100 units of the shared bucket (the model before June 2026). */
  legacyQuota?: boolean;
  /** Requests per second per key before 403 rateLimitExceeded (default: unlimited). */
  keyRps?: number;
  faults?: Faults;
  /**
   * How long answers take: 'youtube' (per-method medians and long tails like YouTube's, latency.ts),
   * a model of one's own, or 'off' (the default: answers at once, as tests want).
   */
  latency?: 'youtube' | 'off' | LatencyModel;
  world?: Partial<WorldOptions>;
  /**
   * How imperfect search is (docs/simulator.md): 'realistic' (default: indexing delay, fuzzy relevance,
   * estimated totals, channels and playlists in untyped results) or 'perfect' (unit tests).
   */
  search?: SearchRealismOption;
  /** A WebSub hub at `/websub/hub` for the simulated channels (docs/simulator.md); default on. */
  hub?: boolean | HubOptions;
  /** The channels' public Atom feeds at `/feeds/videos.xml?channel_id=` (no key, no quota; channel-feed.ts). */
  feed?: Partial<FeedOptions>;
}

export interface Simulator {
  /** e.g. http://127.0.0.1:PORT — the client's rootUrl; endpoints at `${url}/youtube/v3/...`. */
  url: string;
  clock: Clock;
  /** Per key fingerprint and Pacific day: calls per method, units and search calls charged, errors. */
  stats(): SimulatorStats;
  resetStats(): void;
  setFaults(f: Faults): void;
  addKey(key: string): void;
  setVideoState(id: string, s: VideoState): void;
  /** The owner renames a video (the hub pushes the update). */
  setVideoTitle(id: string, title: string): void;
  world: World;
  /** The WebSub hub (`${url}/websub/hub`), unless turned off. */
  hub: WebSubHub | null;
  close(): Promise<void>;
}

export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const clock = opts.clock ?? systemClock;
  const seed = opts.seed ?? 42;
  const world = new World(seed, opts.world ?? {}, clock.now());
  const stats = new StatsRecorder();
  const days = new PacificDays();
  const faults = new FaultInjector(opts.faults ?? {}, seed);
  const keys = opts.keys ? new Set(opts.keys) : null;
  const state = {
    world,
    search: new SearchIndex(world, 1000, searchRealism(opts.search)),
    clock,
    ledger: new QuotaLedger({
      searchQuota: opts.searchQuota ?? DEFAULT_DAILY_QUOTA.search,
      unitsQuota: opts.unitsQuota ?? DEFAULT_DAILY_QUOTA.units,
      legacy: opts.legacyQuota ?? false,
    }),
    limiter: new KeyRateLimiter(opts.keyRps),
    faults,
    stats,
    days,
    keys,
    latency: latencySampler(opts.latency, seed),
    feed: { ...DEFAULT_FEED, ...opts.feed },
    hub: opts.hub === false ? null : new WebSubHub(world, clock, opts.hub === true ? {} : (opts.hub ?? {})),
  };
  const { server, url } = await listen(state, opts.port ?? 0, opts.host ?? '127.0.0.1');
  return {
    url,
    clock,
    world,
    stats: () => stats.snapshot(days.of(clock.now()), clock.now()),
    resetStats: () => stats.reset(),
    setFaults: (f) => faults.set(f),
    addKey: (key) => {
      state.keys?.add(key);
    },
    setVideoState: (id, s) => world.setVideoState(id, s),
    setVideoTitle: (id, title) => world.setVideoTitle(id, title),
    hub: state.hub,
    close: () =>
      new Promise<void>((resolve, reject) => {
        state.hub?.close();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
