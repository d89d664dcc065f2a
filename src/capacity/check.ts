import type { Config } from '../config/index.ts';
import { claimCapacityCheck, writeCapacityState } from '../dao/capacity.ts';
import type { Queryable } from '../db/pool.ts';
import type { QuotaSource } from '../discovery/budget.ts';
import { type CapacityPlan, neededUnits, readCapacity } from './capacity.ts';
import { nextThreshold } from './overload.ts';

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
  const demoteBelowVph =
    config.TRACKER_OVERLOAD_POLICY === 'demote'
      ? nextThreshold(turn.demoteBelowVph, plan.load ?? Infinity, 0.02, restoredLoad(plan))
      : 0;
  await writeCapacityState(pool, {
    demoteBelowVph,
    overloaded: (plan.load ?? Infinity) > 1,
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

/**
 * The load with a tenth more HOURLY videos (taken from DAILY): what lowering the threshold risks. A
 * tenth, not more: near saturation every HOURLY video costs most of a unit a day, so a bigger probe
 * would keep the threshold up with a fifth of the key unspent (the simulated week measured it).
 */
function restoredLoad(plan: CapacityPlan): number {
  if (plan.availableUnits <= 0) return Infinity;
  const back = Math.min(plan.tiers.DAILY, Math.ceil(plan.tiers.HOURLY / 10));
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
