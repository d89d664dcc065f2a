import type { World } from '@pleiades/youtube-simulator';
import { WORD_INDEX } from '@pleiades/youtube-simulator/words';
import type { Pool } from 'pg';
import { HOUR_MS } from '../src/clock.ts';
import type { Figure } from './figures.ts';

/**
 * Discovery measured by coverage: which route found each video and when, against the world's own
 * list of what was published. The bench attributes every new `videos` row to the phase (route) that
 * created it, then counts, of the videos the followed channels published during the day, the share
 * found within 1 h and within 24 h of publication, per route and together; videos published before the
 * day (the first poll's newest page of each channel) are backfill, counted apart.
 */

export type Route = 'search' | 'channel' | 'websub';
export const ROUTES: Route[] = ['search', 'channel', 'websub'];

export interface Found {
  route: Route;
  publishedAt: number;
  foundAt: number;
}

export class DiscoveryLog {
  readonly found = new Map<string, Found>();

  /** Attributes to `route` every video row created at `now` not seen before. */
  async note(pool: Pool, route: Route, now: number): Promise<void> {
    const r = await pool.query<{ id: bigint; published_at: Date }>(
      'SELECT id, published_at FROM videos WHERE discovered_at >= $1',
      [new Date(now)],
    );
    for (const x of r.rows) {
      const id = String(x.id);
      if (!this.found.has(id))
        this.found.set(id, { route, publishedAt: x.published_at.getTime(), foundAt: now });
    }
  }
}

export interface Coverage {
  published: number;
  within1h: Record<Route | 'all', number>;
  within24h: Record<Route | 'all', number>;
  backfill: number;
}

/** Of the videos the channels `followed` published (and kept public) in [dayStart, dayEnd). */
export function coverage(
  world: World,
  log: DiscoveryLog,
  followed: Set<number>,
  dayStart: number,
  dayEnd: number,
  videoKey: (id: string) => string,
): Coverage {
  const zero = () => ({ search: 0, channel: 0, websub: 0, all: 0 });
  const out: Coverage = { published: 0, within1h: zero(), within24h: zero(), backfill: 0 };
  const a = world.firstIndexAtOrAfter(dayStart);
  const b = world.firstIndexAtOrAfter(dayEnd);
  for (let i = a; i < b; i++) {
    if (!followed.has(world.channelOf(i)) || !world.isVisible(i, dayEnd)) continue;
    out.published++;
    const f = log.found.get(videoKey(world.videoIdAt(i)));
    if (!f) continue;
    const lag = f.foundAt - f.publishedAt;
    if (lag <= HOUR_MS) {
      out.within1h[f.route]++;
      out.within1h.all++;
    }
    if (lag <= 24 * HOUR_MS) {
      out.within24h[f.route]++;
      out.within24h.all++;
    }
  }
  for (const f of log.found.values()) if (f.publishedAt < dayStart) out.backfill++;
  return out;
}

/**
 * Search's recall on its own queries: of the day's public videos carrying every word of a query the
 * Hunter ran, the share that search returned (on any page of any query: the rank history), whichever
 * route found it first.
 */
export function searchRecall(
  world: World,
  returned: Set<string>,
  queries: string[],
  dayStart: number,
  dayEnd: number,
  videoKey: (id: string) => string,
): { matching: number; found: number } {
  const sets = queries
    .map(
      (q) =>
        q
          .toLowerCase()
          .match(/[a-z0-9]+/g)
          ?.map((t) => WORD_INDEX.get(t) ?? -1) ?? [],
    )
    .filter((ws) => ws.length > 0 && ws.every((w) => w >= 0));
  let matching = 0;
  let found = 0;
  const a = world.firstIndexAtOrAfter(dayStart);
  const b = world.firstIndexAtOrAfter(dayEnd);
  for (let i = a; i < b; i++) {
    if (!world.isVisible(i, dayEnd)) continue;
    const words = new Set(world.wordIds(i));
    if (!sets.some((ws) => ws.every((w) => words.has(w)))) continue;
    matching++;
    if (returned.has(videoKey(world.videoIdAt(i)))) found++;
  }
  return { matching, found };
}

const pct = (n: number, d: number): number => (d > 0 ? Math.round((n / d) * 1000) / 10 : 0);

/** The coverage figures, by stable names (the README's discovery table is generated from them). */
export function coverageFigures(
  c: Coverage,
  o: {
    how: string;
    freshUnits: number;
    backfillUnits: number;
    recall: { matching: number; found: number };
    withinBuckets: boolean;
    bucketsHow: string;
    /** Units each route spent during the day (discovery_daily), to show which one dominates. */
    routeUnits?: Record<Route, number>;
  },
): Figure[] {
  const fresh = c.within24h.all;
  const perFresh = fresh > 0 ? Math.round((o.freshUnits / fresh) * 1000) / 1000 : 0;
  const byRoute = (w: Record<Route | 'all', number>) =>
    ROUTES.map((r) => `${r} ${pct(w[r], c.published)}%`).join(', ');
  return [
    {
      name: 'discovery coverage: followed uploads found within 1 h',
      value: pct(c.within1h.all, c.published),
      unit: '%',
      goal: '≥ 95%',
      ok: pct(c.within1h.all, c.published) >= 95,
      how: `${o.how}; ${c.within1h.all} of ${c.published} uploads of followed channels published that day; by route: ${byRoute(c.within1h)}`,
    },
    {
      name: 'discovery coverage: followed uploads found within 24 h',
      value: pct(c.within24h.all, c.published),
      unit: '%',
      goal: '≥ 99%',
      ok: pct(c.within24h.all, c.published) >= 99,
      how: `${c.within24h.all} of ${c.published}; by route: ${byRoute(c.within24h)}`,
    },
    ...ROUTES.map((r) => ({
      name: `discovery coverage: ${r} share within 1 h`,
      value: pct(c.within1h[r], c.published),
      unit: '%',
      goal: 'reported',
      how: `uploads of followed channels found first by ${r} within 1 h of publication (${c.within1h[r]}), of ${c.published}`,
    })),
    {
      name: 'discovery coverage: units per fresh video',
      value: perFresh,
      unit: 'units',
      goal: '≤ 0.03',
      ok: perFresh <= 0.03,
      how: `${o.freshUnits} units spent during the day and the hour after (polls, videos.list of pushed, polled and searched ids, channels.list) for ${fresh} fresh videos${
        o.routeUnits ? `; by route: ${ROUTES.map((r) => `${r} ${o.routeUnits![r]}`).join(', ')}` : ''
      }`,
    },
    ...(o.routeUnits
      ? ROUTES.map((r) => ({
          name: `discovery coverage: ${r} units`,
          value: o.routeUnits![r],
          unit: 'units',
          goal: 'reported',
          how: `units ${r} spent during the day (discovery_daily): which route the units per fresh video go to`,
        }))
      : []),
    {
      name: 'discovery coverage: search recall on its queries',
      value: pct(o.recall.found, o.recall.matching),
      unit: '%',
      goal: 'reported',
      how: `${o.recall.found} of ${o.recall.matching} public videos published that day carrying every word of a query the Hunter ran`,
    },
    {
      name: 'discovery coverage: backfill videos',
      value: c.backfill,
      unit: 'videos',
      goal: 'reported apart',
      how: `published before the day (the first poll's newest page of each followed channel, the day before), ${o.backfillUnits} units`,
    },
    {
      name: 'discovery coverage: quota buckets exceeded',
      value: o.withinBuckets ? 0 : 1,
      unit: 'runs',
      goal: '0',
      ok: o.withinBuckets,
      how: o.bucketsHow,
    },
  ];
}
