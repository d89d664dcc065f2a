import { z } from 'zod';

/**
 * The YouTube Data API v3 responses Pleiades reads, as documented (resource kinds, counts as strings
 * of digits, optional parts). Every response is parsed with these before use; the simulator's tests
 * parse its answers with the same schemas. Unknown fields are dropped, missing optional ones allowed.
 */

// Counts are stored as int8: a bigger one is no count YouTube could report.
const count = z
  .string()
  .regex(/^\d+$/, { message: 'expected a count: a string of digits' })
  .refine((s) => !/^\d+$/.test(s) || BigInt(s) <= 9_223_372_036_854_775_807n, {
    message: 'expected a count below 2^63',
  });
const time = z.iso.datetime({ offset: true });

const thumbnails = z.record(
  z.string(),
  z.object({ url: z.string(), width: z.number().int().optional(), height: z.number().int().optional() }),
);

const pageInfo = z.object({
  totalResults: z.number().int().nonnegative(),
  resultsPerPage: z.number().int().nonnegative(),
});

// ---- search.list ------------------------------------------------------------------------------

export const searchResultSchema = z.object({
  kind: z.literal('youtube#searchResult'),
  etag: z.string(),
  id: z.object({
    kind: z.string(),
    videoId: z.string().optional(),
    channelId: z.string().optional(),
    playlistId: z.string().optional(),
  }),
  snippet: z
    .object({
      publishedAt: time,
      channelId: z.string(),
      title: z.string(),
      description: z.string(),
      thumbnails,
      channelTitle: z.string(),
      liveBroadcastContent: z.string(),
    })
    .optional(),
});

export const searchListResponseSchema = z.object({
  kind: z.literal('youtube#searchListResponse'),
  etag: z.string(),
  // YouTube's tokens are a few characters; the hunter's job payload carries at most 200.
  nextPageToken: z.string().max(200).optional(),
  prevPageToken: z.string().optional(),
  regionCode: z.string().optional(),
  pageInfo,
  items: z.array(searchResultSchema),
});

// ---- videos.list ------------------------------------------------------------------------------

export const videoStatisticsSchema = z.object({
  viewCount: count.optional(),
  likeCount: count.optional(),
  dislikeCount: count.optional(),
  favoriteCount: count.optional(),
  commentCount: count.optional(),
});

export const videoSchema = z.object({
  kind: z.literal('youtube#video'),
  etag: z.string(),
  id: z.string(),
  snippet: z
    .object({
      publishedAt: time,
      channelId: z.string(),
      title: z.string(),
      description: z.string(),
      thumbnails,
      channelTitle: z.string(),
      tags: z.array(z.string()).optional(),
      categoryId: z.string(),
      liveBroadcastContent: z.string(),
      defaultLanguage: z.string().optional(),
      defaultAudioLanguage: z.string().optional(),
      localized: z.object({ title: z.string(), description: z.string() }).optional(),
    })
    .optional(),
  contentDetails: z
    .object({
      duration: z.string(),
      dimension: z.string().optional(),
      definition: z.string().optional(),
      caption: z.string().optional(),
      licensedContent: z.boolean().optional(),
      contentRating: z.record(z.string(), z.unknown()).optional(),
      projection: z.string().optional(),
    })
    .optional(),
  status: z
    .object({
      uploadStatus: z.string(),
      privacyStatus: z.string(),
      license: z.string().optional(),
      embeddable: z.boolean().optional(),
      publicStatsViewable: z.boolean().optional(),
      madeForKids: z.boolean().optional(),
    })
    .optional(),
  statistics: videoStatisticsSchema.optional(),
  // Live streams and premieres only (src/tracker/signals/live.ts); concurrentViewers while live.
  liveStreamingDetails: z
    .object({
      scheduledStartTime: time.optional(),
      scheduledEndTime: time.optional(),
      actualStartTime: time.optional(),
      actualEndTime: time.optional(),
      concurrentViewers: count.optional(),
      activeLiveChatId: z.string().optional(),
    })
    .optional(),
});

export const videoListResponseSchema = z.object({
  kind: z.literal('youtube#videoListResponse'),
  etag: z.string(),
  nextPageToken: z.string().optional(),
  items: z.array(videoSchema),
  pageInfo,
});

// ---- videos:batchGetStats ---------------------------------------------------------------------

export const videoStatSchema = z.object({
  kind: z.literal('youtube#videoStats'),
  etag: z.string().optional(),
  id: z.string(),
  snippet: z.object({ publishTime: time.optional() }).optional(),
  statistics: z
    .object({ viewCount: count.optional(), likeCount: count.optional(), commentCount: count.optional() })
    .optional(),
  contentDetails: z.object({ duration: z.string().optional() }).optional(),
});

