import { DAY_MS, HOUR_MS, MINUTE_MS, pacificDay, toEpochMinutes } from '../clock.ts';
import type { Config } from '../config/index.ts';
import { dispatchedOn, watchlistAgeDays } from '../dao/capacity.ts';
import { countWatchlistByTier } from '../dao/watchlist.ts';
import type { Queryable } from '../db/pool.ts';
import { currentBudget, type QuotaSource } from '../discovery/budget.ts';
import { ValidationError } from '../errors/index.ts';
import { policyFromConfig, Tier, type TierPolicy } from '../tiers.ts';
import { packWindowMs } from '../tracker-packing.ts';

/**
 * The capacity planner: what the watchlist needs per Pacific quota day, what the key pool supplies, and
 * how many more new videos a day it can afford — pure arithmetic (`planCapacity`) over figures read in
 * one place (`readCapacity`). docs/dataset.md, "The capacity card", explains every figure.
 */

/** Days the planner projects ahead; an alert fires when the need passes the supply within them. */
export const PROJECTION_DAYS = 7;
/** The horizon over which a new video's cost is counted for "affordable new videos a day". */
export const AFFORD_HORIZON_DAYS = 365;
export const IDS_PER_CALL = 50;

export interface TierCounts {
  HOURLY: number;
  DAILY: number;
  WEEKLY: number;
}

export interface CapacityInput {
  now: number;
  /** The tracking pool: keys configured and usable (not disabled), units each a day. */
  pool: { name: string; keys: number; usableKeys: number; unitsPerKey: number; searchPerKey: number };
  /** Units a day the tracking route may spend (its share of the pool: src/discovery/budget.ts). */
  trackingUnits: number;
  /** Units the pool spent today, and what is left. */
  usedToday: number;
  remainingToday: number;
  /** Tracked videos per tier now (velocity rules and demotions included). */
  tiers: TierCounts;
  /** Tracked videos per day of age (index 0: published in the last 24 h). */
  ageDays: number[];
  /** New videos a day (measured). */
  arrivalsPerDay: number;
  policy: TierPolicy;
  /** Measured ids per videos.list unit (≤ 50); null before any call: 50 is assumed. Shown only. */
  idsPerUnit: number | null;
  /**
   * Minutes of HOURLY due times one tracker job covers (hourlySpanMinutes); absent: HOURLY jobs are
   * assumed full.
   */
  hourlySpanMin?: number;
}

export interface CapacityPlan {
  day: string;
  pool: CapacityInput['pool'];
  /** Minutes of HOURLY due times one job covers (the packing model's span), when known. */
  hourlySpanMin?: number;
  idsPerUnit: number;
  idsPerUnitMeasured: boolean;
  arrivalsPerDay: number;
  tiers: TierCounts;
  /** Polls a day each tier needs to stay on schedule. */
  pollsPerDay: TierCounts & { total: number };
  neededUnits: number;
  availableUnits: number;
  headroomUnits: number;
  /** neededUnits ÷ availableUnits; null without supply. */
  load: number | null;
  usedToday: number;
  remainingToday: number;
  /** Units a day the tiers will need on each of the next days (index 0: today). */
  projection: number[];
  /** Days until the projected need passes the supply (0: it does now); null: not within the horizon. */
  exceedsInDays: number | null;
  /** Units a day one more new video a day costs, on the full tier policy, counted over a year. */
  unitsPerArrival: number;
  /** More new videos a day the pool can afford on the full tier policy (0 when it cannot). */
  affordableArrivalsPerDay: number;
}

/** Polls a day per tier: HOURLY 24, DAILY 1, WEEKLY 1/7 per video. */
export function pollsPerDay(t: TierCounts): TierCounts & { total: number } {
  const p = { HOURLY: t.HOURLY * 24, DAILY: t.DAILY, WEEKLY: t.WEEKLY / 7 };
  return { ...p, total: p.HOURLY + p.DAILY + p.WEEKLY };
}

/** Videos per tier by the age rule alone, for this age histogram `shift` days later with new arrivals. */
export function tiersByAge(ageDays: number[], policy: TierPolicy, shift = 0, arrivals = 0): TierCounts {
  const out: TierCounts = { HOURLY: 0, DAILY: 0, WEEKLY: 0 };
  const add = (ageMs: number, n: number) => {
    if (ageMs < policy.hourlyUntilMs) out.HOURLY += n;
    else if (ageMs < policy.dailyUntilMs) out.DAILY += n;
    else out.WEEKLY += n;
  };
  // Each day-of-age bucket is counted at its middle; a day's arrivals land in bucket 0.
  ageDays.forEach((n, d) => {
    add((d + shift + 0.5) * DAY_MS, n);
  });
  for (let d = 0; d < shift; d++) add((d + 0.5) * DAY_MS, arrivals);
  return out;
}

