import type { Payload, TrackedVideo } from '../queues/index.ts';
import { overloadTier } from '../src/capacity/overload.ts';
import { HOUR_MS, MINUTE_MS } from '../src/clock.ts';
import { recordOutage, recordQuotaIncident } from '../src/dao/incidents.ts';
import { type CompletionRows, completeAndStage } from '../src/dao/tracker-completion.ts';
import { leasedObservations, type ScheduleUpdate } from '../src/dao/watchlist.ts';
import { maybeTransaction } from '../src/db/pool.ts';
import { AllKeysExhaustedError } from '../src/errors/index.ts';
import { classify } from '../src/hydra/classify.ts';
import { noteSpentTrackingQuota } from '../src/observations/incidents.ts';
import { type Observation, observe, UNKNOWN, viewsGained } from '../src/observations/observation.ts';
import { nextTrack, TIER_INTERVAL_MS, TIER_NAMES, Tier, type TierCode, tierForAge } from '../src/tiers.ts';
import { TRACKER_SIGNALS, withCadence } from '../src/tracker/registry.ts';
import type { SignalBatch, Visit } from '../src/tracker/signal.ts';
import { packWindowMs } from '../src/tracker-packing.ts';
import { toCount, type VideoPart } from '../src/youtube/client.ts';
import type { AgentDeps, VideoItem } from './deps.ts';

export interface TrackResult {
  tracked: number;
  missing: number;
  gone: string[];
  stale: number;
  /** Lifecycle events and gap rows (videos) written. */
  events?: number;
  gaps?: number;
}

/** Failures at most this far apart are one outage (a lapsed claim is polled again within the hour). */
const OUTAGE_MERGE_MS = HOUR_MS;

/**
 * Statistics of one batch (≤ 50 videos, one videos.list unit), then in ONE transaction: the schedule
 * of every video still held by this job's claim, and what each registered signal stages for it
 * (src/tracker/registry.ts: snapshot metrics, lifecycle events, titles, gaps…). The claim's lease is
 * a fencing token: a job retried after a crash, or one whose lease ran out and was claimed again,
 * writes nothing twice — staging's keys and the fence both see to it.
 */
export async function track(deps: AgentDeps, job: Payload<'tracker'>): Promise<TrackResult> {
  const { pool, clock } = deps;
  const ids = job.videos.map((v) => v.id);
  // A job that lost its claim (its lease ran out while it waited) spends no quota.
  const { held, observations } = await leasedObservations(pool, job.batchIds, job.leaseMin, ids);
  if (held.size === 0) return { tracked: 0, missing: 0, gone: [], stale: ids.length };
  const videos = job.videos;
  const ctx = { ...deps, capacity: job.capacity };
  const signals = await Promise.all(TRACKER_SIGNALS.map((s) => s.start(ctx, videos)));
  const parts = [...new Set(['statistics' as const, ...signals.flatMap((s) => s.parts ?? [])])];
  const answer = await callVideosList(deps, ids, parts);
  const now = clock.now();
  const byId = new Map<string, VideoItem>(answer.items.map((i) => [i.id, i]));
  const updates = videos.map((v) => {
    const visit = schedule(deps, job, v, byId.get(v.id), observations.get(v.id) ?? UNKNOWN, now);
    for (const s of signals) s.visit(visit);
    return visit.update;
  });
  for (const s of signals) await s.settle?.();
  // Most jobs write one statement (completion, snapshots, events, gaps): atomic without a transaction.
  const rows = completionRows(signals);
  const needTx = signals.some((s) => s.pending?.() ?? true);
  const written = await maybeTransaction(pool, needTx, async (tx) => {
    const fenced = await completeAndStage(tx, job.batchIds, job.leaseMin, updates, rows);
    const counts: Record<string, number> = {};
    for (const [i, s] of signals.entries()) counts[TRACKER_SIGNALS[i]!.name] = await s.stage(tx, fenced);
    return { counts, fenced, gone: updates.filter((u) => u.tier === Tier.GONE && fenced.has(u.videoId)) };
  });
  await noteSpentTrackingQuota(deps, now);
  const { counts } = written;
  return {
    tracked: counts.metrics ?? 0,
    missing: videos.filter((v) => !byId.has(v.id)).length,
    gone: written.gone.map((u) => u.videoId),
    stale: ids.length - written.fenced.size,
    events: (counts.lifecycle ?? 0) + (counts.titles ?? 0),
    gaps: counts.gaps ?? 0,
  };
}

/** Every signal's rows for the completion statement, merged. */
function completionRows(signals: SignalBatch[]): Required<CompletionRows> {
  const out: Required<CompletionRows> = { snapshots: [], events: [], gaps: [] };
  for (const s of signals) {
    const r = s.completionRows?.();
    if (!r) continue;
    if (r.snapshots) out.snapshots.push(...r.snapshots);
    if (r.events) out.events.push(...r.events);
    if (r.gaps) out.gaps.push(...r.gaps);
  }
  return out;
}

