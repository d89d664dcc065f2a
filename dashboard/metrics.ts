import { Counter, Gauge, type Metric, Registry } from 'prom-client';
import { QUEUE_NAMES } from '../queues/index.ts';
import { countQueriesByState } from '../src/dao/search-queue.ts';
import { countStaged } from '../src/dao/staging.ts';
import { countFlushedRows } from '../src/dao/vault-flushes.ts';
import { countVideos } from '../src/dao/videos.ts';
import { countDueByTier, countWatchlistByTier, oldestDueLagMs } from '../src/dao/watchlist.ts';
import { type DurationHistogram, readJobDurations } from '../src/metrics/job-durations.ts';
import { capacityMetrics } from './capacity.ts';
import type { DashboardDeps } from './deps.ts';
import { discoveryMetrics } from './discovery.ts';

/**
 * Prometheus metrics of the whole system, not of this process: every figure is read at scrape time
 * from Redis (BullMQ's counts and metrics, Hydra's key state, the job-duration histograms that every
 * worker adds to) or Postgres. Any replica's /metrics therefore tells the same truth, however many
 * worker processes run. A source that cannot be read is reported through pleiades_source_up = 0 and
 * its figures are left out rather than reported as zero.
 */

const JOB_STATES = [
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'waiting-children',
  'completed',
  'failed',
] as const;

/** A histogram whose buckets come from Redis: prom-client's Histogram can only observe. */
class StoredHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  #values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
  constructor(name: string, help: string) {
    this.name = name;
    this.help = help;
  }
  set(byLabel: Record<string, DurationHistogram>, label: string): void {
    this.#values = [];
    for (const [value, h] of Object.entries(byLabel)) {
      for (const b of h.buckets)
        this.#values.push({
          metricName: `${this.name}_bucket`,
          labels: { [label]: value, le: b.le === Number.POSITIVE_INFINITY ? '+Inf' : b.le },
          value: b.count,
        });
      this.#values.push({ metricName: `${this.name}_sum`, labels: { [label]: value }, value: h.sumSeconds });
      this.#values.push({ metricName: `${this.name}_count`, labels: { [label]: value }, value: h.count });
    }
  }
  async get() {
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      values: this.#values,
      aggregator: this.aggregator,
    };
  }
  reset(): void {
    this.#values = [];
  }
}

export interface MetricsEndpoint {
  registry: Registry;
  /** Reads every source and renders the text exposition format. */
  render(): Promise<string>;
  contentType: string;
}

