import type { Payload } from '../queues/index.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../src/clock.ts';
import { type GapRow, insertGaps } from '../src/dao/gaps.ts';
import { incidentsBetween, recordOutage, recordQuotaIncident } from '../src/dao/incidents.ts';
import { insertLifecycleEvents, knownTitles, recordTitles } from '../src/dao/lifecycle.ts';
import type { SnapshotRow } from '../src/dao/staging.ts';
import { completeAndStage } from '../src/dao/tracker-completion.ts';
import { leasedObservations, type ScheduleUpdate } from '../src/dao/watchlist.ts';
import { isLate, lateReason } from '../src/dataset/gaps.ts';
import { noteSpentTrackingQuota } from '../src/dataset/incidents.ts';
import { flagChanges, type LifecycleEvent } from '../src/dataset/lifecycle.ts';
import { type Observation, observe, UNKNOWN, viewsGained } from '../src/dataset/observation.ts';
import { titleCheckDue } from '../src/dataset/titles.ts';
import { maybeTransaction } from '../src/db/pool.ts';
import { AllKeysExhaustedError } from '../src/errors/index.ts';
import { classify } from '../src/hydra/classify.ts';
import { nextTrack, TIER_INTERVAL_MS, TIER_NAMES, Tier, type TierCode } from '../src/tiers.ts';
import { toCount } from '../src/youtube/client.ts';
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
 * of every video still held by this job's claim, and a staged snapshot for each returned one. The
 * claim's lease is a fencing token: a job retried after a crash, or one whose lease ran out and was
 * claimed again, writes nothing twice — staging's (video, due time) key and the fence both see to it.
 *
 * The same transaction records what a researcher needs to trust the series (docs/dataset.md): each
 * video's observation for the next poll (velocity, flags), lifecycle events (a video missing, back,
 * likes or comments switched, a title changed) and gaps (a poll run more than half an interval late,
 * with the incident that explains it, or a video missing).
 */
