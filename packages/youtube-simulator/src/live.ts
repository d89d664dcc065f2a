import { hash2 } from './rng.ts';

/**
 * Live streams and premieres. A broadcast is scheduled (`snippet.liveBroadcastContent` "upcoming",
 * `liveStreamingDetails.scheduledStartTime`), goes live (`actualStartTime`, "live", and
 * `concurrentViewers` while it lasts) and ends (`actualEndTime`, "none", and no more concurrent
 * viewers: YouTube stops counting them when a broadcast ends). A premiere is a recorded video shown
 * as a broadcast: it starts on time and lasts the video's length.
 */
export interface LiveSchedule {
  kind: 'live' | 'premiere';
  scheduledStart: number;
  actualStart: number;
  actualEnd: number;
  peakViewers: number;
}

export function liveSchedule(o: {
  kind: 'live' | 'premiere';
  scheduledStart: number;
  durationMs: number;
  peakViewers: number;
  /** How late the broadcast goes live (default 0). */
  startDelayMs?: number;
}): LiveSchedule {
  const actualStart = o.scheduledStart + (o.startDelayMs ?? 0);
  return {
    kind: o.kind,
    scheduledStart: o.scheduledStart,
    actualStart,
    actualEnd: actualStart + o.durationMs,
    peakViewers: o.peakViewers,
  };
}

export type LiveBroadcastContent = 'upcoming' | 'live' | 'none';

export const broadcastContent = (l: LiveSchedule | null, now: number): LiveBroadcastContent =>
  !l ? 'none' : now < l.actualStart ? 'upcoming' : now < l.actualEnd ? 'live' : 'none';

/**
 * Viewers watching at `now` while live: a quick rise over the first tenth of the broadcast, then a
 * slow decline to half the peak, with a little minute-to-minute noise; null outside the broadcast.
 */
export function concurrentViewers(l: LiveSchedule, now: number, salt: number): number | null {
  if (now < l.actualStart || now >= l.actualEnd) return null;
  const x = (now - l.actualStart) / (l.actualEnd - l.actualStart);
  const shape = Math.min(1, 0.2 + (0.8 * x) / 0.1) * (1 - 0.5 * x);
  const noise = 0.95 + 0.1 * ((hash2(salt, Math.floor(now / 60_000)) >>> 0) / 2 ** 32);
  return Math.max(1, Math.round(l.peakViewers * shape * noise));
}
