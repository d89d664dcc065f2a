import { insertLifecycleEvents, knownTitles, recordTitles } from '../dao/lifecycle.ts';
import { markDeletionNoticed } from '../dao/watchlist.ts';
import { type Queryable, withTransaction } from '../db/pool.ts';
import type { LifecycleEvent } from '../observations/lifecycle.ts';
import type { ParsedFeed } from './feed.ts';

export interface PushedChangeOptions {
  /** TRACKER_MISSES_BEFORE_GONE: a noticed deletion leaves one miss to confirm it. */
  missesBeforeGone: number;
  /** Changed titles older than this (ms before now) are pruned, as the tracker prunes them. */
  titleRetentionMs: number;
}

/**
 * What a WebSub notification says about videos Pleiades already tracks, turned into lifecycle signals
 * without a videos.list call:
 * - an entry whose `<title>` differs from the known title → `title_changed` (the title is recorded, so
 *   the tracker's own title check does not report it again);
 * - an `at:deleted-entry` → `unavailable` at once, and the video's next poll confirms it: still absent,
 *   it is GONE after that one poll instead of TRACKER_MISSES_BEFORE_GONE polls; present, it is back.
 * Idempotent: a duplicated notification finds the title already recorded and the miss already set.
 */
export async function applyPushedChanges(
  pool: Parameters<typeof withTransaction>[0],
  feed: ParsedFeed,
  now: number,
  opts: PushedChangeOptions,
): Promise<{ titles: number; deletions: number }> {
  const titled = feed.entries.filter((e) => e.title !== '');
  if (titled.length === 0 && feed.deleted.length === 0) return { titles: 0, deletions: 0 };
  return withTransaction(pool, async (tx: Queryable) => {
    const known = await knownTitles(
      tx,
      titled.map((e) => e.videoId),
    );
    const changed = titled.filter((e) => known.has(e.videoId) && known.get(e.videoId) !== e.title);
    const event = (videoId: string, name: LifecycleEvent['event'], detail: string): LifecycleEvent => ({
      videoId,
      event: name,
      dueAt: now,
      seenAt: now,
      previousAt: null,
      initial: false,
      detail,
    });
    const gone = await markDeletionNoticed(tx, feed.deleted, opts.missesBeforeGone);
    await insertLifecycleEvents(tx, [
      ...changed.map((e) => event(e.videoId, 'title_changed', e.title)),
      ...gone.map((id) => event(id, 'unavailable', 'websub: at:deleted-entry')),
    ]);
    await recordTitles(
      tx,
      changed.map((e) => ({ videoId: e.videoId, title: e.title, at: now })),
      now - opts.titleRetentionMs,
    );
    return { titles: changed.length, deletions: gone.length };
  });
}
