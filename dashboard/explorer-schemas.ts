import { z } from 'zod';

/**
 * The explorer API's answers (dashboard/README.md), checked before they are sent: a change in the
 * data layer that breaks the documented shape fails loudly instead of reaching a client.
 */

const ms = z.number().int().nonnegative();
const count = z.number().int().nonnegative().nullable();
const videoId = z.string().regex(/^[A-Za-z0-9_-]{11}$/);

export const videoResponse = z.object({
  video: z.object({
    videoId,
    title: z.string(),
    channelId: z.string(),
    channelTitle: z.string(),
    description: z.string(),
    tags: z.array(z.string()),
    categoryId: z.number().int().nullable(),
    durationS: z.number().int().nullable(),
    publishedAt: ms,
    discoveredAt: ms,
    hot: z.boolean(),
    tier: z.string().nullable(),
    nextPollAt: ms.nullable(),
  }),
});

export const historyResponse = z.object({
  videoId,
  snapshots: z.array(
    z.object({
      takenAt: ms,
      dueAt: ms,
      views: count,
      likes: count,
      comments: count,
      tier: z.string(),
      source: z.enum(['vault', 'staging']),
    }),
  ),
  lifecycle: z.array(
    z.object({
      event: z.string(),
      seenAt: ms,
      dueAt: ms,
      initial: z.boolean(),
      detail: z.string().nullable(),
    }),
  ),
  gaps: z.array(
    z.object({ dueAt: ms, polledAt: ms, reason: z.string(), taken: z.boolean(), tier: z.string() }),
  ),
  tierBands: z.array(z.object({ tier: z.string(), from: ms, to: ms })),
});

export const channelResponse = z.object({
  channel: z.object({
    channelId: z.string(),
    channelTitle: z.string(),
    follow: z
      .object({
        state: z.string(),
        origin: z.string(),
        polls: z.number().int(),
        videosFound: z.number().int(),
        lastPolledAt: ms.nullable(),
        nextPollAt: ms.nullable(),
        pollEveryS: z.number(),
        uploadsPerDay: z.number().nullable(),
      })
      .nullable(),
    videos: z.array(
      z.object({
        videoId,
        title: z.string(),
        publishedAt: ms,
        views: count,
        likes: count,
        comments: count,
        viewsPerHour: z.number().nullable(),
        spark: z.array(z.number()),
      }),
    ),
  }),
});

export const searchResponse = z.object({
  q: z.string(),
  results: z.array(
    z.object({ kind: z.enum(['video', 'channel']), id: z.string(), title: z.string(), detail: z.string() }),
  ),
});

const listItem = z.object({ videoId, title: z.string(), channelTitle: z.string(), value: z.number() });
export const listsResponse = z.object({
  recentlyDiscovered: z.array(listItem),
  fastestGrowing: z.array(listItem),
  justWentViral: z.array(listItem),
});
