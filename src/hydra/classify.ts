import { YouTubeApiError } from '../errors/index.ts';

/**
 * What Hydra does about a failed call:
 * - quota: the key's bucket is spent today → mark it, retry at once on another key
 * - rate: the key is over YouTube's per-second limit → cool it, retry on another key
 * - invalid: the key is rejected → disable it, alert, retry on another key
 * - transient: 5xx, network error, timeout → back off, retry on the same key a few times
 * - fatal: anything else (a bad request, a malformed response) → the caller's problem, thrown at once
 */
export type Verdict = 'quota' | 'rate' | 'invalid' | 'transient' | 'fatal';

const QUOTA = new Set(['quotaExceeded', 'dailyLimitExceeded', 'dailyLimitExceededUnreg']);
const RATE = new Set(['rateLimitExceeded', 'userRateLimitExceeded']);
const INVALID = new Set(['keyInvalid', 'keyExpired']);
const TRANSIENT = new Set(['backendError', 'internalError', 'networkError', 'timeout', 'serviceUnavailable']);

export function classify(err: unknown): Verdict {
  if (!(err instanceof YouTubeApiError)) return 'fatal';
  if (QUOTA.has(err.reason)) return 'quota';
  if (RATE.has(err.reason) || err.status === 429) return 'rate';
  if (INVALID.has(err.reason)) return 'invalid';
  if (TRANSIENT.has(err.reason) || err.status >= 500) return 'transient';
  return 'fatal';
}

/** Exponential backoff with full jitter in [half, whole] of the step: replicas do not retry in step. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  const step = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(step * (0.5 + random() / 2));
}