/** Units a day one extra new video a day costs on the full tier policy, once `horizonDays` old. */
export function unitsPerArrival(
  policy: TierPolicy,
  idsPerUnit: number,
  horizonDays = AFFORD_HORIZON_DAYS,
): number {
  const hourly = policy.hourlyUntilMs / HOUR_MS;
  const daily = Math.max(0, (policy.dailyUntilMs - policy.hourlyUntilMs) / DAY_MS);
  const weekly = Math.max(0, horizonDays - policy.dailyUntilMs / DAY_MS) / 7;
  return (hourly + daily + weekly) / idsPerUnit;
}

const round = (x: number, digits = 0) => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * Minutes of HOURLY due times one tracker job covers: a part-filled job waits until its first video is
 * the packing window late and takes the videos due up to the window ahead (2·window + 1 minutes), or,
 * when dispatches are further apart, what fell due since the last one (the dispatch interval).
 */
export function hourlySpanMinutes(windowMin: number, dispatchEveryS: number): number {
  return Math.max(dispatchEveryS / 60, 2 * windowMin + 1);
}

/**
 * HOURLY jobs over `ms` with `hourly` videos: one per span, or more when a span's polls pass 50. The
 * polls due in a span vary from one span to the next (due times follow publication times), so a span
 * is sized at its mean plus two standard deviations (Poisson): on average 45 a span takes two jobs
 * often enough to count.
 */
export function hourlyJobs(hourly: number, spanMin: number, ms: number): number {
  if (hourly <= 0) return 0;
  const perSpan = (hourly * spanMin) / 60;
  const high = perSpan + 2 * Math.sqrt(perSpan);
  return (ms / (spanMin * 60_000)) * Math.ceil(high / IDS_PER_CALL - 1e-9);
}

/**
 * Units a day a watchlist takes the way the tracker spends them (src/tracker-jobs.ts): HOURLY's polls
 * are cut into jobs per span of due times (a job covers at most `spanMin` minutes, so a small HOURLY
 * tier leaves places empty); the DAILY and WEEKLY polls ride in those places first, and take full jobs
 * of 50 for the rest. So: the HOURLY jobs, or all polls at 50 ids a unit, whichever is more.
 */
export function unitsPerDay(tiers: TierCounts, spanMin?: number): number {
  const polls = pollsPerDay(tiers).total;
  if (!spanMin || tiers.HOURLY <= 0) return polls / IDS_PER_CALL;
  return Math.max(hourlyJobs(tiers.HOURLY, spanMin, DAY_MS), polls / IDS_PER_CALL);
}

export function planCapacity(input: CapacityInput): CapacityPlan {
  const ipu = Math.min(IDS_PER_CALL, Math.max(1, input.idsPerUnit ?? IDS_PER_CALL));
  const polls = pollsPerDay(input.tiers);
  // The need is modelled on how the tracker packs (unitsPerDay), not on the measured ids per unit:
  // under overload that measure follows the controller, and would confirm whatever it did.
  const neededUnits = unitsPerDay(input.tiers, input.hourlySpanMin);
  const available = input.trackingUnits;
  // The projection follows the age rule; velocity rules and demotions are carried by the ratio of the
  // real tier sizes to the age rule's today.
  const byAgeNow = tiersByAge(input.ageDays, input.policy);
  const scale = (now: number, byAge: number) => (byAge > 0 ? now / byAge : 1);
  const projection = Array.from({ length: PROJECTION_DAYS + 1 }, (_, d) => {
    if (d === 0) return neededUnits;
    const t = tiersByAge(input.ageDays, input.policy, d, input.arrivalsPerDay);
    return unitsPerDay(
      {
        HOURLY: t.HOURLY * scale(input.tiers.HOURLY, byAgeNow.HOURLY),
        DAILY: t.DAILY * scale(input.tiers.DAILY, byAgeNow.DAILY),
        WEEKLY: t.WEEKLY * scale(input.tiers.WEEKLY, byAgeNow.WEEKLY),
      },
      input.hourlySpanMin,
    );
  });
  const first = projection.findIndex((u) => u > available);
  const perArrival = unitsPerArrival(input.policy, IDS_PER_CALL);
  const worstHeadroom = Math.min(...projection.map((u) => available - u));
  return {
    day: pacificDay(input.now),
    pool: input.pool,
    ...(input.hourlySpanMin ? { hourlySpanMin: round(input.hourlySpanMin, 2) } : {}),
    idsPerUnit: round(ipu, 2),
    idsPerUnitMeasured: input.idsPerUnit !== null,
    arrivalsPerDay: round(input.arrivalsPerDay),
    tiers: input.tiers,
    pollsPerDay: {
      HOURLY: round(polls.HOURLY),
      DAILY: round(polls.DAILY),
      WEEKLY: round(polls.WEEKLY),
      total: round(polls.total),
    },
    neededUnits: round(neededUnits),
    availableUnits: round(available),
    headroomUnits: round(available - neededUnits),
    load: available > 0 ? round(neededUnits / available, 3) : neededUnits > 0 ? null : 0,
    usedToday: input.usedToday,
    remainingToday: input.remainingToday,
    projection: projection.map((u) => round(u)),
    exceedsInDays: first < 0 ? null : first,
    unitsPerArrival: round(perArrival, 3),
    affordableArrivalsPerDay: Math.max(0, Math.floor(worstHeadroom / perArrival)),
  };
}

