import { broadcastContent, concurrentViewers, type LiveSchedule } from './live.ts';
import { etagOf, hash2, hashString } from './rng.ts';
import { CATEGORIES } from './words.ts';
import type { ChannelInfo, World } from './world.ts';

/**
 * YouTube's resource shapes (kind, etag, snippet, statistics…), built from the world. Counts are
 * strings; likeCount / commentCount are omitted when the owner hides them, as YouTube does.
 */

/** RFC 3339 without milliseconds, as YouTube writes times. */
export const rfc3339 = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** ISO 8601 duration as contentDetails.duration: PT4M13S, PT1H2S, PT45S. */
export function isoDuration(seconds: number): string {
  if (seconds <= 0) return 'P0D';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `PT${h ? `${h}H` : ''}${m ? `${m}M` : ''}${s ? `${s}S` : ''}`;
}

const thumb = (id: string, name: string, width: number, height: number) => ({
  url: `https://i.ytimg.com/vi/${id}/${name}.jpg`,
  width,
  height,
});

const searchThumbnails = (id: string) => ({
  default: thumb(id, 'default', 120, 90),
  medium: thumb(id, 'mqdefault', 320, 180),
  high: thumb(id, 'hqdefault', 480, 360),
});

const videoThumbnails = (id: string) => ({
  ...searchThumbnails(id),
  standard: thumb(id, 'sddefault', 640, 480),
  maxres: thumb(id, 'maxresdefault', 1280, 720),
});

export interface VideoParts {
  snippet: boolean;
  statistics: boolean;
  contentDetails: boolean;
  status: boolean;
  liveStreamingDetails?: boolean;
}

/** The `liveStreamingDetails` part of a broadcast's video resource at `now` (live.ts). */
export function liveStreamingDetails(l: LiveSchedule, now: number, salt: number): Record<string, string> {
  const out: Record<string, string> = { scheduledStartTime: rfc3339(l.scheduledStart) };
  if (now >= l.actualStart) out.actualStartTime = rfc3339(l.actualStart);
  if (now >= l.actualEnd) out.actualEndTime = rfc3339(l.actualEnd);
  const viewers = concurrentViewers(l, now, salt);
  // A count, written as a string like every count of the API; absent once the broadcast ended.
  if (viewers !== null) out.concurrentViewers = String(viewers);
  return out;
}

/** A `youtube#video` resource with the requested parts. */
export function videoResource(
  world: World,
  i: number,
  now: number,
  parts: VideoParts,
): Record<string, unknown> {
  const id = world.videoIdAt(i);
  const stats = parts.statistics ? world.statistics(i, now) : null;
  const live = world.live(i);
  const out: Record<string, unknown> = {
    kind: 'youtube#video',
    etag: etagOf(hash2(i, stats ? stats.viewCount : 0)),
    id,
  };
  if (parts.snippet) {
    const d = world.details(i);
    out.snippet = {
      publishedAt: rfc3339(d.publishedAt),
      channelId: d.channel.id,
      title: d.title,
      description: d.description,
      thumbnails: videoThumbnails(id),
      channelTitle: d.channel.title,
      tags: d.tags,
      categoryId: d.categoryId,
      liveBroadcastContent: broadcastContent(live, now),
      defaultAudioLanguage: 'en',
      localized: { title: d.title, description: d.description },
    };
  }
  if (parts.contentDetails)
    out.contentDetails = {
      duration: isoDuration(world.durationSeconds(i)),
      dimension: '2d',
      definition: i % 7 === 0 ? 'sd' : 'hd',
      caption: i % 5 === 0 ? 'true' : 'false',
      licensedContent: i % 3 !== 0,
      contentRating: {},
      projection: 'rectangular',
    };
  if (parts.status)
    out.status = {
      uploadStatus: 'processed',
      privacyStatus: 'public',
      license: 'youtube',
      embeddable: true,
      publicStatsViewable: true,
      madeForKids: false,
    };
  if (parts.liveStreamingDetails && live) out.liveStreamingDetails = liveStreamingDetails(live, now, i);
  if (stats) {
    const s: Record<string, string> = { viewCount: String(stats.viewCount) };
    if (stats.likeCount !== null) s.likeCount = String(stats.likeCount);
    s.favoriteCount = '0';
    if (stats.commentCount !== null) s.commentCount = String(stats.commentCount);
    out.statistics = s;
  }
  return out;
}

/** A `youtube#videoStats` item of videos:batchGetStats. */
export function videoStatsResource(
  world: World,
  i: number,
  now: number,
  parts: { snippet: boolean; statistics: boolean; contentDetails: boolean },
): Record<string, unknown> {
  const stats = world.statistics(i, now);
  const out: Record<string, unknown> = {
    kind: 'youtube#videoStats',
    etag: etagOf(hash2(i ^ 0x5a5a, stats.viewCount)),
    id: world.videoIdAt(i),
  };
  if (parts.snippet) out.snippet = { publishTime: rfc3339(world.publishedAt(i)) };
  if (parts.statistics) {
    const s: Record<string, string> = { viewCount: String(stats.viewCount) };
    if (stats.likeCount !== null) s.likeCount = String(stats.likeCount);
    if (stats.commentCount !== null) s.commentCount = String(stats.commentCount);
    out.statistics = s;
  }
  if (parts.contentDetails) {
    // google.protobuf.Duration in its JSON form: the only field of Schema$VideoStatsContentDetails
    out.contentDetails = { duration: `${world.durationSeconds(i)}s` };
  }
  return out;
}