/**
 * The schedule of one polled video: its next tier and time from its age and velocity, or, when it is
 * missing from the answer, a retry, and GONE after TRACKER_MISSES_BEFORE_GONE misses in a row (it then
 * spends no more quota; its row and its history stay).
 */
function schedule(
  deps: AgentDeps,
  job: Payload<'tracker'>,
  v: TrackedVideo,
  item: VideoItem | undefined,
  before: Observation,
  now: number,
): Visit & { update: ScheduleUpdate } {
  const dueAt = v.dueMin * MINUTE_MS;
  const previousAt = v.lastTrackedMin > 0 ? v.lastTrackedMin * MINUTE_MS : null;
  const base = { video: v, item, now, dueAt, previousAt, before };
  const previous = {
    lastTrackedMin: v.lastTrackedMin,
    previousTier: v.tier as TierCode,
    previousMisses: v.misses,
  };
  if (item) {
    const counts = {
      views: toCount(item.statistics?.viewCount ?? undefined),
      likes: toCount(item.statistics?.likeCount ?? undefined),
      comments: toCount(item.statistics?.commentCount ?? undefined),
    };
    const obs = observe(counts);
    const hours = previousAt === null ? 0 : (now - previousAt) / HOUR_MS;
    const viewsPerHour =
      before.seen && before.viewsLow !== null && counts.views !== null && hours > 0
        ? Math.max(0, viewsGained(before.viewsLow, counts.views)) / hours
        : null;
    const normal = nextTrack(v.publishedMin * MINUTE_MS, now, deps.policy, {
      viewsPerHour,
      previousTier: v.tier as TierCode,
    });
    // Under the `demote` overload policy, the slowest videos move a tier down while the pool is short.
    const tiered = overloadTier({
      normal: normal.tier,
      ageTier: tierForAge(now - v.publishedMin * MINUTE_MS, deps.policy),
      previous: v.tier as TierCode,
      viewsPerHour,
      demoteBelowVph: job.capacity?.demoteBelowVph ?? 0,
      now,
      dueAt,
      // Within its packing window a poll was moved to fill a job: its next follows the job's.
      lateAfterMs: packWindowMs(v.tier, deps.config.TRACKER_PACK_WINDOW_PCT / 100),
    });
    // A signal may ask for a sooner poll (a live stream's LIVE cadence: src/tracker/registry.ts).
    const next = withCadence(tiered, item, now);
    return {
      ...base,
      after: obs,
      counts,
      tier: next.tier,
      misses: 0,
      gone: false,
      tierEvent: next.event ? { event: next.event, detail: next.detail } : null,
      update: {
        videoId: v.id,
        tier: next.tier,
        nextTrackAt: next.nextAt,
        trackedAt: now,
        misses: 0,
        obs,
        ...previous,
      },
    };
  }
  const misses = v.misses + 1;
  const gone = misses >= deps.config.TRACKER_MISSES_BEFORE_GONE;
  const tier = (gone ? Tier.GONE : v.tier) as TierCode;
  const retryIn = gone ? 0 : TIER_INTERVAL_MS[TIER_NAMES[v.tier] as 'HOURLY' | 'DAILY' | 'WEEKLY'];
  return {
    ...base,
    after: null,
    counts: null,
    tier,
    misses,
    gone,
    tierEvent: null,
    // The observation is kept as it was: when the video is back, its flags are compared with those before it went.
    update: {
      videoId: v.id,
      tier,
      nextTrackAt: now + retryIn,
      trackedAt: null,
      misses,
      obs: before,
      ...previous,
    },
  };
}

/**
 * videos.list through Hydra. A call that fails for want of quota or because YouTube is failing leaves
 * an incident behind (then throws, and the job is retried as before): polls served late because of it
 * are labelled with it.
 */
async function callVideosList(
  deps: AgentDeps,
  ids: string[],
  parts: VideoPart[],
): Promise<{ items: VideoItem[] }> {
  try {
    return await deps.hydra.call({ pool: 'tracking', method: 'videos.list' }, (key) =>
      deps.youtube.videosList(key, ids, parts),
    );
  } catch (err) {
    const at = deps.clock.now();
    const record =
      err instanceof AllKeysExhaustedError
        ? recordQuotaIncident(deps.pool, { at, resetAt: err.resetAt, detail: `pool ${err.pool} spent` })
        : classify(err) === 'transient'
          ? recordOutage(deps.pool, {
              at,
              mergeWithinMs: OUTAGE_MERGE_MS,
              detail: (err as Error).message.slice(0, 200),
            })
          : null;
    await record?.catch((e: Error) =>
      deps.log.warn({ err: e.message }, 'could not record a tracker incident'),
    );
    throw err;
  }
}
