import { DAY_MS, HOUR_MS } from '../src/clock.ts';
import { getFollowedChannels } from '../src/dao/followed-channels.ts';
import { stagedGapsFor } from '../src/dao/gaps.ts';
import { stagedLifecycleFor } from '../src/dao/lifecycle.ts';
import { stagedForVideo, stagedForVideos, velocityJumps } from '../src/dao/staging.ts';
import { fastestGrowing } from '../src/dao/stats.ts';
import {
  channelVideos,
  getVideos,
  type HotVideo,
  recentlyDiscovered,
  searchChannels,
  searchVideosByTitle,
} from '../src/dao/videos.ts';
import { getWatchlistEntries } from '../src/dao/watchlist.ts';
import type { Pool } from '../src/db/pool.ts';
import { utcDay } from '../src/vault/parts.ts';
import type { VaultReader } from '../src/vault/reader.ts';
import { tierLabel } from '../src/vault/schema.ts';
import { isVideoId } from '../src/video-id.ts';

/**
 * What the explorer pages show, from the vault (history: metrics/, lifecycle/, gaps/) and Postgres
 * (hot rows: the videos table, staging and the staged event logs). The JSON API answers with these
 * shapes; the pages draw them.
 */

export interface Snapshot {
  takenAt: number;
  dueAt: number;
  views: number | null;
  likes: number | null;
  comments: number | null;
  tier: string;
  /** Where the row was read: the vault files or Postgres staging (not flushed yet). */
  source: 'vault' | 'staging';
}

export interface VideoMeta {
  videoId: string;
  title: string;
  channelId: string;
  channelTitle: string;
  description: string;
  tags: string[];
  categoryId: number | null;
  durationS: number | null;
  publishedAt: number;
  discoveredAt: number;
  /** Hot: still in Postgres (tracked now); otherwise from the vault's videos/. */
  hot: boolean;
  /** Current tier and next planned poll, while on the watchlist. */
  tier: string | null;
  nextPollAt: number | null;
}

export interface LifecycleMarker {
  event: string;
  seenAt: number;
  dueAt: number;
  initial: boolean;
  detail: string | null;
}

export interface GapMarker {
  dueAt: number;
  polledAt: number;
  reason: string;
  taken: boolean;
  tier: string;
}

export interface TierBand {
  tier: string;
  from: number;
  to: number;
}

export interface VideoHistory {
  videoId: string;
  snapshots: Snapshot[];
  lifecycle: LifecycleMarker[];
  gaps: GapMarker[];
  tierBands: TierBand[];
}

export interface ChannelVideo {
  videoId: string;
  title: string;
  publishedAt: number;
  views: number | null;
  likes: number | null;
  comments: number | null;
  /** Views per hour between its last two snapshots. */
  viewsPerHour: number | null;
  /** Views at each snapshot of the last `SPARK_DAYS` days, oldest first (a sparkline). */
  spark: number[];
}

export interface ChannelView {
  channelId: string;
  channelTitle: string;
  follow: {
    state: string;
    origin: string;
    polls: number;
    videosFound: number;
    lastPolledAt: number | null;
    nextPollAt: number | null;
    pollEveryS: number;
    uploadsPerDay: number | null;
  } | null;
  videos: ChannelVideo[];
}

export interface ListItem {
  videoId: string;
  title: string;
  channelTitle: string;
  /** What the list is ordered by: discovery time, views per hour, or the velocity ratio. */
  value: number;
}

export interface ExplorerLists {
  recentlyDiscovered: ListItem[];
  fastestGrowing: ListItem[];
  justWentViral: ListItem[];
}

export interface SearchResult {
  kind: 'video' | 'channel';
  id: string;
  title: string;
  detail: string;
}

const n = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

const fromHot = (v: HotVideo): Omit<VideoMeta, 'tier' | 'nextPollAt'> => ({
  videoId: v.id,
  title: v.title,
  channelId: v.channelId,
  channelTitle: v.channelTitle,
  description: v.description,
  tags: v.tags,
  categoryId: v.categoryId ?? null,
  durationS: v.durationS ?? null,
  publishedAt: v.publishedAt.getTime(),
  discoveredAt: v.discoveredAt.getTime(),
  hot: true,
});

/** Consecutive snapshots in one tier become one band, from its first snapshot to the next band's. */
export function tierBands(snapshots: Snapshot[]): TierBand[] {
  const bands: TierBand[] = [];
  for (const s of snapshots) {
    const last = bands.at(-1);
    if (last && last.tier === s.tier) last.to = s.takenAt;
    else {
      if (last) last.to = s.takenAt;
      bands.push({ tier: s.tier, from: s.takenAt, to: s.takenAt });
    }
  }
  return bands;
}

