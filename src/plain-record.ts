/**
 * Hand checks for the hot path's plain JSON (queues/plain-tracker-payload.ts,
 * src/youtube/plain-video-list.ts): each accepts only what its zod schema would accept unchanged, so
 * an object with a field the schema does not know goes to the schema instead.
 */

/** A JSON object (not null, not an array) whose fields are all in `allowed`. */
export function isRecordOf(x: unknown, allowed: ReadonlySet<string>): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  for (const k in x) if (!allowed.has(k)) return false;
  return true;
}
