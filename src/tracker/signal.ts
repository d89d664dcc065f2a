import type { CapacityHint } from '../capacity/overload.ts';
import type { Clock } from '../clock.ts';
import type { Config } from '../config/index.ts';
import type { CompletionRows } from '../dao/tracker-completion.ts';
import type { Pool, Queryable } from '../db/pool.ts';
import type { Observation } from '../observations/observation.ts';
import type { AnyTableSpec, VaultLog } from '../vault/schema.ts';
import type { VideoPart } from '../youtube/client.ts';
import type { Video } from '../youtube/schemas.ts';

/**
 * A tracker signal: one thing the tracker records about a video each time it polls it (a snapshot of
 * its statistics, a lifecycle event, a gap in its series, a changed title…). The tracker
 * (workers/tracker.ts) only claims the batch, calls videos.list once, decides each video's schedule
 * and runs one transaction; every signal of the registry (registry.ts) says which `part` of the
 * answer it needs, reads its share of each video's item, and stages its rows inside that
 * transaction, fenced by the claim. A signal also names its vault table and its entry in
 * docs/dataset.md, so adding one is one module plus its migration.
 */

/** A video as the tracker claimed it (the job's payload). */
export interface ClaimedVideo {
  id: string;
  /** Epoch minutes. */
  publishedMin: number;
  dueMin: number;
  tier: number;
  misses: number;
  lastTrackedMin: number;
}

/** Statistics of a video as counts (null: hidden or absent). */
export interface Counts {
  views: bigint | null;
  likes: bigint | null;
  comments: bigint | null;
}

/** One video of the batch after the answer came back, with the schedule the tracker decided for it. */
export interface Visit {
  video: ClaimedVideo;
  /** Its item in the videos.list answer; undefined when YouTube did not return it (deleted, private). */
  item: Video | undefined;
  now: number;
  dueAt: number;
  previousAt: number | null;
  /** The observation stored at the previous poll, and the one made now (null when missing). */
  before: Observation;
  after: Observation | null;
  counts: Counts | null;
  /** Tier and misses after this poll; gone: it will not be polled again. */
  tier: number;
  misses: number;
  gone: boolean;
  /** A tier change made by the overload policy (src/capacity/overload.ts), recorded as a lifecycle event. */
  tierEvent: { event: 'capacity_demoted' | 'capacity_restored'; detail: string | null } | null;
}

export interface SignalContext {
  pool: Pool;
  config: Config;
  clock: Clock;
  /** The capacity check's word at dispatch, for this job (absent: no demotion, no capacity gaps). */
  capacity?: CapacityHint;
  /** Publishes bus events inside the tracker's transaction. */
  emit(name: string, payloads: Record<string, unknown>[], opts?: { tx?: Queryable }): Promise<void>;
}

/** What a signal keeps for one job, from the claim to the end of the transaction. */
export interface SignalBatch {
  /** Parts of videos.list this batch needs besides `statistics` (the tracker always asks for it). */
  readonly parts?: readonly VideoPart[];
  /** Reads its share of one video's answer. */
  visit(v: Visit): void;
  /**
   * Rows the tracker's completion statement stages itself (src/dao/tracker-completion.ts: snapshots,
   * lifecycle events, gaps), fenced there: the common write of every job costs one round trip and no
   * transaction. `stage` then only counts them (and does what a statement cannot, e.g. bus events).
   */
  completionRows?(): CompletionRows;
  /** Whether `stage` has anything to write (default: yes). A job none of whose signals does needs no transaction. */
  pending?(): boolean;
  /** Reads it needs before writing (outside the transaction). */
  settle?(): Promise<void>;
  /** Writes its rows for the videos the claim still fences, in the tracker's transaction; returns a count. */
  stage(tx: Queryable, fenced: ReadonlySet<string>): Promise<number>;
}

export interface TrackerSignal {
  /** Unique; also the key of its count in the tracker's result. */
  name: string;
  /** Its vault table when the vault writes it from a table of its own (metrics: src/vault/flush.ts). */
  vault?: AnyTableSpec;
  /**
   * Its event log when it stages one (schema, staged table, rows by `dt=` day): the vault flushes,
   * compacts and describes every log of the registry (src/vault/logs.ts).
   */
  log?: VaultLog;
  /**
   * A cadence of its own for a video in the state this answer shows (ms until the next poll), or null.
   * When it is sooner than the tier's interval, the tracker polls the video then, in the fastest tier
   * (HOURLY's dispatch lane); registry.ts `withCadence` (live streams: signals/live.ts).
   */
  cadence?(item: Video, now: number): number | null;
  /** Its one-line entry in docs/dataset.md. */
  docs: string;
  /** A fresh batch for one tracker job. */
  start(ctx: SignalContext, videos: readonly ClaimedVideo[]): SignalBatch | Promise<SignalBatch>;
}
