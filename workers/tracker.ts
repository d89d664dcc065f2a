import type { Payload } from '../queues/index.ts';
import { MINUTE_MS } from '../src/clock.ts';
import { insertSnapshots, type SnapshotRow } from '../src/dao/staging.ts';
import { batchesStillLeased, completeBatches, type ScheduleUpdate } from '../src/dao/watchlist.ts';
import { withTransaction } from '../src/db/pool.ts';
import { nextTrack, TIER_INTERVAL_MS, TIER_NAMES, Tier, type TierCode } from '../src/tiers.ts';
import { toCount } from '../src/youtube/client.ts';
import type { AgentDeps, VideoItem } from './deps.ts';

export interface TrackResult {
  tracked: number;
  missing: number;
  gone: string[];
  stale: number;
}

/**
 * Statistics of one batch (≤ 50 videos, one videos.list unit), then in ONE transaction: the schedule
 * of every video still held by this job's claim, and a staged snapshot for each returned one. The
 * claim's lease is a fencing token: a job retried after a crash, or one whose lease ran out and was
 * claimed again, writes nothing twice — staging's (video, due time) key and the fence both see to it.
 */
export async function track(deps: AgentDeps, job: Payload<'tracker'>): Promise<TrackResult> {
  const { pool, clock, hydra, youtube, config } = deps;
  const ids = job.videos.map((v) => v.id);
  // A job that lost its claim (its lease ran out while it waited) spends no quota.
  const held = await batchesStillLeased(pool, job.batchIds, job.leaseMin);
  if (held.size === 0) return { tracked: 0, missing: 0, gone: [], stale: ids.length };
  const videos = job.videos;
  const answer = await hydra.call({ pool: 'tracking', method: 'videos.list' }, (key) =>
    youtube.videosList(
      key,
      videos.map((v) => v.id),
      ['statistics'],
    ),
  );
  const now = clock.now();
  const byId = new Map<string, VideoItem>(answer.items.map((i) => [i.id, i]));
  const snapshots: SnapshotRow[] = [];
  const updates: ScheduleUpdate[] = [];
  const gone: string[] = [];
  for (const v of videos) {
    const item = byId.get(v.id);
    const publishedAt = v.publishedMin * MINUTE_MS;
    if (item) {
      const next = nextTrack(publishedAt, now, deps.policy);
      snapshots.push({
        videoId: v.id,
        dueAt: v.dueMin * MINUTE_MS,
        takenAt: now,
        views: toCount(item.statistics?.viewCount ?? undefined),
        likes: toCount(item.statistics?.likeCount ?? undefined),
        comments: toCount(item.statistics?.commentCount ?? undefined),
        tier: next.tier,
      });
      updates.push({
        videoId: v.id,
        tier: next.tier,
        nextTrackAt: next.nextAt,
        trackedAt: now,
        lastTrackedMin: v.lastTrackedMin,
        misses: 0,
        previousTier: v.tier as TierCode,
        previousMisses: v.misses,
      });
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
      });
    }
  }
  const written = await withTransaction(pool, async (tx) => {
    const fenced = await completeBatches(tx, job.batchIds, job.leaseMin, updates);
    const rows = snapshots.filter((s) => fenced.has(s.videoId));
    await insertSnapshots(tx, rows);
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
    return { rows: rows.length, gone: goneNow, fenced: fenced.size };
  });
  return {
    tracked: written.rows,
    missing: videos.length - snapshots.length,
    gone: written.gone,
    stale: ids.length - written.fenced,
  };
}
