import { z } from 'zod';

/**
 * What a search query may contain, wherever it comes from (HTTP, CLI, SEED_QUERIES):
 * - well-formed Unicode only: a lone UTF-16 surrogate (`"a\ud800b"` in JSON) is refused, not silently
 *   turned into U+FFFD (which would store, and report as queued, a different query);
 * - no control characters;
 * - no bidi embeddings, overrides or isolates (U+202A–U+202E, U+2066–U+2069): they make a query
 *   display differently from what is searched (the "Trojan Source" trick, CVE-2021-42574), and a
 *   query in any script needs none of them;
 * - invisible characters that change nothing in a search are dropped: zero-width space U+200B, word
 *   joiner U+2060, BOM U+FEFF and the direction marks U+200E, U+200F, U+061C; the zero-width
 *   (non-)joiners U+200C and U+200D are kept, as they are spelling in Persian and Indic scripts and
 *   join emoji sequences;
 * - NFKC-normalised, trimmed, runs of whitespace made one space, 1 to 200 characters.
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: that is the point of this pattern
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const BIDI_CONTROL = /[\u202a-\u202e\u2066-\u2069]/;
const INVISIBLE = /[\u200b\u2060\ufeff\u200e\u200f\u061c]/g;
export const MAX_QUERY_LENGTH = 200;

export const searchQueryText = z
  .string({ message: 'expected a string' })
  .refine((s) => s.isWellFormed(), { message: 'must be valid Unicode (a lone UTF-16 surrogate is not)' })
  .refine((s) => !CONTROL.test(s), { message: 'must not contain control characters' })
  .refine((s) => !BIDI_CONTROL.test(s), {
    message: 'must not contain bidirectional embedding, override or isolate characters',
  })
  .transform((s) => s.replace(INVISIBLE, '').normalize('NFKC').trim().replace(/\s+/g, ' '))
  .pipe(
    z
      .string()
      .min(1, { message: 'the query is empty' })
      .max(MAX_QUERY_LENGTH, { message: `the query is longer than ${MAX_QUERY_LENGTH} characters` }),
  );
