/**
 * The product's clock: the Clock, ManualClock, ScaledClock and YouTube's Pacific quota day are one
 * concept shared with the simulator, declared once in its package (a dependency-free module) and
 * re-exported here so the product imports time from one place.
 */
export {
  type Clock,
  DAY_MS,
  HOUR_MS,
  ManualClock,
  MINUTE_MS,
  nextPacificMidnight,
  pacificDay,
  ScaledClock,
  systemClock,
} from '@pleiades/youtube-simulator/clock';

import { MINUTE_MS } from '@pleiades/youtube-simulator/clock';

/** Whole minutes since the epoch: the watchlist stores times this way (int4 lasts until year 6053). */
export const toEpochMinutes = (ms: number): number => Math.floor(ms / MINUTE_MS);
export const fromEpochMinutes = (min: number): number => min * MINUTE_MS;