/** A `youtube#searchResult` for a video. */
export function searchResultResource(world: World, i: number, withSnippet: boolean): Record<string, unknown> {
  const id = world.videoIdAt(i);
  const out: Record<string, unknown> = {
    kind: 'youtube#searchResult',
    etag: etagOf(hash2(i, 0x5ea7c4)),
    id: { kind: 'youtube#video', videoId: id },
  };
  if (withSnippet) {
    const d = world.details(i);
    const published = rfc3339(d.publishedAt);
    out.snippet = {
      publishedAt: published,
      channelId: d.channel.id,
      title: d.title,
      description: d.description.split('\n').join(' ').slice(0, 160),
      thumbnails: searchThumbnails(id),
      channelTitle: d.channel.title,
      liveBroadcastContent: 'none',
      // The real API sends `publishTime` (equal to publishedAt) in every search result's snippet, though
      // the discovery document and so the generated `Schema$SearchResultSnippet` do not declare it; the
      // schema test allows exactly this field (test/simulator-schema.test.ts, EXTRA_FIELDS).
      publishTime: published,
    };
  }
  return out;
}

export const uploadsPlaylistOf = (channelId: string): string => `UU${channelId.slice(2)}`;

const channelThumb = (ch: ChannelInfo, size: number) => ({
  url: `https://yt3.ggpht.com/sim-${ch.id.slice(2, 14)}=s${size}-c-k-c0x00ffffff-no-rj`,
  width: size,
  height: size,
});

export function channelResource(
  world: World,
  ch: ChannelInfo,
  now: number,
  parts: { snippet: boolean; statistics: boolean; contentDetails: boolean },
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    kind: 'youtube#channel',
    etag: etagOf(hashString(ch.id)),
    id: ch.id,
  };
  if (parts.snippet)
    out.snippet = {
      title: ch.title,
      description: ch.description,
      customUrl: ch.handle,
      publishedAt: rfc3339(ch.createdAt),
      thumbnails: {
        default: channelThumb(ch, 88),
        medium: channelThumb(ch, 240),
        high: channelThumb(ch, 800),
      },
      localized: { title: ch.title, description: ch.description },
      country: ch.country,
    };
  if (parts.contentDetails)
    out.contentDetails = { relatedPlaylists: { likes: '', uploads: uploadsPlaylistOf(ch.id) } };
  if (parts.statistics) {
    const videos = world.channelVideoCount(ch.index, now);
    out.statistics = {
      viewCount: String(Math.round(videos * 900 * ch.popularity)),
      subscriberCount: String(ch.subscribers),
      hiddenSubscriberCount: false,
      videoCount: String(videos),
    };
  }
  return out;
}

/** YouTube's own channel, which owns the categories. */
const CATEGORY_OWNER = 'UCBR8-60-B28hp2BmDPdntcQ';

export function categoryResources(ids?: string[]): Record<string, unknown>[] {
  const wanted = ids ? CATEGORIES.filter((c) => ids.includes(c.id)) : CATEGORIES;
  return wanted.map((c) => ({
    kind: 'youtube#videoCategory',
    etag: etagOf(hashString(`category${c.id}`)),
    id: c.id,
    snippet: { title: c.title, assignable: c.assignable, channelId: CATEGORY_OWNER },
  }));
}

export function playlistItemResource(
  world: World,
  i: number,
  playlistId: string,
  position: number,
  parts: { snippet: boolean; contentDetails: boolean; status: boolean },
): Record<string, unknown> {
  const id = world.videoIdAt(i);
  const out: Record<string, unknown> = {
    kind: 'youtube#playlistItem',
    etag: etagOf(hash2(i, 0x91a7)),
    id: Buffer.from(`${playlistId}.${id}`).toString('base64url'),
  };
  if (parts.snippet) {
    const d = world.details(i);
    out.snippet = {
      publishedAt: rfc3339(d.publishedAt),
      channelId: d.channel.id,
      title: d.title,
      description: d.description,
      thumbnails: videoThumbnails(id),
      channelTitle: d.channel.title,
      playlistId,
      position,
      resourceId: { kind: 'youtube#video', videoId: id },
      videoOwnerChannelTitle: d.channel.title,
      videoOwnerChannelId: d.channel.id,
    };
  }
  if (parts.contentDetails)
    out.contentDetails = { videoId: id, videoPublishedAt: rfc3339(world.publishedAt(i)) };
  if (parts.status) out.status = { privacyStatus: 'public' };
  return out;
}