export function createMetrics(deps: DashboardDeps): MetricsEndpoint {
  const registry = new Registry();
  const g = (name: string, help: string, labelNames: string[] = []) =>
    new Gauge({ name, help, labelNames, registers: [registry] });
  const c = (name: string, help: string, labelNames: string[] = []) =>
    new Counter({ name, help, labelNames, registers: [registry] });

  const sourceUp = g('pleiades_source_up', 'Whether the last scrape could read this source (1) or not (0)', [
    'source',
  ]);
  const queueJobs = g('pleiades_queue_jobs', 'Jobs in a BullMQ queue by state', ['queue', 'state']);
  const completed = c('pleiades_queue_jobs_completed_total', 'Jobs completed, all workers (BullMQ metrics)', [
    'queue',
  ]);
  const failed = c('pleiades_queue_jobs_failed_total', 'Jobs failed, all workers (BullMQ metrics)', [
    'queue',
  ]);
  const durations = new StoredHistogram(
    'pleiades_job_duration_seconds',
    'Time a worker spent on a job, all workers (recorded in Redis)',
  );
  registry.registerMetric(durations as unknown as Metric);
  const quotaUsed = g('pleiades_youtube_quota_used', 'YouTube quota spent today (Pacific day) per key pool', [
    'pool',
    'bucket',
  ]);
  const quotaLimit = g('pleiades_youtube_quota_limit', 'YouTube daily quota of the key pool', [
    'pool',
    'bucket',
  ]);
  const keys = g('pleiades_youtube_keys', 'API keys per pool and state (ok, cooling, exhausted, disabled)', [
    'pool',
    'state',
  ]);
  const watchlist = g('pleiades_watchlist_videos', 'Watchlist rows by tier', ['tier']);
  const due = g('pleiades_watchlist_due_videos', 'Watchlist rows due for a snapshot now, by tier', ['tier']);
  const lag = g('pleiades_schedule_lag_seconds', 'How late the most overdue watchlist video is');
  const hot = g('pleiades_videos_hot', 'Rows in the hot videos table');
  const queries = g('pleiades_search_queries', 'Search queue rows by state', ['state']);
  const staged = g('pleiades_vault_staged_rows', 'Snapshots staged in Postgres, not yet in the vault');
  const flushed = c('pleiades_vault_flushed_rows_total', 'Snapshots written to the vault, all flushes');
  // Only where the vault is at hand: an unlabelled metric would otherwise show a made-up 0.
  const vaultBytes = deps.vault ? g('pleiades_vault_size_bytes', 'Bytes of every vault file') : null;

  const up = (source: string, ok: boolean) => sourceUp.set({ source }, ok ? 1 : 0);

  async function fromRedis(): Promise<void> {
    const qs = QUEUE_NAMES.map((n) => deps.queues.get(n));
    const [counts, done, bad, hist] = await Promise.all([
      Promise.all(qs.map((q) => q.getJobCounts(...JOB_STATES))),
      Promise.all(qs.map((q) => q.getMetrics('completed', 0, 0))),
      Promise.all(qs.map((q) => q.getMetrics('failed', 0, 0))),
      readJobDurations(deps.redis, deps.queues.prefix, QUEUE_NAMES),
    ]);
    queueJobs.reset();
    completed.reset();
    failed.reset();
    QUEUE_NAMES.forEach((queue, i) => {
      for (const state of JOB_STATES) queueJobs.set({ queue, state }, counts[i]?.[state] ?? 0);
      completed.inc({ queue }, done[i]?.meta.count ?? 0);
      failed.inc({ queue }, bad[i]?.meta.count ?? 0);
    });
    durations.set(hist, 'queue');
  }

  async function fromPostgres(): Promise<void> {
    const now = deps.clock.now();
    const [byTier, dueByTier, lagMs, videos, byState, stagedRows, flushedRows] = await Promise.all([
      countWatchlistByTier(deps.pool),
      countDueByTier(deps.pool, now),
      oldestDueLagMs(deps.pool, now),
      countVideos(deps.pool),
      countQueriesByState(deps.pool),
      countStaged(deps.pool),
      countFlushedRows(deps.pool),
    ]);
    watchlist.reset();
    due.reset();
    for (const [tier, n] of Object.entries(byTier)) watchlist.set({ tier }, n);
    for (const [tier, n] of Object.entries(dueByTier)) if (tier !== 'GONE') due.set({ tier }, n);
    lag.set(lagMs / 1000);
    hot.set(videos);
    queries.reset();
    for (const state of ['pending', 'paging', 'done', 'disabled'])
      queries.set({ state }, byState[state] ?? 0);
    staged.set(stagedRows);
    flushed.reset();
    flushed.inc(flushedRows);
  }

  async function fromHydra(): Promise<void> {
    if (!deps.hydra) return;
    const list = await deps.hydra.keys();
    quotaUsed.reset();
    quotaLimit.reset();
    keys.reset();
    const pools = new Set(list.map((k) => k.pool));
    for (const pool of pools) {
      const mine = list.filter((k) => k.pool === pool);
      quotaUsed.set(
        { pool, bucket: 'search' },
        mine.reduce((a, k) => a + k.searchUsed, 0),
      );
      quotaUsed.set(
        { pool, bucket: 'units' },
        mine.reduce((a, k) => a + k.unitsUsed, 0),
      );
      quotaLimit.set({ pool, bucket: 'search' }, mine.length * deps.config.HYDRA_SEARCH_QUOTA);
      quotaLimit.set({ pool, bucket: 'units' }, mine.length * deps.config.HYDRA_UNITS_QUOTA);
      for (const state of ['ok', 'cooling', 'exhausted', 'disabled'])
        keys.set({ pool, state }, mine.filter((k) => k.state === state).length);
    }
  }

  async function fromVault(): Promise<void> {
    const v = deps.vault;
    if (!v) return;
    vaultBytes?.set(await v.sizeBytes());
  }

  // An unlabelled metric resets to 0; remove() leaves it without a sample instead.
  const drop = (m: { reset(): void; remove(...a: never[]): void } | null) => () => {
    m?.reset();
    m?.remove();
  };
  /** Each source, and what to clear when it cannot be read (no stale figure is served as current). */
  const sources: [string, () => Promise<void>, (() => void)[]][] = [
    [
      'redis',
      fromRedis,
      [() => queueJobs.reset(), () => completed.reset(), () => failed.reset(), () => durations.reset()],
    ],
    [
      'postgres',
      fromPostgres,
      [
        () => watchlist.reset(),
        () => due.reset(),
        drop(lag),
        drop(hot),
        () => queries.reset(),
        drop(staged),
        drop(flushed),
      ],
    ],
  ];
  if (deps.hydra)
    sources.push([
      'hydra',
      fromHydra,
      [() => quotaUsed.reset(), () => quotaLimit.reset(), () => keys.reset()],
    ]);
  if (deps.vault) sources.push(['vault', fromVault, [drop(vaultBytes)]]);
  const discovery = discoveryMetrics(registry, deps);
  sources.push(['discovery', discovery.read, discovery.clear]);
  const capacity = capacityMetrics(registry, deps);
  sources.push(['capacity', capacity.read, capacity.clear]);

  return {
    registry,
    contentType: registry.contentType,
    async render() {
      const results = await Promise.allSettled(sources.map(([, f]) => f()));
      results.forEach((r, i) => {
        const [source] = sources[i]!;
        up(source, r.status === 'fulfilled');
        if (r.status === 'rejected') {
          for (const clear of sources[i]![2]) clear();
          deps.log.warn({ source, err: String(r.reason) }, 'metrics source failed');
        }
      });
      return registry.metrics();
    },
  };
}
