import { topicForChannel } from '@pleiades/youtube-simulator/websub-topic';
import { claimInbox, deleteFromInbox, inboxRowsToClaim } from '../src/dao/discovery-inbox.ts';
import { channelsToSubscribe, markSubscriptionsRequested } from '../src/dao/followed-channels.ts';
import { withTransaction } from '../src/db/pool.ts';
import { recordFound } from '../src/discovery/record.ts';
import { websubSettings } from '../src/websub/settings.ts';
import { requestSubscription } from '../src/websub/subscriber.ts';
import type { AgentDeps } from './deps.ts';
import { fetchMetadata, ingestDiscovered } from './discovery.ts';

/** A subscription asked for and not verified by the hub within this long is asked for again. */
const RETRY_AFTER_MS = 15 * 60_000;
const SUBSCRIBE_PER_RUN = 500;
const PARALLEL = 4;

/**
 * Asks the hub for a WebSub subscription for every followed channel that has none, or whose lease
 * ends within WEBSUB_RENEW_BEFORE_S (renewal before expiry). The channel is marked as asked for
 * before the request, so that the hub's verification — which may arrive before the hub's answer — is
 * recognised. A no-op unless WEBSUB_CALLBACK_URL is set.
 */
export async function subscribeChannels(deps: AgentDeps): Promise<{ requested: number; failed: number }> {
  const settings = websubSettings(deps.config);
  if (!settings) return { requested: 0, failed: 0 };
  const now = deps.clock.now();
  const ids = await channelsToSubscribe(deps.pool, {
    now,
    renewBeforeMs: settings.renewBeforeMs,
    retryAfterMs: RETRY_AFTER_MS,
    limit: SUBSCRIBE_PER_RUN,
  });
  if (ids.length === 0) return { requested: 0, failed: 0 };
  await markSubscriptionsRequested(deps.pool, ids, new Date(now));
  let failed = 0;
  let next = 0;
  const run = async () => {
    while (next < ids.length) {
      const channelId = ids[next++]!;
      try {
        await requestSubscription({
          hubUrl: settings.hubUrl,
          callbackUrl: settings.callbackUrl,
          topic: topicForChannel(channelId),
          secret: settings.secret,
          leaseSeconds: settings.leaseSeconds,
        });
      } catch (err) {
        failed++;
        deps.log.warn({ channelId, err: (err as Error).message }, 'WebSub subscription request failed');
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, ids.length) }, run));
  return { requested: ids.length - failed, failed };
}

/**
 * Ingests what WebSub announced: claims inbox ids (up to `limit`, in whole batches of 50 unless the
 * rest has waited WEBSUB_BATCH_WAIT_S), fetches them with videos.list 50 a unit, and in one transaction ingests them (route `websub`), removes them from the inbox and adds the
 * day's figures. Videos YouTube does not return (not public yet, removed) leave the inbox too: the
 * channel poller finds them if they appear.
 */
export async function ingestAnnounced(
  deps: AgentDeps,
  opts: { limit?: number; waitMs?: number } = {},
): Promise<{ claimed: number; newVideos: number; units: number }> {
  const { pool, clock } = deps;
  const now = clock.now();
  // Full videos.list batches: a partial one waits up to WEBSUB_BATCH_WAIT_S for more pushes (the
  // ingest runs every WEBSUB_INGEST_EVERY_S; a call per run for a push or two would cost ~1 unit a video).
  const take = await inboxRowsToClaim(pool, {
    now,
    waitMs: opts.waitMs ?? deps.config.WEBSUB_BATCH_WAIT_S * 1000,
    batch: 50,
    limit: opts.limit ?? 500,
  });
  if (take === 0) return { claimed: 0, newVideos: 0, units: 0 };
  const claimed = await claimInbox(pool, { limit: take, now, leaseMs: 5 * 60_000 });
  if (claimed.length === 0) return { claimed: 0, newVideos: 0, units: 0 };
  const ids = claimed.map((c) => c.videoId);
  const { videos, units } = await fetchMetadata(deps, ids);
  const at = clock.now();
  let newVideos = 0;
  // The inbox holds pushes (route websub) and what channel feeds listed (route channel): one
  // videos.list for all, each video ingested and counted under the route that announced it, the units
  // shared by their numbers of ids.
  const routeOf = new Map(claimed.map((c) => [c.videoId, c.route === 'channel' ? 'channel' : 'websub']));
  const ofChannel = claimed.filter((c) => routeOf.get(c.videoId) === 'channel').length;
  const channelUnits = Math.round((units * ofChannel) / claimed.length);
  await withTransaction(pool, async (tx) => {
    for (const route of ['websub', 'channel'] as const) {
      const mine = videos.filter((v) => routeOf.get(v.id) === route);
      const share = route === 'channel' ? channelUnits : units - channelUnits;
      if (mine.length === 0 && share === 0) continue;
      const fresh = await ingestDiscovered(tx, deps, mine, route, at);
      newVideos += fresh.length;
      await recordFound(tx, { route, now: at, found: fresh, units: share });
    }
    await deleteFromInbox(tx, ids);
  });
  return { claimed: claimed.length, newVideos, units };
}
