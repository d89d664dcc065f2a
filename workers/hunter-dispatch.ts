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
 * no more than the search calls left today in the hunting pool (paced across the day), nor than the
 * search share's units.
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
  // Search calls are paced across the Pacific day as channel polls are: by a fraction f of the day, at
  // most calls × (f + DISCOVERY_PACE_SLACK). Spent at midnight, the bucket would only ever see what was
  // published before (new uploads reach the index hours late); paced, reruns with publishedAfter
  // find the day's uploads as they become searchable.
  const sp = plan?.pools.find((p) => p.pool === plan.routes.search.pool);
  const paced =
    plan && sp
      ? Math.floor(
          sp.search.quota * Math.min(1, plan.dayElapsed + config.DISCOVERY_PACE_SLACK) - sp.search.used,
        )
      : Number.POSITIVE_INFINITY;
  const limit = Math.min(opts.max ?? 25, left - busy, units - busy, paced - busy);
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
