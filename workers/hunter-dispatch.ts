import type { Payload } from '../queues/index.ts';
import { parsePayload } from '../queues/index.ts';
import { fetchHunterBatch, releaseQuery } from '../src/dao/search-queue.ts';
import { currentBudget } from '../src/discovery/budget.ts';
import type { AgentDeps } from './deps.ts';

/** A hunter job's id: one per query, pass and page, so a query page is never in flight twice. */
export const hunterJobId = (queryId: bigint, passStartedMs: number, pagesFetched: number): string =>
  `hunt-${queryId}-${passStartedMs}-${pagesFetched}`;

/**
 * Claims due search queries (a leased, SKIP LOCKED claim) and enqueues one hunter job per query —
 * no more than the search calls left today in the hunting pool, nor than the search share's units.
 */
export async function dispatchHunter(
  deps: AgentDeps,
  opts: { max?: number } = {},
): Promise<{ enqueued: number }> {
  const { pool, queues, config, clock } = deps;
  const left = (await deps.hydra.remaining('hunting')).search;
  const hunter = queues.get('hunter');
  const inFlight = (await hunter.getJobCounts('waiting', 'active', 'delayed', 'prioritized')) as Record<
    string,
    number
  >;
  const busy = Object.values(inFlight).reduce((a, b) => a + b, 0);
  // DISCOVERY_SHARE_SEARCH: each hunter job spends 1 unit (the videos.list of its page), so no more
  // jobs than the search route's units left today; what it does not take stays for tracking. The
  // budget gives search nothing while the tracking pool is overloaded (`demote`).
  const plan = await currentBudget({ pool, config, now: clock.now(), hydra: deps.hydra });
  const units = plan ? plan.routes.search.allowanceUnits : Number.POSITIVE_INFINITY;
  const limit = Math.min(opts.max ?? 25, left - busy, units - busy);
  if (limit <= 0 || plan?.discoveryPaused === true) return { enqueued: 0 };
  const now = new Date(clock.now());
  const claimed = await fetchHunterBatch(pool, { limit, now, leaseMs: config.HUNTER_LEASE_S * 1000 });
  let enqueued = 0;
  for (const q of claimed) {
    const data: Payload<'hunter'> = parsePayload('hunter', {
      queryId: String(q.id),
      query: q.query,
      pageToken: q.nextPageToken,
      publishedAfter: q.publishedAfter?.toISOString() ?? null,
      depth: q.depth,
    });
    const jobId = hunterJobId(q.id, q.passStartedAt?.getTime() ?? 0, q.pagesFetched);
    try {
      const job = await hunter.add('hunter', data, { jobId, priority: Math.max(1, 1000 - q.priority) });
      // The same id again means the page's job exists already; if it failed for good, give it another go.
      if ((await job.getState()) === 'failed') await job.retry();
      enqueued++;
    } catch (err) {
      await releaseQuery(pool, q.id);
      throw err;
    }
  }
  return { enqueued };
}
