import { World } from '@pleiades/youtube-simulator';
import { DAY_MS } from '../src/clock.ts';
import { addToWatchlist } from '../src/dao/watchlist.ts';
import type { Pool } from '../src/db/pool.ts';

/** The simulator's default world as a `pleiades simulator` started today has it (seed 42). */
export const defaultWorld = (now = Date.now()): World => new World(42, {}, now);

/** The `n` videos of `world` published last before `before`, oldest first, with their publish times. */
export function latestVideos(world: World, n: number, before: number): { id: string; publishedAt: number }[] {
  const perDay = world.options.videosPerDay;
  const from = before - Math.ceil((n / perDay + 1) * DAY_MS);
  const all = world.videoIdsPublishedBetween(from, before, Number.MAX_SAFE_INTEGER);
  return all.slice(-n).map((id) => ({ id, publishedAt: world.publishedAt(world.indexOf(id)) }));
}

/** Adds videos to the watchlist through the DAO, due at `due` (the DAO schedules new videos "now"). */
export async function fillWatchlist(
  pool: Pool,
  videos: { id: string; publishedAt: number }[],
  due: number,
  chunk = 10_000,
): Promise<void> {
  for (let i = 0; i < videos.length; i += chunk) await addToWatchlist(pool, videos.slice(i, i + chunk), due);
}
