import { z } from 'zod';
import { VIDEO_ID_RE } from '../src/videoId.ts';

/** Request bodies of the HTTP API. Every field is checked; unknown fields are refused. */

// Control characters other than whitespace have no business in a search query.
// biome-ignore lint/suspicious/noControlCharactersInRegex: that is the point of this pattern
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

export const MAX_QUERY_LENGTH = 200;
export const MAX_QUERIES_PER_REQUEST = 500;
export const MAX_VIDEOS_PER_REQUEST = 1000;
export const DEFAULT_MANUAL_PRIORITY = 10;

const queryText = z
  .string({ error: 'expected a string' })
  .refine((s) => !CONTROL.test(s), { message: 'must not contain control characters' })
  .transform((s) => s.trim().replace(/\s+/g, ' '))
  .pipe(
    z
      .string()
      .min(1, { message: 'must not be empty' })
      .max(MAX_QUERY_LENGTH, { message: `at most ${MAX_QUERY_LENGTH} characters` }),
  );

const priority = z
  .number({ error: 'expected a number' })
  .int({ message: 'expected a whole number' })
  .min(-1000, { message: 'expected at least -1000' })
  .max(1000, { message: 'expected at most 1000' });

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

const videoId = z
  .string({ error: 'expected a string' })
  .regex(VIDEO_ID_RE, { message: 'expected an 11-character YouTube video id' });

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
export const MANUAL_QUEUES = ['janitor', 'painter', 'scribe', 'vault-flush'] as const;
export type ManualQueue = (typeof MANUAL_QUEUES)[number];
export const isManualQueue = (s: string): s is ManualQueue =>
  (MANUAL_QUEUES as readonly string[]).includes(s);
