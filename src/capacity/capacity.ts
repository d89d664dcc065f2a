import { DAY_MS, HOUR_MS, MINUTE_MS, pacificDay, toEpochMinutes } from '../clock.ts';
import type { Config } from '../config/index.ts';
import {
  dispatchedOn,
  hourlyDueByMinute,
  liveCadenceVideos,
  slowPollsDue,
  watchlistAgeDays,
} from '../dao/capacity.ts';
import { countWatchlistByTier } from '../dao/watchlist.ts';
import type { Queryable } from '../db/pool.ts';
import { currentBudget, type QuotaSource } from '../discovery/budget.ts';
import { ValidationError } from '../errors/index.ts';
import { policyFromConfig, Tier, type TierPolicy } from '../tiers.ts';
import { LIVE_CADENCE_MS } from '../tracker/signals/live.ts';
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
/** Polls a day of one video on the LIVE cadence (src/tracker/signals/live.ts): 288 at 5 minutes. */
export const LIVE_POLLS_PER_DAY = DAY_MS / LIVE_CADENCE_MS;

export interface TierCounts {
  HOURLY: number;
  DAILY: number;
  WEEKLY: number;
}

/** DAILY and WEEKLY polls due in the next 24 hours (src/dao/capacity.ts slowPollsDue). */
export interface SlowDue {
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
  /** How HOURLY jobs cover due times (hourlyShape); absent: HOURLY jobs are assumed full. */
  hourlyShape?: HourlyShape;
  /** HOURLY polls due per minute of the hour (hourlyDueByMinute); absent: Poisson spans are assumed. */
  hourlyDueByMinute?: number[];
  /** DAILY and WEEKLY polls due in the next 24 hours; absent: the tiers' sizes over their intervals. */
  slowDue?: SlowDue;
  /** Videos on the LIVE cadence now (live streams, or premieres late to start: liveCadenceVideos); absent: 0. */
  live?: number;
}