export async function track(deps: AgentDeps, job: Payload<'tracker'>): Promise<TrackResult> {
  const { pool, clock, config } = deps;
  const ids = job.videos.map((v) => v.id);
  // A job that lost its claim (its lease ran out while it waited) spends no quota.
  const { held, observations } = await leasedObservations(pool, job.batchIds, job.leaseMin);
  if (held.size === 0) return { tracked: 0, missing: 0, gone: [], stale: ids.length };
  const videos = job.videos;
  const titleCheck = {
    periodMs: config.TRACKER_TITLE_CHECK_H * HOUR_MS,
    withinMs: config.JANITOR_RETENTION_DAYS * DAY_MS,
  };
  const checkTitles = new Set(
    videos.filter((v) => titleCheckDue(v, clock.now(), titleCheck)).map((v) => v.id),
  );
  const answer = await callVideosList(
    deps,
    ids,
    checkTitles.size ? ['statistics', 'snippet'] : ['statistics'],
  );
  const now = clock.now();
  const byId = new Map<string, VideoItem>(answer.items.map((i) => [i.id, i]));
  const titles = checkTitles.size ? await knownTitles(pool, [...checkTitles]) : new Map<string, string>();
  const snapshots: SnapshotRow[] = [];
  const updates: ScheduleUpdate[] = [];
  const events: LifecycleEvent[] = [];
  const changedTitles: { videoId: string; title: string; at: number }[] = [];
  const gone: string[] = [];
  const late = new Map<string, GapRow>();
  const unavailable = new Map<string, GapRow>();
  const group = (
    into: Map<string, GapRow>,
    v: (typeof videos)[number],
    taken: boolean,
    reason: GapRow['reason'],
  ) => {
    const key = `${v.dueMin}:${v.tier}`;
    const g = into.get(key) ?? {
      videoIds: [],
      tier: v.tier,
      dueAt: v.dueMin * MINUTE_MS,
      polledAt: now,
      reason,
      taken,
    };
    g.videoIds.push(v.id);
    into.set(key, g);
  };
  for (const v of videos) {
    const item = byId.get(v.id);
    const publishedAt = v.publishedMin * MINUTE_MS;
    const dueAt = v.dueMin * MINUTE_MS;
    const previousAt = v.lastTrackedMin > 0 ? v.lastTrackedMin * MINUTE_MS : null;
    const before: Observation = observations.get(v.id) ?? UNKNOWN;
    const event = (name: LifecycleEvent['event'], initial = false, detail: string | null = null) =>
      events.push({ videoId: v.id, event: name, dueAt, seenAt: now, previousAt, initial, detail });
    if (item) {
      const stats = {
        views: toCount(item.statistics?.viewCount ?? undefined),
        likes: toCount(item.statistics?.likeCount ?? undefined),
        comments: toCount(item.statistics?.commentCount ?? undefined),
      };
      const obs = observe(stats);
      const hours = previousAt === null ? 0 : (now - previousAt) / HOUR_MS;
      const viewsPerHour =
        before.seen && before.viewsLow !== null && stats.views !== null && hours > 0
          ? Math.max(0, viewsGained(before.viewsLow, stats.views)) / hours
          : null;
      const next = nextTrack(publishedAt, now, deps.policy, {
        viewsPerHour,
        previousTier: v.tier as TierCode,
      });
      snapshots.push({ videoId: v.id, dueAt, takenAt: now, ...stats, tier: next.tier });
      updates.push({
        videoId: v.id,
        tier: next.tier,
        nextTrackAt: next.nextAt,
        trackedAt: now,
        lastTrackedMin: v.lastTrackedMin,
        misses: 0,
        previousTier: v.tier as TierCode,
        previousMisses: v.misses,
        obs,
      });
      if (v.misses > 0) event('available_again');
      for (const c of flagChanges(before, obs)) event(c.event, c.initial);
      const title = item.snippet?.title;
      const known = titles.get(v.id);
      if (checkTitles.has(v.id) && typeof title === 'string' && known !== undefined && title !== known) {
        event('title_changed', false, title);
        changedTitles.push({ videoId: v.id, title, at: now });
      }
      if (isLate(dueAt, now, v.tier)) group(late, v, true, 'late');
    } else {
      // Missing from the answer: deleted or private. After N misses in a row it is GONE and spends no
      // more quota; its row and its history stay.
      const misses = v.misses + 1;
      const isGone = misses >= config.TRACKER_MISSES_BEFORE_GONE;
      if (isGone) gone.push(v.id);
      const tier = (isGone ? Tier.GONE : v.tier) as TierCode;
      const retryIn = isGone ? 0 : TIER_INTERVAL_MS[TIER_NAMES[v.tier] as 'HOURLY' | 'DAILY' | 'WEEKLY'];
      updates.push({
        videoId: v.id,
        tier,
        nextTrackAt: now + retryIn,
        trackedAt: null,
        lastTrackedMin: v.lastTrackedMin,
        misses,
        previousTier: v.tier as TierCode,
        previousMisses: v.misses,
        // Kept as it was: when the video is back, its flags are compared with those before it went.
        obs: before,
      });
      if (v.misses === 0) event('unavailable');
      if (isGone) event('gone');
      group(unavailable, v, false, 'unavailable');
    }
  }
  const lateRows = [...late.values()];
  if (lateRows.length) {
    const from = Math.min(...lateRows.map((g) => g.dueAt));
    const incidents = await incidentsBetween(pool, from, now);
    for (const g of lateRows) g.reason = lateReason(g.dueAt, now, incidents);
  }
  // Most jobs write only the fenced completion: one statement, atomic without a transaction.
  const alone = events.length + changedTitles.length + lateRows.length + unavailable.size + gone.length === 0;
  const written = await maybeTransaction(pool, !alone, async (tx) => {
    const fenced = await completeAndStage(tx, job.batchIds, job.leaseMin, updates, snapshots);
    const rows = snapshots.filter((s) => fenced.has(s.videoId));
    const mine = events.filter((e) => fenced.has(e.videoId));
    await insertLifecycleEvents(tx, mine);
    await recordTitles(
      tx,
      changedTitles.filter((t) => fenced.has(t.videoId)),
      now - (config.JANITOR_RETENTION_DAYS + 1) * DAY_MS,
    );
    const gaps = [...lateRows, ...unavailable.values()].map((g) => ({
      ...g,
      videoIds: g.videoIds.filter((id) => fenced.has(id)),
    }));
    await insertGaps(tx, gaps);
    const goneNow = gone.filter((id) => fenced.has(id));
    if (goneNow.length)
      await deps.emit(
        'video.gone',
        goneNow.map((videoId) => ({
          videoId,
          misses: config.TRACKER_MISSES_BEFORE_GONE,
          at: new Date(now).toISOString(),
        })),
        { tx },
      );
    return {
      rows: rows.length,
      gone: goneNow,
      fenced: fenced.size,
      events: mine.length,
      gaps: gaps.reduce((n, g) => n + g.videoIds.length, 0),
    };
  });
  await noteSpentTrackingQuota(deps, now);
  return {
    tracked: written.rows,
    missing: videos.length - snapshots.length,
    gone: written.gone,
    stale: ids.length - written.fenced,
    events: written.events,
    gaps: written.gaps,
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
  parts: ('statistics' | 'snippet')[],
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
