import type { TrackerSignal } from './signal.ts';
import { gapsSignal } from './signals/gaps.ts';
import { lifecycleSignal } from './signals/lifecycle.ts';
import { metricsSignal } from './signals/metrics.ts';
import { titlesSignal } from './signals/titles.ts';

/**
 * Every signal the tracker records, in the order they stage. Adding a signal is adding its module
 * here (with its migration when it stages into a table of its own); workers/tracker.ts does not
 * change. docs/architecture.md shows where the registry sits.
 */
export const TRACKER_SIGNALS: readonly TrackerSignal[] = [
  metricsSignal,
  lifecycleSignal,
  titlesSignal,
  gapsSignal,
];