/** Ids per unit of today's dispatches, or yesterday's and today's while today has few calls. */
async function measuredIdsPerUnit(db: Queryable, now: number): Promise<number | null> {
  const today = await dispatchedOn(db, [pacificDay(now)]);
  const r = today.calls >= 100 ? today : await dispatchedOn(db, [pacificDay(now), pacificDay(now - DAY_MS)]);
  return r.calls > 0 ? r.ids / r.calls : null;
}

/**
 * Reads the planner's figures (Hydra's key state, the watchlist, the tracker's daily ids and calls) and
 * plans. Null without any key (the built-in simulator answers for YouTube). `pool` names the key pool
 * (default: the one tracking uses); an unknown one is a caller's error (the API answers 400).
 */
export async function readCapacity(deps: {
  pool: Queryable;
  config: Config;
  now: number;
  hydra: QuotaSource;
  /** The key pool to plan for (default: the one tracking draws on). */
  keyPool?: string;
}): Promise<CapacityPlan | null> {
  const { pool, config, now } = deps;
  const [budget, allKeys] = await Promise.all([currentBudget(deps), deps.hydra.keys()]);
  const names = [...new Set(allKeys.map((k) => k.pool))];
  if (deps.keyPool !== undefined && !names.includes(deps.keyPool))
    throw new ValidationError([
      {
        field: 'pool',
        message: `unknown key pool "${deps.keyPool}"; pools: ${names.join(', ') || '(none)'}`,
      },
    ]);
  if (!budget) return null;
  const route = budget.routes.tracking;
  const name = deps.keyPool ?? route.pool;
  const keys = allKeys.filter((k) => k.pool === name);
  const usable = keys.filter((k) => k.state !== 'disabled').length;
  const left = await deps.hydra.remaining(name);
  const [byTier, ageDays, ipu] = await Promise.all([
    countWatchlistByTier(pool),
    watchlistAgeDays(pool, toEpochMinutes(now)),
    measuredIdsPerUnit(pool, now),
  ]);
  return planCapacity({
    now,
    pool: {
      name,
      keys: keys.length,
      usableKeys: usable,
      unitsPerKey: config.HYDRA_UNITS_QUOTA,
      searchPerKey: config.HYDRA_SEARCH_QUOTA,
    },
    // Tracking's share of its own pool; another pool is planned as if tracking had all of it.
    trackingUnits: name === route.pool ? route.plannedUnits : usable * config.HYDRA_UNITS_QUOTA,
    usedToday: keys.reduce((a, k) => a + k.unitsUsed, 0),
    remainingToday: left.units,
    tiers: { HOURLY: byTier.HOURLY, DAILY: byTier.DAILY, WEEKLY: byTier.WEEKLY },
    ageDays,
    // Published in the last day, or in the day before when discovery of today's is still catching up.
    arrivalsPerDay: Math.max(ageDays[0] ?? 0, ageDays[1] ?? 0),
    policy: policyFromConfig(config),
    idsPerUnit: ipu,
    hourlySpanMin: hourlySpanMinutes(
      packWindowMs(Tier.HOURLY, config.TRACKER_PACK_WINDOW_PCT / 100) / MINUTE_MS,
      config.TRACKER_DISPATCH_EVERY_S,
    ),
  });
}
