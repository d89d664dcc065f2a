import { z } from 'zod';

/**
 * Finite ranges for every number a person can type (environment, CLI flags, HTTP bodies). A number is
 * accepted only when the code that uses it can: `retentionDays: 1e308` is a valid JSON number but makes
 * an invalid date, and a timer given more than 2^31-1 ms fires at once (Node clamps it to 1 ms).
 * One place, so the environment, the CLI and the API agree on each ceiling.
 */
export const LIMITS = {
  /** setTimeout/setInterval's ceiling (about 24.8 days): a longer wait fires immediately. */
  timerMs: 2 ** 31 - 1,
  /** The same ceiling in seconds, for settings that become timers or BullMQ repeat intervals. */
  timerS: Math.floor((2 ** 31 - 1) / 1000),
  /** Durations stored or compared, never waited on: ten years. */
  durationS: 10 * 365 * 86_400,
  /** A century: ages and retentions. */
  days: 36_500,
  hours: 36_500 * 24,
  /** Quotas, counts, thresholds. */
  count: 1_000_000_000,
} as const;

type NumberOpts = { int?: boolean };

/** A JSON number (HTTP body, job payload) from `min` to `max`, whole when `int`. */
export function boundedNumber(min: number, max: number, opts: NumberOpts = {}) {
  // The range first, so a huge number is reported as too large rather than as not whole.
  const n = z
    .number({ message: 'expected a number' })
    .min(min, { message: `expected at least ${min}` })
    .max(max, { message: `expected at most ${max}` });
  return opts.int ? n.int({ message: 'expected a whole number' }) : n;
}

/**
 * A number written as text (environment variable, CLI flag): plain decimal digits only (no `1e3`, no
 * hex, no blanks: `Number('')` is 0), then the same range as `boundedNumber`.
 */
export function numericText(min: number, max: number, opts: NumberOpts = {}) {
  const pattern = opts.int ? /^-?\d+$/ : /^-?\d+(\.\d+)?$/;
  return z
    .string()
    .regex(pattern, { message: opts.int ? 'expected a whole number' : 'expected a number' })
    .transform(Number)
    .pipe(boundedNumber(min, max, opts));
}