export interface CapacityPlan {
  day: string;
  pool: CapacityInput['pool'];
  /** Minutes of HOURLY due times one job covers (the packing model's span), when known. */
  hourlySpanMin?: number;
  /** The dispatch grid HOURLY jobs follow, when dispatches are the packing window apart or more. */
  hourlyGrid?: HourlyShape['grid'];
  /** HOURLY polls due per minute of the hour, as measured (the shape the need is modelled on). */
  hourlyDueByMinute?: number[];
  /** DAILY and WEEKLY polls due in the next 24 hours, as measured (today's polls of those tiers). */
  slowDue?: SlowDue;
  /** HOURLY jobs an hour at today's HOURLY tier (the dispatcher's reserve for HOURLY counts with it). */
  hourlyJobsPerHour?: number;
  idsPerUnit: number;
  idsPerUnitMeasured: boolean;
  arrivalsPerDay: number;
  tiers: TierCounts;
  /** Videos on the LIVE cadence now (counted in `tiers.HOURLY` too) and their polls a day beyond HOURLY's. */
  live: { videos: number; pollsPerDay: number };
  /** Polls a day each tier needs to stay on schedule; LIVE: the live streams' polls beyond HOURLY's 24. */
  pollsPerDay: PollsPerDay;
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

export type PollsPerDay = TierCounts & { LIVE: number; total: number };

/**
 * Polls a day per tier: HOURLY 24, DAILY 1, WEEKLY 1/7 per video; or, for the slower tiers, the polls
 * the schedule has due in the next 24 hours (`due`), when measured: a tier that videos have just
 * entered (dormant ones moving to WEEKLY) has its first polls a whole interval away. LIVE: the `live`
 * videos on the LIVE cadence poll LIVE_POLLS_PER_DAY times a day, and are in the HOURLY tier already
 * (withCadence), counted there at 24: LIVE is the rest, live × (288 − 24). A stream is assumed to stay
 * live the whole day, and as many to be live at any time as are now (one that ends is taken as
 * replaced by another that starts): the level the planner budgets, today and in the projection.
 */
export function pollsPerDay(t: TierCounts, due?: SlowDue, live = 0): PollsPerDay {
  const p = {
    HOURLY: t.HOURLY * 24,
    DAILY: due?.DAILY ?? t.DAILY,
    WEEKLY: due?.WEEKLY ?? t.WEEKLY / 7,
    LIVE: live * (LIVE_POLLS_PER_DAY - 24),
  };
  return { ...p, total: p.HOURLY + p.DAILY + p.WEEKLY + p.LIVE };
}

/**
 * Units a day the live streams take in jobs of their own: a LIVE poll is due every 5 minutes and waits
 * for no other, so each cadence step needs ceil(live / 50) calls when no HOURLY job is due with them
 * (a small watchlist). A big HOURLY tier has jobs at every minute that the LIVE polls ride in; then
 * the HOURLY jobs or the polls at 50 ids a unit are the most (unitsPerDay takes the largest).
 */
export function liveUnitsPerDay(live: number): number {
  return live > 0 ? Math.ceil(live / IDS_PER_CALL) * LIVE_POLLS_PER_DAY : 0;
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
 * Minutes of HOURLY due times one tracker job covers. While dispatches come more often than the packing
 * window, a part-filled job waits until its first video is the window late and takes the videos due up
 * to the window ahead (2·window + 1 minutes). When they are the window apart or more, no later dispatch
 * can add to a job before it is late (src/tracker-jobs.ts worthHolding): each dispatch takes what fell
 * due since the last one, and its span is the dispatch interval, on the dispatch's grid (hourlyShape).
 */
export function hourlySpanMinutes(windowMin: number, dispatchEveryS: number): number {
  const every = dispatchEveryS / 60;
  return every >= windowMin ? every : Math.max(every, 2 * windowMin + 1);
}

/** The packing model's shape of HOURLY jobs for a packing window and dispatch cadence (hourlySpanMinutes). */
export function hourlyShape(windowMin: number, dispatchEveryS: number): HourlyShape {
  const every = dispatchEveryS / 60;
  const spanMin = hourlySpanMinutes(windowMin, dispatchEveryS);
  return every >= windowMin ? { spanMin, grid: { everyMin: every, aheadMin: windowMin } } : { spanMin };
}

/** hourlyShape at the configured packing window and dispatch cadence. */
export const configuredHourlyShape = (
  config: Pick<Config, 'TRACKER_PACK_WINDOW_PCT' | 'TRACKER_DISPATCH_EVERY_S'>,
): HourlyShape =>
  hourlyShape(
    packWindowMs(Tier.HOURLY, config.TRACKER_PACK_WINDOW_PCT / 100) / MINUTE_MS,
    config.TRACKER_DISPATCH_EVERY_S,
  );

/**
 * The mean of ceil(n / size) for n ~ Poisson(lambda): how many jobs a span of due polls takes when the
 * polls due in a span vary from one span to the next as arrivals do (due times follow publication
 * times). It is the sum over k ≥ 0 of P(n > k·size), walked once along the pmf (in logs, so that a
 * large lambda does not underflow) to where the tail is negligible. It rises smoothly with lambda (a
 * span of 45 polls on average takes 1.2 jobs), so the overload controller sees the cost of each video
 * it brings back, not a step from one job a span to two.
 */
export function expectedJobs(lambda: number, size = IDS_PER_CALL): number {
  if (!(lambda > 0)) return 0;
  const last = Math.ceil(lambda + 12 * Math.sqrt(lambda) + 2 * size);
  let logPmf = -lambda;
  let cdf = 0;
  let jobs = 0;
  for (let n = 0; n <= last; n++) {
    if (n > 0) logPmf += Math.log(lambda / n);
    cdf += Math.exp(logPmf);
    if (n % size === 0) jobs += Math.max(0, 1 - cdf);
  }
  return jobs;
}

/**
 * HOURLY jobs in an hour when a dispatch every `everyMin` minutes (a divisor of 60) takes the polls due
 * since the last one and up to `aheadMin` ahead: blocks of `everyMin` minutes ending `aheadMin` after
 * each dispatch, ceil(polls / 50) jobs each.
 */
export function jobsPerHourOnGrid(
  dueByMinute: readonly number[],
  everyMin: number,
  aheadMin: number,
  scale = 1,
): number {
  const blocks = new Array<number>(60 / everyMin).fill(0);
  for (let m = 0; m < 60; m++) {
    const k = (((Math.ceil((m - aheadMin) / everyMin) % blocks.length) + blocks.length) % blocks.length) | 0;
    blocks[k]! += (dueByMinute[m] ?? 0) * scale;
  }
  return blocks.reduce((a, n) => a + Math.ceil(n / IDS_PER_CALL - 1e-9), 0);
}

/** How the HOURLY tier's polls fall in the hour: the packing span, and the measured minutes when known. */
export interface HourlyShape {
  spanMin: number;
  /**
   * Dispatches at least the packing window apart (hourlyShape): each takes the polls due since the one
   * before, up to the window ahead, so spans are fixed blocks of the dispatch interval (the scheduler's
   * repeat runs on multiples of it).
   */
  grid?: { everyMin: number; aheadMin: number };
  /** Polls due per minute of the hour now (hourlyDueByMinute); absent or empty: spread as arrivals are. */
  dueByMinute?: readonly number[];
}

/**
 * HOURLY jobs over `ms` with `hourly` videos. On a dispatch grid (dispatches the packing window apart or
 * more), the measured minutes of the hour scaled to `hourly`, in the grid's blocks (jobsPerHourOnGrid):
 * each dispatch packs only what it finds, so how the due times bunch decides the jobs. Dispatched more
 * often, a part-filled job is held for the polls due next, and the small groups between bunches ride
 * with them: spans of Poisson-distributed due times (expectedJobs).
 * (Greedy spans over the measured minutes counted 14 jobs an hour where the saturation bench's tracker
 * took 12.5.)
 */
export function hourlyJobs(hourly: number, shape: HourlyShape, ms: number): number {
  if (hourly <= 0) return 0;
  const measured = (shape.dueByMinute ?? []).reduce((a, n) => a + n, 0);
  const g = shape.grid;
  if (measured > 0 && g && Number.isInteger(g.everyMin) && 60 % g.everyMin === 0)
    return (
      (ms / HOUR_MS) * jobsPerHourOnGrid(shape.dueByMinute ?? [], g.everyMin, g.aheadMin, hourly / measured)
    );
  return (ms / (shape.spanMin * 60_000)) * expectedJobs((hourly * shape.spanMin) / 60);
}

/**
 * Units a day a watchlist takes the way the tracker spends them (src/tracker-jobs.ts): HOURLY's polls
 * are cut into jobs per span of due times (a job covers at most `spanMin` minutes, so a small HOURLY
 * tier leaves places empty); the DAILY and WEEKLY polls ride in those places first, and take full jobs
 * of 50 for the rest. So: the HOURLY jobs, or all polls at 50 ids a unit, whichever is more.
 */
export function unitsPerDay(tiers: TierCounts, shape?: HourlyShape, due?: SlowDue, live = 0): number {
  const polls = pollsPerDay(tiers, due, live).total;
  const floor = Math.max(polls / IDS_PER_CALL, liveUnitsPerDay(live));
  if (!shape || tiers.HOURLY <= 0) return floor;
  return Math.max(hourlyJobs(tiers.HOURLY, shape, DAY_MS), floor);
}

/**
 * Units a day these tiers need: the packing model (unitsPerDay), or, when more, their polls at the ids
 * per unit the tracker measured. The model assumes the slower tiers' polls fill every place HOURLY jobs
 * leave; they can only when enough of them fall due within their windows at the right dispatches, and
 * a job still part-filled is sent when one of its polls would otherwise be late. The measure says what
 * the packing achieved with this watchlist; the model, what it achieves at best. `live`: videos on the
 * LIVE cadence (pollsPerDay's LIVE).
 */
export function neededUnits(
  tiers: TierCounts,
  shape: HourlyShape | undefined,
  idsPerUnit: number | null,
  due?: SlowDue,
  live = 0,
): number {
  const modelled = unitsPerDay(tiers, shape, due, live);
  if (idsPerUnit === null) return modelled;
  const polls = pollsPerDay(tiers, due, live).total;
  return Math.max(modelled, polls / Math.min(IDS_PER_CALL, Math.max(1, idsPerUnit)));
}

export function planCapacity(input: CapacityInput): CapacityPlan {
  const ipu = Math.min(IDS_PER_CALL, Math.max(1, input.idsPerUnit ?? IDS_PER_CALL));
  const live = input.live ?? 0;
  const polls = pollsPerDay(input.tiers, input.slowDue, live);
  const shape: HourlyShape | undefined = input.hourlyShape
    ? { ...input.hourlyShape, dueByMinute: input.hourlyDueByMinute }
    : undefined;
  const need = (t: TierCounts) => neededUnits(t, shape, input.idsPerUnit, undefined, live);
  const neededNow = neededUnits(input.tiers, shape, input.idsPerUnit, input.slowDue, live);
  const available = input.trackingUnits;
  // The projection follows the age rule; velocity rules and demotions are carried by the ratio of the
  // real tier sizes to the age rule's today.
  const byAgeNow = tiersByAge(input.ageDays, input.policy);
  const scale = (now: number, byAge: number) => (byAge > 0 ? now / byAge : 1);
  const projection = Array.from({ length: PROJECTION_DAYS + 1 }, (_, d) => {
    if (d === 0) return neededNow;
    const t = tiersByAge(input.ageDays, input.policy, d, input.arrivalsPerDay);
    return need({
      HOURLY: t.HOURLY * scale(input.tiers.HOURLY, byAgeNow.HOURLY),
      DAILY: t.DAILY * scale(input.tiers.DAILY, byAgeNow.DAILY),
      WEEKLY: t.WEEKLY * scale(input.tiers.WEEKLY, byAgeNow.WEEKLY),
    });
  });
  const first = projection.findIndex((u) => u > available);
  const perArrival = unitsPerArrival(input.policy, IDS_PER_CALL);
  const worstHeadroom = Math.min(...projection.map((u) => available - u));
  return {
    day: pacificDay(input.now),
    pool: input.pool,
    ...(shape
      ? {
          hourlySpanMin: round(shape.spanMin, 2),
          ...(shape.grid ? { hourlyGrid: shape.grid } : {}),
          ...(input.hourlyDueByMinute ? { hourlyDueByMinute: input.hourlyDueByMinute } : {}),
          hourlyJobsPerHour: round(hourlyJobs(input.tiers.HOURLY, shape, HOUR_MS), 2),
        }
      : {}),
    idsPerUnit: round(ipu, 2),
    idsPerUnitMeasured: input.idsPerUnit !== null,
    arrivalsPerDay: round(input.arrivalsPerDay),
    tiers: input.tiers,
    ...(input.slowDue ? { slowDue: input.slowDue } : {}),
    live: { videos: live, pollsPerDay: round(polls.LIVE) },
    pollsPerDay: {
      HOURLY: round(polls.HOURLY),
      DAILY: round(polls.DAILY),
      WEEKLY: round(polls.WEEKLY),
      LIVE: round(polls.LIVE),
      total: round(polls.total),
    },
    neededUnits: round(neededNow),
    availableUnits: round(available),
    headroomUnits: round(available - neededNow),
    load: available > 0 ? round(neededNow / available, 3) : neededNow > 0 ? null : 0,
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
  const [byTier, ageDays, ipu, dueByMinute, slowDue, live] = await Promise.all([
    countWatchlistByTier(pool),
    watchlistAgeDays(pool, toEpochMinutes(now)),
    measuredIdsPerUnit(pool, now),
    hourlyDueByMinute(pool),
    slowPollsDue(pool, toEpochMinutes(now + DAY_MS)),
    liveCadenceVideos(pool, LIVE_CADENCE_MS / MINUTE_MS),
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
    hourlyShape: configuredHourlyShape(config),
    hourlyDueByMinute: dueByMinute,
    slowDue,
    live,
  });
}

/**
 * The load with a twentieth more HOURLY videos (taken from DAILY), or with `videos` more: what lowering
 * the threshold risks. A twentieth: a bigger probe kept the threshold up with the key not quite spent
 * (a tenth: 94% of it in the simulated week, test/capacity-week.test.ts; a twentieth: 100%), and the
 * day's hold after each lowering keeps the small steps from adding up before their videos are back.
 */
export function loadWithMoreHourly(plan: CapacityPlan, videos = Math.ceil(plan.tiers.HOURLY / 20)): number {
  if (plan.availableUnits <= 0) return Infinity;
  const back = Math.min(plan.tiers.DAILY, videos);
  const tiers = { ...plan.tiers, HOURLY: plan.tiers.HOURLY + back, DAILY: plan.tiers.DAILY - back };
  return (
    neededUnits(
      tiers,
      plan.hourlySpanMin
        ? { spanMin: plan.hourlySpanMin, grid: plan.hourlyGrid, dueByMinute: plan.hourlyDueByMinute }
        : undefined,
      plan.idsPerUnitMeasured ? plan.idsPerUnit : null,
      // The videos brought back leave DAILY: a poll a day each fewer there.
      plan.slowDue && { DAILY: Math.max(0, plan.slowDue.DAILY - back), WEEKLY: plan.slowDue.WEEKLY },
      plan.live?.videos ?? 0,
    ) / plan.availableUnits
  );
}
