import { Command } from 'commander';
import { z } from 'zod';
import { type CapacityPlan, readCapacity } from '../../../src/capacity/capacity.ts';
import { systemClock } from '../../../src/clock.ts';
import { readCapacityState } from '../../../src/dao/capacity.ts';
import { ValidationError } from '../../../src/errors/index.ts';
import { createHydraFromConfig } from '../../../src/hydra/from-config.ts';
import { createRedis, redisTarget } from '../../../src/redis.ts';
import { withPool } from '../resources.ts';

const options = z
  .object({
    json: z.boolean().optional(),
    pool: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, { message: 'expected a pool name (letters, digits, _ . -)' })
      .optional(),
  })
  .strict();

const nf = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

/** The plan as a two-column table for a terminal (docs/dataset.md, "The capacity card"). */
export function formatCapacity(p: CapacityPlan, policy: string, demoteBelowVph: number): string {
  const rows: [string, string][] = [
    ['day (Pacific)', p.day],
    ['pool', `${p.pool.name} (${p.pool.usableKeys}/${p.pool.keys} keys usable)`],
    ['needed units/day', nf.format(p.neededUnits)],
    ['available units/day', nf.format(p.availableUnits)],
    ['headroom units/day', nf.format(p.headroomUnits)],
    ['load', p.load === null ? '-' : `${nf.format(p.load * 100)} %`],
    ['used today / left', `${nf.format(p.usedToday)} / ${nf.format(p.remainingToday)}`],
    ['videos HOURLY/DAILY/WEEKLY', `${p.tiers.HOURLY} / ${p.tiers.DAILY} / ${p.tiers.WEEKLY}`],
    [
      'polls/day HOURLY/DAILY/WEEKLY',
      `${nf.format(p.pollsPerDay.HOURLY)} / ${nf.format(p.pollsPerDay.DAILY)} / ${nf.format(p.pollsPerDay.WEEKLY)}`,
    ],
    [
      'live streams / polls/day LIVE',
      `${p.live?.videos ?? 0} / ${nf.format(p.pollsPerDay.LIVE ?? 0)} (every 5 min, beyond HOURLY's 24)`,
    ],
    ['ids per unit', `${nf.format(p.idsPerUnit)}${p.idsPerUnitMeasured ? '' : ' (assumed)'}`],
    ['new videos/day', nf.format(p.arrivalsPerDay)],
    [
      'need in 1..7 days',
      p.projection
        .slice(1)
        .map((u) => nf.format(u))
        .join(' '),
    ],
    ['short in', p.exceedsInDays === null ? 'not within 7 days' : `${p.exceedsInDays} days`],
    ['affordable new videos/day', nf.format(p.affordableArrivalsPerDay)],
    [
      'overload policy',
      demoteBelowVph > 0 ? `${policy} (below ${nf.format(demoteBelowVph)} views/h)` : policy,
    ],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}

/** `pleiades capacity`: the capacity plan of the key pool tracking uses (or `--pool`). */
export function capacityCommand(): Command {
  return new Command('capacity')
    .description(
      'units a day the watchlist needs against what the key pool supplies, and the 7-day projection',
    )
    .option('--json', 'print JSON')
    .option('--pool <name>', 'the key pool to plan for (default: the one tracking uses)')
    .action(async (raw: unknown) => {
      const r = options.safeParse(raw);
      if (!r.success)
        throw new ValidationError(
          r.error.issues.map((i) => ({ field: `--${String(i.path[0] ?? 'options')}`, message: i.message })),
        );
      const o = r.data;
      await withPool(async (pool, config) => {
        if (!config.YOUTUBE_API_KEY_POOL_JSON) {
          // --json stays JSON: no plan, and the state the tracker recorded.
          process.stdout.write(
            o.json
              ? `${JSON.stringify({ policy: config.TRACKER_OVERLOAD_POLICY, plan: null, state: await readCapacityState(pool) })}\n`
              : 'no key pool is set (YOUTUBE_API_KEY_POOL_JSON): the built-in simulator is used, nothing to plan\n',
          );
          return;
        }
        const redis = createRedis(redisTarget(config));
        try {
          const hydra = createHydraFromConfig(config, { redis });
          const now = systemClock.now();
          const [plan, state] = await Promise.all([
            readCapacity({ pool, config, now, hydra, keyPool: o.pool }),
            readCapacityState(pool),
          ]);
          const policy = config.TRACKER_OVERLOAD_POLICY;
          process.stdout.write(
            o.json
              ? `${JSON.stringify({ policy, plan, state }, null, 2)}\n`
              : plan
                ? `${formatCapacity(plan, policy, state.demoteBelowVph)}\n`
                : 'no key in the pool: nothing to plan\n',
          );
        } finally {
          redis.disconnect();
        }
      });
    });
}
