import { isQueueName, QUEUE_NAMES, type QueueName } from '../../queues/index.ts';
import { numericText } from '../../src/config/ranges.ts';
import { ValidationError } from '../../src/errors/index.ts';

/** `hunter,tracker` → queue names; an unknown name is an error that lists the known ones. */
export function parseQueueList(s: string | undefined, field = '--queues'): QueueName[] {
  if (!s) return QUEUE_NAMES;
  const names = s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  const bad = names.filter((n) => !isQueueName(n));
  if (bad.length || names.length === 0)
    throw new ValidationError([
      {
        field,
        message: `unknown queue ${bad.map((b) => JSON.stringify(b)).join(', ') || '(none given)'}; known: ${QUEUE_NAMES.join(', ')}`,
      },
    ]);
  return names as QueueName[];
}

/** A CLI number through the same ranges as the environment and the API (src/config/ranges.ts). */
function parseNumber(s: string, field: string, min: number, max: number): number {
  const r = numericText(min, max, { int: true }).safeParse(s);
  if (r.success) return r.data;
  throw new ValidationError([
    { field, message: `${r.error.issues[0]?.message ?? 'invalid'}, got ${JSON.stringify(s)}` },
  ]);
}

export function parsePositiveInt(s: string, field: string, max = 1_000_000): number {
  return parseNumber(s, field, 1, max);
}

/** A whole number within `min`..`max` (beyond 2^53 a number is no longer the one typed). */
export function parseInteger(
  s: string,
  field: string,
  min = Number.MIN_SAFE_INTEGER,
  max = Number.MAX_SAFE_INTEGER,
): number {
  return parseNumber(s, field, min, max);
}