export const batchGetStatsResponseSchema = z.object({
  kind: z.literal('youtube#batchGetStatsResponse'),
  etag: z.string().optional(),
  // an answer with no visible video may leave the list out
  items: z.array(videoStatSchema).default([]),
});

// ---- channels.list ----------------------------------------------------------------------------

export const channelSchema = z.object({
  kind: z.literal('youtube#channel'),
  etag: z.string(),
  id: z.string(),
  snippet: z
    .object({
      title: z.string(),
      description: z.string(),
      customUrl: z.string().optional(),
      publishedAt: time,
      thumbnails,
      localized: z.object({ title: z.string(), description: z.string() }).optional(),
      country: z.string().optional(),
    })
    .optional(),
  contentDetails: z
    .object({ relatedPlaylists: z.object({ likes: z.string().optional(), uploads: z.string().optional() }) })
    .optional(),
  statistics: z
    .object({
      viewCount: count.optional(),
      subscriberCount: count.optional(),
      hiddenSubscriberCount: z.boolean().optional(),
      videoCount: count.optional(),
    })
    .optional(),
});

export const channelListResponseSchema = z.object({
  kind: z.literal('youtube#channelListResponse'),
  etag: z.string(),
  nextPageToken: z.string().optional(),
  pageInfo: pageInfo.optional(),
  // YouTube leaves `items` out when no channel matched
  items: z.array(channelSchema).default([]),
});

// ---- videoCategories.list ---------------------------------------------------------------------

export const videoCategorySchema = z.object({
  kind: z.literal('youtube#videoCategory'),
  etag: z.string(),
  id: z.string(),
  snippet: z.object({ title: z.string(), assignable: z.boolean(), channelId: z.string() }).optional(),
});

export const videoCategoryListResponseSchema = z.object({
  kind: z.literal('youtube#videoCategoryListResponse'),
  etag: z.string(),
  items: z.array(videoCategorySchema).default([]),
});

// ---- playlistItems.list -----------------------------------------------------------------------

export const playlistItemSchema = z.object({
  kind: z.literal('youtube#playlistItem'),
  etag: z.string(),
  id: z.string(),
  snippet: z
    .object({
      publishedAt: time,
      channelId: z.string(),
      title: z.string(),
      description: z.string(),
      thumbnails,
      channelTitle: z.string(),
      playlistId: z.string(),
      position: z.number().int().nonnegative(),
      resourceId: z.object({ kind: z.string(), videoId: z.string().optional() }),
      videoOwnerChannelTitle: z.string().optional(),
      videoOwnerChannelId: z.string().optional(),
    })
    .optional(),
  contentDetails: z.object({ videoId: z.string(), videoPublishedAt: time.optional() }).optional(),
  status: z.object({ privacyStatus: z.string() }).optional(),
});

export const playlistItemListResponseSchema = z.object({
  kind: z.literal('youtube#playlistItemListResponse'),
  etag: z.string(),
  nextPageToken: z.string().optional(),
  prevPageToken: z.string().optional(),
  items: z.array(playlistItemSchema),
  pageInfo,
});

// ---- errors -----------------------------------------------------------------------------------

/** `{ error: { code, message, errors: [{ reason, domain, message… }], status?, details? } }` */
export const apiErrorBodySchema = z.object({
  error: z.object({
    code: z.number().int(),
    message: z.string(),
    errors: z
      .array(
        z.object({
          message: z.string().optional(),
          domain: z.string().optional(),
          reason: z.string().optional(),
          location: z.string().optional(),
          locationType: z.string().optional(),
        }),
      )
      .optional(),
    status: z.string().optional(),
    details: z
      .array(z.looseObject({ '@type': z.string().optional(), reason: z.string().optional() }))
      .optional(),
  }),
});

export type SearchResult = z.infer<typeof searchResultSchema>;
export type SearchListResponse = z.infer<typeof searchListResponseSchema>;
export type Video = z.infer<typeof videoSchema>;
export type VideoListResponse = z.infer<typeof videoListResponseSchema>;
export type VideoStat = z.infer<typeof videoStatSchema>;
export type BatchGetStatsResponse = z.infer<typeof batchGetStatsResponseSchema>;
export type Channel = z.infer<typeof channelSchema>;
export type ChannelListResponse = z.infer<typeof channelListResponseSchema>;
export type VideoCategory = z.infer<typeof videoCategorySchema>;
export type VideoCategoryListResponse = z.infer<typeof videoCategoryListResponseSchema>;
export type PlaylistItem = z.infer<typeof playlistItemSchema>;
export type PlaylistItemListResponse = z.infer<typeof playlistItemListResponseSchema>;
export type ApiErrorBody = z.infer<typeof apiErrorBodySchema>;
