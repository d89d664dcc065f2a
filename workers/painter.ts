import type { Payload } from '../queues/index.ts';
import { DAY_MS } from '../src/clock.ts';
import { categoriesFresh, staleChannels, upsertCategories } from '../src/dao/channels.ts';
import { fetchPainterTargets, updateVideoEnrichment } from '../src/dao/videos.ts';
import { refreshChannels } from './channels.ts';
import type { AgentDeps } from './deps.ts';

const REGION = 'US';

/**
 * Enriches hot videos with channel data (channels.list, 50 channels a unit, cached a day in
 * `channels`) and category names (videoCategories.list, cached a day), through Hydra.
 */
export async function paint(
  deps: AgentDeps,
  job: Payload<'painter'>,
): Promise<{ enriched: number; channelsFetched: number }> {
  const { pool, hydra, youtube, clock } = deps;
  const targets = await fetchPainterTargets(pool, job.limit ?? 500);
  if (targets.length === 0) return { enriched: 0, channelsFetched: 0 };
  const now = new Date(clock.now());
  const dayAgo = new Date(now.getTime() - DAY_MS);
  if (!(await categoriesFresh(pool, REGION, dayAgo))) {
    const cats = await hydra.call({ pool: 'hunting', method: 'videoCategories.list' }, (key) =>
      youtube.videoCategoriesList(key, REGION),
    );
    await upsertCategories(
      pool,
      REGION,
      cats.items
        .filter((c) => /^\d+$/.test(c.id))
        .map((c) => ({ id: Number(c.id), title: c.snippet?.title ?? '' })),
      now,
    );
  }
  const channelIds = [...new Set(targets.map((t) => t.channelId).filter(Boolean))];
  const stale = await staleChannels(pool, channelIds, dayAgo);
  await refreshChannels(deps, stale, { keyPool: 'hunting', now });
  const enriched = await updateVideoEnrichment(
    pool,
    targets.map((t) => t.id),
    REGION,
    now,
  );
  return { enriched, channelsFetched: stale.length };
}
