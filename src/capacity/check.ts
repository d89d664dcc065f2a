import { DAY_MS, HOUR_MS, toEpochMinutes } from '../clock.ts';
import type { Config } from '../config/index.ts';
import { claimCapacityCheck, countDemoted, writeCapacityState } from '../dao/capacity.ts';
import { countWaiting } from '../dao/packing.ts';
import type { Queryable } from '../db/pool.ts';
import type { QuotaSource } from '../discovery/budget.ts';
import { LATE_FRACTION } from '../observations/gaps.ts';
import { policyFromConfig, Tier } from '../tiers.ts';
import { type CapacityPlan, loadWithMoreHourly, readCapacity } from './capacity.ts';
import { nextThreshold } from './overload.ts';

/** How far the load may be from 1 before the controller moves the threshold (nextThreshold). */
const BAND = 0.02;
/** The load the controller acts on when HOURLY polls wait for the reset: above its band, so it demotes. */
const OVERLOADED = 1.05;

/** How often (at most) the capacity check runs: once the HOURLY tier has turned over, an hour. */
export const CHECK_EVERY_MS = 60 * 60_000;

/**
 * The capacity check the tracker dispatcher runs at most once per `everyMs` across all processes (a
 * conditional update claims the turn): plans, moves the demotion threshold (`demote` policy), stores
 * both, and emits `capacity.short` when the need exceeds the supply now or within the projection.
 */
export async function checkCapacity(deps: {
  pool: Queryable;
  config: Config;
  now: number;
  hydra: QuotaSource;
  emit: (name: string, payloads: Record<string, unknown>[]) => Promise<void>;
  everyMs?: number;
}): Promise<CapacityPlan | null> {
  const { pool, config, now } = deps;
  const turn = await claimCapacityCheck(pool, now, deps.everyMs ?? CHECK_EVERY_MS);
  if (!turn) return null;
  const plan = await readCapacity(deps);
  if (!plan) return null;
  // Videos a lower threshold brings back return at their next DAILY poll: until a day has passed
  // since the last lowering, part of its load is still to come, and lowering again would overshoot
  // (sql/010_capacity_hold.sql). The plan is a model; HOURLY polls waiting for the reset, late, with
  // the quota spent, are the measure that it fell short: overloaded, whatever the model says, and
  // not lowered for a day either.
  const settled = turn.noLowerBefore === null || now >= turn.noLowerBefore;
  const ranOut =
    plan.remainingToday <= 0 &&
    (await countWaiting(pool, Tier.HOURLY, toEpochMinutes(now - LATE_FRACTION * HOUR_MS))) > 0;
  const load = Math.max(plan.load ?? Number.POSITIVE_INFINITY, ranOut ? OVERLOADED : 0);
  const demote = config.TRACKER_OVERLOAD_POLICY === 'demote';
  // Keys added or quota freed: when every demoted video fits back, they all come back at once.
  const allBack =
    demote &&
    turn.demoteBelowVph > 0 &&
    !ranOut &&
    loadWithMoreHourly(
      plan,
      await countDemoted(pool, toEpochMinutes(now - policyFromConfig(config).hourlyUntilMs)),
    ) <=
      1 - BAND;
  const demoteBelowVph =
    !demote || allBack
      ? 0
      : nextThreshold(
          turn.demoteBelowVph,
          load,
          BAND,
          settled ? loadWithMoreHourly(plan) : Number.POSITIVE_INFINITY,
        );
  await writeCapacityState(pool, {
    ...(demoteBelowVph < turn.demoteBelowVph || ranOut ? { noLowerBefore: now + DAY_MS } : {}),
    demoteBelowVph,
    overloaded: load > 1,
    checkedAt: now,
    plan,
  });
  if (plan.exceedsInDays !== null)
    await deps.emit('capacity.short', [
      {
        pool: plan.pool.name,
        neededUnits: Math.round(plan.neededUnits),
        availableUnits: Math.round(plan.availableUnits),
        inDays: plan.exceedsInDays,
        policy: config.TRACKER_OVERLOAD_POLICY,
        demoteBelowVph,
      },
    ]);
  return plan;
}
