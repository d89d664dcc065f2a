import { MINUTE_MS } from '../../clock.ts';
import {
  insertLiveRows,
  LIVE_STAGING,
  type LiveRow,
  type LiveStatus,
  readLiveRange,
} from '../../dao/live.ts';
import { vaultLog } from '../../vault/parts.ts';
import type { AnyTableSpec } from '../../vault/schema.ts';
import { toCount } from '../../youtube/client.ts';
import type { Video } from '../../youtube/schemas.ts';
import type { TrackerSignal } from '../signal.ts';

/**
 * Live streams and premieres: every video YouTube answers with `liveStreamingDetails` gets a row per
 * poll in `live/` while it is upcoming or live (concurrent viewers while live), and one more at the
 * poll that first sees it ended. An upcoming one is polled at its scheduled start (sooner than its
 * tier would), then, while it is live or late to start, every LIVE_CADENCE_MS (the LIVE cadence)
 * instead of its tier's interval; once ended, its tier's schedule takes over again. The part costs no quota: a
 * videos.list call is one unit whatever its parts.
 */

/** The LIVE cadence: concurrent viewers change by the minute, a poll every 5 minutes draws the curve. */
export const LIVE_CADENCE_MS = 5 * MINUTE_MS;

/** live/: one row per poll of a broadcast, by the UTC day of `polled_at`. */
export const LIVE_TABLE: AnyTableSpec = {
  name: 'live',
  version: 1,
  columns: [
    { name: 'video_id', type: 'string', nullable: false },
    { name: 'polled_at', type: 'timestamp_ms', nullable: false },
    { name: 'due_at', type: 'timestamp_ms', nullable: false },
    { name: 'status', type: 'string', nullable: false },
    { name: 'scheduled_start_time', type: 'timestamp_ms', nullable: true },
    { name: 'actual_start_time', type: 'timestamp_ms', nullable: true },
    { name: 'actual_end_time', type: 'timestamp_ms', nullable: true },
    { name: 'concurrent_viewers', type: 'int64', nullable: true },
  ],
};

const LIVE_LOG = vaultLog({
  staging: LIVE_STAGING,
  table: LIVE_TABLE,
  about: 'live streams and premieres: status and concurrent viewers at every poll while upcoming or live',
  read: readLiveRange,
  at: (x) => x.polledAt,
  row: (x) => ({
    video_id: x.videoId,
    polled_at: x.polledAt,
    due_at: x.dueAt,
    status: x.status,
    scheduled_start_time: x.scheduledStartAt,
    actual_start_time: x.actualStartAt,
    actual_end_time: x.actualEndAt,
    concurrent_viewers: x.concurrentViewers,
  }),
});

const time = (s: string | undefined): number | null => (s ? Date.parse(s) : null);

/** The broadcast as one poll saw it; null for an ordinary upload. */
function broadcast(item: Video | undefined) {
  const d = item?.liveStreamingDetails;
  if (!d) return null;
  const actualStartAt = time(d.actualStartTime);
  const actualEndAt = time(d.actualEndTime);
  const status: LiveStatus = actualEndAt !== null ? 'ended' : actualStartAt !== null ? 'live' : 'upcoming';
  return {
    status,
    scheduledStartAt: time(d.scheduledStartTime),
    actualStartAt,
    actualEndAt,
    concurrentViewers: toCount(d.concurrentViewers),
  };
}

export const liveSignal: TrackerSignal = {
  name: 'live',
  log: LIVE_LOG,
  docs: '`live/` — live streams and premieres: status and concurrent viewers at each poll, every 5 minutes while live',
  cadence(item, now) {
    const b = broadcast(item);
    if (!b || b.status === 'ended') return null;
    if (b.status === 'live') return LIVE_CADENCE_MS;
    // Upcoming: a poll at the scheduled start, then the LIVE cadence until it goes live.
    return b.scheduledStartAt === null ? null : Math.max(LIVE_CADENCE_MS, b.scheduledStartAt - now);
  },
  start() {
    const rows: LiveRow[] = [];
    return {
      parts: ['liveStreamingDetails'],
      visit(v) {
        const b = broadcast(v.item);
        if (!b) return;
        // An ended broadcast once: at the first poll after its end.
        if (b.status === 'ended' && v.previousAt !== null && (b.actualEndAt ?? 0) <= v.previousAt) return;
        rows.push({ videoId: v.video.id, dueAt: v.dueAt, polledAt: v.now, ...b });
      },
      pending: () => rows.length > 0,
      stage: (tx, fenced) =>
        insertLiveRows(
          tx,
          rows.filter((r) => fenced.has(r.videoId)),
        ),
    };
  },
};
