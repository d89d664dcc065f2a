import { isQueueName, QUEUE_NAMES, type QueueName } from '../../queues/index.ts';
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

export function parsePositiveInt(s: string, field: string, max = 1_000_000): number {
  if (!/^\d+$/.test(s) || Number(s) < 1 || Number(s) > max)
    throw new ValidationError([
      { field, message: `expected a whole number from 1 to ${max}, got ${JSON.stringify(s)}` },
    ]);
  return Number(s);
}

export function parseInteger(s: string, field: string): number {
  // Beyond 2^53 a number is no longer the one typed: refused rather than silently rounded.
  if (!/^-?\d+$/.test(s) || !Number.isSafeInteger(Number(s)))
    throw new ValidationError([{ field, message: `expected a whole number, got ${JSON.stringify(s)}` }]);
  return Number(s);
}
