import { z } from 'zod';
import { DEFAULT_MANUAL_PRIORITY, priorityInput, searchQueryInput, videoIdInput } from '../queues/manual.ts';

/** Request bodies of the HTTP API. Every field is checked; unknown fields are refused. */

export const MAX_QUERIES_PER_REQUEST = 500;
export const MAX_VIDEOS_PER_REQUEST = 1000;

// The rules for one query, one priority and one video id are the CLI's too: queues/manual.ts.
const queryText = searchQueryInput;
const priority = priorityInput;

/** POST /api/search-queries: `{query}` or `{queries: [...]}`, and an optional priority for all of them. */
export const searchQueriesBody = z
  .object(
    {
      query: queryText.optional(),
      queries: z
        .array(queryText, { error: 'expected an array of strings' })
        .min(1, { message: 'must not be empty' })
        .max(MAX_QUERIES_PER_REQUEST, { message: `at most ${MAX_QUERIES_PER_REQUEST} queries at once` })
        .optional(),
      priority: priority.optional(),
    },
    { error: 'expected a JSON object' },
  )
  .strict()
  .superRefine((b, ctx) => {
    if (b.query === undefined && b.queries === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['queries'],
        message: 'give "query" (a string) or "queries" (an array)',
      });
    else if (b.query !== undefined && b.queries !== undefined)
      ctx.addIssue({ code: 'custom', path: ['query'], message: 'give "query" or "queries", not both' });
  })
  .transform((b) => ({
    queries: b.queries ?? (b.query === undefined ? [] : [b.query]),
    priority: b.priority ?? DEFAULT_MANUAL_PRIORITY,
  }));

const videoId = videoIdInput;

/** POST /api/track: `{videoId}` or `{videoIds: [...]}`. */
export const trackBody = z
  .object(
    {
      videoId: videoId.optional(),
      videoIds: z
        .array(videoId, { error: 'expected an array of video ids' })
        .min(1, { message: 'must not be empty' })
        .max(MAX_VIDEOS_PER_REQUEST, { message: `at most ${MAX_VIDEOS_PER_REQUEST} videos at once` })
        .optional(),
    },
    { error: 'expected a JSON object' },
  )
  .strict()
  .superRefine((b, ctx) => {
    if (b.videoId === undefined && b.videoIds === undefined)
      ctx.addIssue({ code: 'custom', path: ['videoIds'], message: 'give "videoId" or "videoIds"' });
    else if (b.videoId !== undefined && b.videoIds !== undefined)
      ctx.addIssue({ code: 'custom', path: ['videoId'], message: 'give "videoId" or "videoIds", not both' });
  })
  .transform((b) => [...new Set(b.videoIds ?? (b.videoId === undefined ? [] : [b.videoId]))]);

/** Queues an operator may fill by hand; the others are fed by their dispatchers. */
export { isManualJobQueue as isManualQueue, MANUAL_JOB_QUEUES as MANUAL_QUEUES } from '../queues/manual.ts';
