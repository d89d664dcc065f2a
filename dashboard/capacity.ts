import express, { type Router } from 'express';
import { Gauge, type Registry } from 'prom-client';
import { z } from 'zod';
import { type CapacityPlan, readCapacity } from '../src/capacity/capacity.ts';
import { type CapacityState, readCapacityState } from '../src/dao/capacity.ts';
import type { DashboardDeps } from './deps.ts';
import { parseWith } from './http.ts';

/** What GET /api/capacity answers (and the overview page's capacity card draws). */
export interface CapacityView {
  policy: 'defer' | 'demote';
  /** Null without a key pool (the built-in simulator) or in a process without Hydra. */
  plan: CapacityPlan | null;
  state: CapacityState;
}

/** GET /api/capacity's query: `pool` names a key pool (checked against Hydra's). */
export const capacityQuery = z
  .object(
    {
      pool: z
        .string({ error: 'expected a pool name' })
        .regex(/^[A-Za-z0-9_.-]{1,64}$/, { message: 'expected a pool name (letters, digits, _ . -)' })
        .optional(),
    },
    { error: 'expected a query string' },
  )
  .strict();

export async function capacityView(deps: DashboardDeps, keyPool?: string): Promise<CapacityView> {
  const now = deps.clock.now();
  const [plan, state] = await Promise.all([
    deps.hydra
      ? readCapacity({ pool: deps.pool, config: deps.config, now, hydra: deps.hydra, keyPool })
      : null,
    readCapacityState(deps.pool),
  ]);
  return { policy: deps.config.TRACKER_OVERLOAD_POLICY, plan, state };
}

export function capacityRouter(deps: DashboardDeps): Router {
  const router = express.Router();
  router.get('/capacity', async (req, res) => {
    const q = parseWith(capacityQuery, req.query);
    res.json(await capacityView(deps, q.pool));
  });
  return router;
}

/** The capacity figures in /metrics (`pleiades_capacity_*`), read at scrape time. */
export function capacityMetrics(
  registry: Registry,
  deps: DashboardDeps,
): { read: () => Promise<void>; clear: (() => void)[] } {
  const g = (name: string, help: string, labelNames: string[] = []) =>
    new Gauge({ name, help, labelNames, registers: [registry] });
  const units = g(
    'pleiades_capacity_units',
    'Units a Pacific day: needed by the watchlist, available to tracking, headroom (available - needed)',
    ['pool', 'kind'],
  );
  const load = g('pleiades_capacity_load', 'Needed units / available units (above 1: overloaded)', ['pool']);
  const projected = g(
    'pleiades_capacity_projected_units',
    'Units a day the watchlist will need, by days ahead (0 = today)',
    ['pool', 'days_ahead'],
  );
  const polls = g(
    'pleiades_capacity_polls_per_day',
    'Polls a day each tier needs to stay on schedule (LIVE: live streams beyond their 24 HOURLY polls)',
    ['tier'],
  );
  const ipu = g('pleiades_capacity_ids_per_unit', 'Measured ids per videos.list unit (today)');
  const arrivals = g('pleiades_capacity_arrivals_per_day', 'Measured new videos a day');
  const affordable = g(
    'pleiades_capacity_affordable_arrivals_per_day',
    'More new videos a day the pool can afford on the full tier policy',
    ['pool'],
  );
  const shortIn = g(
    'pleiades_capacity_short_in_days',
    'Days until the projected need passes the supply (0: now); absent when not within 7 days',
    ['pool'],
  );
  const threshold = g(
    'pleiades_capacity_demote_below_vph',
    'The demote policy threshold: videos growing slower (views/hour) are polled a tier slower',
  );
  const all = [units, load, projected, polls, ipu, arrivals, affordable, shortIn, threshold];
  return {
    clear: all.map((m) => () => m.reset()),
    async read() {
      const v = await capacityView(deps);
      for (const m of all) m.reset();
      threshold.set(v.state.demoteBelowVph);
      const p = v.plan;
      if (!p) return;
      const pool = p.pool.name;
      units.set({ pool, kind: 'needed' }, p.neededUnits);
      units.set({ pool, kind: 'available' }, p.availableUnits);
      units.set({ pool, kind: 'headroom' }, p.headroomUnits);
      if (p.load !== null) load.set({ pool }, p.load);
      p.projection.forEach((u, d) => {
        projected.set({ pool, days_ahead: String(d) }, u);
      });
      for (const tier of ['HOURLY', 'DAILY', 'WEEKLY', 'LIVE'] as const)
        polls.set({ tier }, p.pollsPerDay[tier]);
      ipu.set(p.idsPerUnit);
      arrivals.set(p.arrivalsPerDay);
      affordable.set({ pool }, p.affordableArrivalsPerDay);
      if (p.exceedsInDays !== null) shortIn.set({ pool }, p.exceedsInDays);
    },
  };
}
