import { DAY_MS, HOUR_MS } from '../../clock.ts';
import { insertLifecycleEvents, knownTitles, recordTitles } from '../../dao/lifecycle.ts';
import type { LifecycleEvent } from '../../observations/lifecycle.ts';
import { titleCheckDue } from '../../observations/titles.ts';
import type { TrackerSignal } from '../signal.ts';

/**
 * Titles: every TRACKER_TITLE_CHECK_H the tracker also asks for `snippet` and compares the title with
 * the one it knows; a change is a `title_changed` lifecycle event carrying the new title.
 */
export const titlesSignal: TrackerSignal = {
  name: 'titles',
  docs: '`lifecycle/` `title_changed` — checked every TRACKER_TITLE_CHECK_H while the video is in retention',
  async start(ctx, videos) {
    const { config, clock, pool } = ctx;
    const opts = {
      periodMs: config.TRACKER_TITLE_CHECK_H * HOUR_MS,
      withinMs: config.JANITOR_RETENTION_DAYS * DAY_MS,
    };
    const due = new Set(videos.filter((v) => titleCheckDue(v, clock.now(), opts)).map((v) => v.id));
    const events: LifecycleEvent[] = [];
    const changed: { videoId: string; title: string; at: number }[] = [];
    const titles = due.size ? await knownTitles(pool, [...due]) : new Map<string, string>();
    let at = 0;
    return {
      parts: due.size ? ['snippet'] : [],
      visit(v) {
        at = v.now;
        const title = v.item?.snippet?.title;
        const known = titles.get(v.video.id);
        if (!due.has(v.video.id) || typeof title !== 'string' || known === undefined || title === known)
          return;
        events.push({
          videoId: v.video.id,
          event: 'title_changed',
          dueAt: v.dueAt,
          seenAt: v.now,
          previousAt: v.previousAt,
          initial: false,
          detail: title,
        });
        changed.push({ videoId: v.video.id, title, at: v.now });
      },
      pending: () => changed.length > 0,
      async stage(tx, fenced) {
        const mine = events.filter((e) => fenced.has(e.videoId));
        await insertLifecycleEvents(tx, mine);
        await recordTitles(
          tx,
          changed.filter((t) => fenced.has(t.videoId)),
          at - (config.JANITOR_RETENTION_DAYS + 1) * DAY_MS,
        );
        return mine.length;
      },
    };
  },
};
