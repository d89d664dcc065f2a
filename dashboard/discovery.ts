import express, { type Router } from 'express';
import { Gauge, type Registry } from 'prom-client';
import { z } from 'zod';
import { enqueue } from '../queues/index.ts';
import { followChannelsByHand } from '../queues/manual.ts';
import { pacificDay } from '../src/clock.ts';
import { DISCOVERY_ROUTES, type DiscoveryRoute, discoveryOnDay } from '../src/dao/discovery-daily.ts';
import { countInbox } from '../src/dao/discovery-inbox.ts';
import {
  countChannelsByState,
  countSubscriptions,
  topFollowedChannels,
} from '../src/dao/followed-channels.ts';
import { type BudgetPlan, currentBudget, unitsPerNewVideo } from '../src/discovery/budget.ts';
import { websubSettings } from '../src/websub/settings.ts';
import type { DashboardDeps } from './deps.ts';
import { parseWith } from './http.ts';

/** What GET /api/discovery answers (and the overview page's discovery card draws). */
export interface DiscoveryView {
  day: string;
  budget: BudgetPlan | null;
  routes: {
    route: DiscoveryRoute;
    newVideos: number;
    freshVideos: number;
    units: number;
    searchCalls: number;
    unitsPerNewVideo: number | null;
  }[];
  channels: { candidate: number; active: number; gone: number };
  websub: {
    enabled: boolean;
    verified: number;
    requested: number;
    denied: number;
    expired: number;
    inbox: number;
  };
  topChannels: {
    channelId: string;
    videosFound: number;
    uploadsPerDay: number | null;
    pollEveryS: number;
    nextPollAt: string | null;
  }[];
}

export async function discoveryView(deps: DashboardDeps): Promise<DiscoveryView> {
  const now = deps.clock.now();
  const day = pacificDay(now);
  const [budget, figures, channels, subs, inbox, top] = await Promise.all([
    deps.hydra ? currentBudget({ pool: deps.pool, config: deps.config, now, hydra: deps.hydra }) : null,
    discoveryOnDay(deps.pool, day),
    countChannelsByState(deps.pool),
    countSubscriptions(deps.pool, new Date(now)),
    countInbox(deps.pool),
    topFollowedChannels(deps.pool, 10),
  ]);
  return {
    day,
    budget,
    routes: DISCOVERY_ROUTES.map((route) => ({
      ...figures[route],
      unitsPerNewVideo: unitsPerNewVideo(figures[route].units, figures[route].newVideos),
    })),
    channels,
    websub: { enabled: websubSettings(deps.config) !== null, ...subs, inbox },
    topChannels: top.map((c) => ({
      channelId: c.channelId,
      videosFound: c.videosFound,
      uploadsPerDay: c.uploadsPerDay === null ? null : Math.round(c.uploadsPerDay * 100) / 100,
      pollEveryS: c.pollEveryS,
      nextPollAt: c.nextPollAt?.toISOString() ?? null,
    })),
  };
}

const channelId = z
  .string({ error: 'expected a string' })
  .regex(/^UC[A-Za-z0-9_-]{22}$/, { message: 'expected a YouTube channel id (UC and 22 characters)' });

/** POST /api/channels: `{channelId}` or `{channelIds: [...]}`. */
export const followBody = z
  .object(
    {
      channelId: channelId.optional(),
      channelIds: z
        .array(channelId, { error: 'expected an array of channel ids' })
        .min(1, { message: 'must not be empty' })
        .max(1000, { message: 'at most 1000 channels at once' })
        .optional(),
    },
    { error: 'expected a JSON object' },
  )
  .strict()
  .superRefine((b, ctx) => {
    if (b.channelId === undefined && b.channelIds === undefined)
      ctx.addIssue({ code: 'custom', path: ['channelIds'], message: 'give "channelId" or "channelIds"' });
    else if (b.channelId !== undefined && b.channelIds !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['channelId'],
        message: 'give "channelId" or "channelIds", not both',
      });
  })
  .transform((b) => b.channelIds ?? (b.channelId === undefined ? [] : [b.channelId]));

