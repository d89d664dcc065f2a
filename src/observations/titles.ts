import { MINUTE_MS } from '../clock.ts';

/**
 * When the tracker reads titles (part=snippet: the same quota unit, a much bigger answer). Periods are
 * aligned on the epoch, so a video's title is read at its first poll in each period — at most once a
 * period, and for a batch that was polled in the previous period, every video's at once — and only
 * while its hot row exists (the baseline it is compared with), i.e. while younger than `withinMs`.
 */
export function titleCheckDue(
  v: { publishedMin: number; lastTrackedMin: number },
  now: number,
  opts: { periodMs: number; withinMs: number },
): boolean {
  if (opts.periodMs <= 0 || v.lastTrackedMin <= 0) return false;
  if (now - v.publishedMin * MINUTE_MS > opts.withinMs) return false;
  return Math.floor(now / opts.periodMs) !== Math.floor((v.lastTrackedMin * MINUTE_MS) / opts.periodMs);
}