export function createExplorerData(pool: Pool, reader: VaultReader | null, now: () => number) {
  /** The video's metadata: the hot row, else the vault's videos/ (null: never tracked). */
  async function video(videoId: string): Promise<VideoMeta | null> {
    // Two independent lookups: one round trip of latency, not two.
    const [[hot], [entry]] = await Promise.all([
      getVideos(pool, [videoId]),
      getWatchlistEntries(pool, [videoId]),
    ]);
    const watch = {
      tier: entry ? entry.tier : null,
      nextPollAt: entry?.nextTrackAt ?? null,
    };
    if (hot) return { ...fromHot(hot), ...watch };
    const rows = reader ? await reader.rowsFor('videos', videoId) : [];
    const r = rows.at(-1);
    if (!r) return null;
    return {
      videoId,
      title: String(r.title ?? ''),
      channelId: String(r.channel_id ?? ''),
      channelTitle: String(r.channel_title ?? ''),
      description: String(r.description ?? ''),
      tags: (r.tags as string[] | undefined) ?? [],
      categoryId: n(r.category_id),
      durationS: n(r.duration_s),
      publishedAt: Number(r.published_at),
      discoveredAt: Number(r.discovered_at),
      hot: false,
      ...watch,
    };
  }

  /** Every snapshot, lifecycle event and gap of a video: vault files from its discovery day on, then staging. */
  async function history(videoId: string, discoveredAt?: number): Promise<VideoHistory> {
    const filter = discoveredAt === undefined ? {} : { fromDay: utcDay(discoveredAt) };
    const [metrics, lifecycle, gaps, staged, stagedEvents, stagedGaps] = await Promise.all([
      reader ? reader.rowsFor('metrics', videoId, filter) : [],
      reader ? reader.rowsFor('lifecycle', videoId, filter) : [],
      reader ? reader.rowsFor('gaps', videoId, filter) : [],
      stagedForVideo(pool, videoId),
      stagedLifecycleFor(pool, [videoId]),
      stagedGapsFor(pool, videoId),
    ]);
    // A snapshot is (video, planned time): a row both flushed and still staged (mid-flush) counts once.
    const byDue = new Map<number, Snapshot>();
    for (const r of metrics)
      byDue.set(Number(r.due_at), {
        takenAt: Number(r.taken_at),
        dueAt: Number(r.due_at),
        views: n(r.views),
        likes: n(r.likes),
        comments: n(r.comments),
        tier: String(r.tier),
        source: 'vault',
      });
    for (const r of staged)
      if (!byDue.has(r.dueAt))
        byDue.set(r.dueAt, {
          takenAt: r.takenAt,
          dueAt: r.dueAt,
          views: n(r.views),
          likes: n(r.likes),
          comments: n(r.comments),
          tier: tierLabel(r.tier),
          source: 'staging',
        });
    const snapshots = [...byDue.values()].sort((a, b) => a.dueAt - b.dueAt);
    const events: LifecycleMarker[] = [
      ...lifecycle.map((r) => ({
        event: String(r.event),
        seenAt: Number(r.seen_at),
        dueAt: Number(r.due_at),
        initial: r.initial === true,
        detail: (r.detail as string | null) ?? null,
      })),
      ...stagedEvents.map((e) => ({
        event: e.event,
        seenAt: e.seenAt,
        dueAt: e.dueAt,
        initial: e.initial,
        detail: e.detail,
      })),
    ].sort((a, b) => a.seenAt - b.seenAt);
    const gapList: GapMarker[] = [
      ...gaps.map((r) => ({
        dueAt: Number(r.due_at),
        polledAt: Number(r.polled_at),
        reason: String(r.reason),
        taken: r.taken === true,
        tier: String(r.tier),
      })),
      ...stagedGaps.map((g) => ({
        dueAt: g.dueAt,
        polledAt: g.polledAt,
        reason: g.reason,
        taken: g.taken,
        tier: tierLabel(g.tier),
      })),
    ].sort((a, b) => a.dueAt - b.dueAt);
    return { videoId, snapshots, lifecycle: events, gaps: gapList, tierBands: tierBands(snapshots) };
  }

  const SPARK_DAYS = 14;

  async function channel(channelId: string, limit = 200): Promise<ChannelView | null> {
    const [videos, follows] = await Promise.all([
      channelVideos(pool, channelId, limit),
      getFollowedChannels(pool, [channelId]),
    ]);
    const f = follows[0];
    if (videos.length === 0 && !f) return null;
    const ids = new Set(videos.map((v) => v.id));
    const since = now() - SPARK_DAYS * DAY_MS;
    const [vaultRows, staged] = await Promise.all([
      reader ? reader.rowsForMany('metrics', ids, { fromDay: utcDay(since) }) : [],
      stagedForVideos(pool, [...ids]),
    ]);
    const series = new Map<
      string,
      Map<number, { t: number; views: number | null; likes: number | null; comments: number | null }>
    >();
    const put = (id: string, due: number, t: number, views: unknown, likes: unknown, comments: unknown) => {
      const m = series.get(id) ?? new Map();
      series.set(id, m);
      if (!m.has(due)) m.set(due, { t, views: n(views), likes: n(likes), comments: n(comments) });
    };
    for (const r of vaultRows)
      put(String(r.video_id), Number(r.due_at), Number(r.taken_at), r.views, r.likes, r.comments);
    for (const r of staged) put(r.videoId, r.dueAt, r.takenAt, r.views, r.likes, r.comments);
    return {
      channelId,
      channelTitle: videos[0]?.channelTitle ?? '',
      follow: f
        ? {
            state: f.state,
            origin: f.origin,
            polls: f.polls,
            videosFound: f.videosFound,
            lastPolledAt: f.lastPolledAt?.getTime() ?? null,
            nextPollAt: f.nextPollAt?.getTime() ?? null,
            pollEveryS: f.pollEveryS,
            uploadsPerDay: f.uploadsPerDay,
          }
        : null,
      videos: videos.map((v) => {
        const pts = [...(series.get(v.id)?.values() ?? [])].sort((a, b) => a.t - b.t);
        const last = pts.at(-1);
        const prev = pts.at(-2);
        const rate =
          last && prev && last.views !== null && prev.views !== null && last.t > prev.t
            ? (last.views - prev.views) / ((last.t - prev.t) / HOUR_MS)
            : null;
        return {
          videoId: v.id,
          title: v.title,
          publishedAt: v.publishedAt.getTime(),
          views: last?.views ?? null,
          likes: last?.likes ?? null,
          comments: last?.comments ?? null,
          viewsPerHour: rate === null ? null : Math.round(rate * 10) / 10,
          spark: pts.filter((p) => p.t >= since && p.views !== null).map((p) => p.views!),
        };
      }),
    };
  }

  async function lists(limit = 10): Promise<ExplorerLists> {
    const t = now();
    const [recent, growing, jumps] = await Promise.all([
      recentlyDiscovered(pool, limit),
      fastestGrowing(pool, { since: t - DAY_MS, discoveredSince: t - 3 * DAY_MS, limit }),
      velocityJumps(pool, { since: t - 2 * DAY_MS, minRatio: 2, minViewsPerHour: 10, limit }),
    ]);
    const jumpMeta = new Map(
      (
        await getVideos(
          pool,
          jumps.map((j) => j.videoId),
        )
      ).map((v) => [v.id, v]),
    );
    return {
      recentlyDiscovered: recent.map((v) => ({
        videoId: v.id,
        title: v.title,
        channelTitle: v.channelTitle,
        value: v.discoveredAt.getTime(),
      })),
      fastestGrowing: growing.map((g) => ({
        videoId: g.videoId,
        title: g.title,
        channelTitle: g.channelTitle,
        value: Math.round(g.viewsPerHour),
      })),
      justWentViral: jumps.map((j) => ({
        videoId: j.videoId,
        title: jumpMeta.get(j.videoId)?.title ?? '',
        channelTitle: jumpMeta.get(j.videoId)?.channelTitle ?? '',
        value: Math.round((j.viewsPerHour / Math.max(j.previousPerHour, 1)) * 10) / 10,
      })),
    };
  }

  /** A video id or link, a channel id, or title words of hot videos. */
  async function search(q: string, limit = 20): Promise<SearchResult[]> {
    const id = videoIdIn(q);
    const out: SearchResult[] = [];
    if (id) {
      const v = await video(id);
      if (v) out.push({ kind: 'video', id, title: v.title, detail: v.channelTitle });
    }
    for (const c of await searchChannels(pool, q, 5))
      out.push({ kind: 'channel', id: c.channelId, title: c.channelTitle, detail: `${c.videos} videos` });
    const words = q
      .split(/\s+/)
      .filter((w) => w.length > 0)
      .slice(0, 8);
    for (const v of await searchVideosByTitle(pool, words, limit))
      if (v.id !== id) out.push({ kind: 'video', id: v.id, title: v.title, detail: v.channelTitle });
    return out.slice(0, limit);
  }

  return { video, history, channel, lists, search, close: async () => reader?.close() };
}

export type ExplorerData = ReturnType<typeof createExplorerData>;

/** The video id in a search text: the id itself, or a watch / youtu.be / shorts / embed link. */
export function videoIdIn(q: string): string | null {
  const s = q.trim();
  if (isVideoId(s)) return s;
  const m = /(?:[?&]v=|youtu\.be\/|\/shorts\/|\/embed\/|\/live\/)([A-Za-z0-9_-]{11})/.exec(s);
  return m && isVideoId(m[1]) ? m[1] : null;
}