/** POST /api/channels (follow by hand) and GET /api/discovery, mounted on the API router. */
export function discoveryRouter(deps: DashboardDeps): Router {
  const router = express.Router();
  router.post('/channels', async (req, res) => {
    const ids = parseWith(followBody, req.body);
    const r = await followChannelsByHand(deps.pool, ids, deps.clock.now());
    let dispatched = false;
    if (r.followed.length > 0)
      try {
        await enqueue(deps.queues, 'channel-dispatch', {});
        dispatched = true;
      } catch (err) {
        deps.log.warn({ err: (err as Error).message }, 'could not start the channel dispatcher early');
      }
    res.status(r.followed.length > 0 ? 201 : 200).json({ ...r, dispatched });
  });
  router.get('/discovery', async (_req, res) => {
    res.json(await discoveryView(deps));
  });
  return router;
}

/**
 * The discovery figures in /metrics: today's budget per route (planned, spent, left), new videos and
 * units per route, followed channels and WebSub subscriptions. Returns the source (read at scrape
 * time) and what to clear when it cannot be read.
 */
export function discoveryMetrics(
  registry: Registry,
  deps: DashboardDeps,
): { read: () => Promise<void>; clear: (() => void)[] } {
  const g = (name: string, help: string, labelNames: string[] = []) =>
    new Gauge({ name, help, labelNames, registers: [registry] });
  const budget = g(
    'pleiades_discovery_budget_units',
    "Today's shared-bucket units per route (search, channels, tracking): planned, spent, allowance left",
    ['route', 'pool', 'kind'],
  );
  const share = g('pleiades_discovery_budget_share', 'Share of its key pool planned for the route', [
    'route',
    'pool',
  ]);
  const found = g(
    'pleiades_discovery_new_videos',
    'New videos found today (Pacific day) per discovery route',
    ['route'],
  );
  const fresh = g(
    'pleiades_discovery_fresh_videos',
    'New videos found today that were published in the 24 h before, per route',
    ['route'],
  );
  const spent = g('pleiades_discovery_units', 'Shared-bucket units spent today per discovery route', [
    'route',
  ]);
  const perVideo = g('pleiades_discovery_units_per_new_video', 'Units spent today per new video, per route', [
    'route',
  ]);
  const channels = g('pleiades_followed_channels', 'Followed channels by state (candidate, active, gone)', [
    'state',
  ]);
  const subs = g('pleiades_websub_subscriptions', 'WebSub subscriptions of followed channels by state', [
    'state',
  ]);
  const all = [budget, share, found, fresh, spent, perVideo, channels, subs];
  return {
    clear: all.map((m) => () => m.reset()),
    async read() {
      const v = await discoveryView(deps);
      for (const m of all) m.reset();
      if (v.budget)
        for (const r of Object.values(v.budget.routes)) {
          budget.set({ route: r.route, pool: r.pool, kind: 'planned' }, r.plannedUnits);
          budget.set({ route: r.route, pool: r.pool, kind: 'spent' }, r.spentUnits);
          budget.set({ route: r.route, pool: r.pool, kind: 'allowance' }, r.allowanceUnits);
          share.set({ route: r.route, pool: r.pool }, r.share);
        }
      for (const r of v.routes) {
        found.set({ route: r.route }, r.newVideos);
        fresh.set({ route: r.route }, r.freshVideos);
        spent.set({ route: r.route }, r.units);
        if (r.unitsPerNewVideo !== null) perVideo.set({ route: r.route }, r.unitsPerNewVideo);
      }
      for (const [state, n] of Object.entries(v.channels)) channels.set({ state }, n);
      for (const state of ['verified', 'requested', 'denied', 'expired'] as const)
        subs.set({ state }, v.websub[state]);
    },
  };
}
