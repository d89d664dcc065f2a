import { LIFECYCLE_STAGING } from '../../dao/event-logs.ts';
import { readLifecycleRange } from '../../dao/lifecycle.ts';
import { flagChanges, type LifecycleEvent } from '../../observations/lifecycle.ts';
import { vaultLog } from '../../vault/parts.ts';
import { LIFECYCLE_TABLE } from '../../vault/schema.ts';
import type { TrackerSignal } from '../signal.ts';

/** lifecycle/: one row per event, by the UTC day of `seen_at` (titles' `title_changed` included). */
const LIFECYCLE_LOG = vaultLog({
  staging: LIFECYCLE_STAGING,
  table: LIFECYCLE_TABLE,
  about: 'what happened to a video: unavailable and back, likes hidden, comments disabled, title changes',
  read: readLifecycleRange,
  at: (e) => e.seenAt,
  row: (e) => ({
    video_id: e.videoId,
    event: e.event,
    seen_at: e.seenAt,
    due_at: e.dueAt,
    previous_at: e.previousAt,
    initial: e.initial,
    detail: e.detail,
  }),
});

/**
 * Lifecycle events: a video missing from the answer, gone after N misses (also published on the bus
 * as `video.gone`), back again, likes or comments switched off or on.
 */
export const lifecycleSignal: TrackerSignal = {
  name: 'lifecycle',
  log: LIFECYCLE_LOG,
  docs: '`lifecycle/` — unavailable, available_again, gone, likes/comments hidden or shown (title_changed: titles)',
  start(ctx) {
    const events: LifecycleEvent[] = [];
    const gone: string[] = [];
    let at = 0;
    return {
      visit(v) {
        at = v.now;
        const event = (name: LifecycleEvent['event'], initial = false) =>
          events.push({
            videoId: v.video.id,
            event: name,
            dueAt: v.dueAt,
            seenAt: v.now,
            previousAt: v.previousAt,
            initial,
            detail: null,
          });
        if (v.tierEvent)
          events.push({
            videoId: v.video.id,
            event: v.tierEvent.event,
            dueAt: v.dueAt,
            seenAt: v.now,
            previousAt: v.previousAt,
            initial: false,
            detail: v.tierEvent.detail,
          });
        if (v.after) {
          if (v.video.misses > 0) event('available_again');
          for (const c of flagChanges(v.before, v.after)) event(c.event, c.initial);
        } else {
          if (v.video.misses === 0) event('unavailable');
          if (v.gone) {
            event('gone');
            gone.push(v.video.id);
          }
        }
      },
      // The completion statement inserts the events (fenced there); only `video.gone` needs the transaction.
      completionRows: () => ({ events }),
      pending: () => gone.length > 0,
      async stage(tx, fenced) {
        const mine = events.filter((e) => fenced.has(e.videoId));
        const goneNow = gone.filter((id) => fenced.has(id));
        if (goneNow.length)
          await ctx.emit(
            'video.gone',
            goneNow.map((videoId) => ({
              videoId,
              misses: ctx.config.TRACKER_MISSES_BEFORE_GONE,
              at: new Date(at).toISOString(),
            })),
            { tx },
          );
        return mine.length;
      },
    };
  },
};
