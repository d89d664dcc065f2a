import type { Clock } from '../clock.ts';
import { systemClock } from '../clock.ts';
import { AllKeysExhaustedError } from '../errors/index.ts';
import type { Logger } from '../log.ts';

/** The seed's convention: a worker that finds every key spent exits 42, and its orchestrator restarts it later. */
export const EXHAUSTED_EXIT_CODE = 42;

/**
 * What a worker does with an AllKeysExhaustedError (anything else is rethrown).
 * - `exitOnExhaustion` (HYDRA_EXIT_ON_EXHAUSTION=true): logs, flushes the log and exits with code 42.
 * - otherwise: returns the wall-clock ms until the pool resets, so the worker can pause or rate-limit
 *   its queue until then (no job fails, none is lost). A sped-up ScaledClock shortens the wait.
 */
export async function handleExhaustion(
  err: unknown,
  o: { exitOnExhaustion: boolean; log: Logger; clock?: Clock; exit?: (code: number) => never },
): Promise<number> {
  if (!(err instanceof AllKeysExhaustedError)) throw err;
  const clock = o.clock ?? systemClock;
  const speed = (clock as { speed?: unknown }).speed;
  const ms = Math.max(0, Math.ceil((err.resetAt - clock.now()) / (typeof speed === 'number' ? speed : 1)));
  const ctx = { pool: err.pool, bucket: err.bucket, resetAt: new Date(err.resetAt).toISOString() };
  if (!o.exitOnExhaustion) {
    o.log.warn({ ...ctx, pauseMs: ms }, 'every key is spent: pausing until the quota resets');
    return ms;
  }
  o.log.warn(
    { ...ctx, exitCode: EXHAUSTED_EXIT_CODE },
    'every key is spent: exiting (HYDRA_EXIT_ON_EXHAUSTION)',
  );
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, 2_000);
    o.log.flush(() => {
      clearTimeout(t);
      resolve();
    });
  });
  return (o.exit ?? process.exit)(EXHAUSTED_EXIT_CODE);
}
