import type { SnapshotRow } from '../../dao/staging.ts';
import { METRICS_TABLE } from '../../vault/schema.ts';
import type { TrackerSignal } from '../signal.ts';

/** Snapshot metrics: views, likes and comments of every returned video, once per due poll. */
export const metricsSignal: TrackerSignal = {
  name: 'metrics',
  vault: METRICS_TABLE,
  docs: '`metrics/` — one row per video and poll: views, likes, comments, the tier after the poll',
  start() {
    const rows: SnapshotRow[] = [];
    return {
      visit(v) {
        if (v.counts)
          rows.push({ videoId: v.video.id, dueAt: v.dueAt, takenAt: v.now, ...v.counts, tier: v.tier });
      },
      // The completion statement inserts them, for the fenced videos only.
      completionRows: () => ({ snapshots: rows }),
      pending: () => false,
      stage: async (_tx, fenced) => rows.filter((r) => fenced.has(r.videoId)).length,
    };
  },
};
