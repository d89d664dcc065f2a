import { Command } from 'commander';
import type { Redis } from 'ioredis';
import type { Clock } from '../../../src/clock.ts';
import { type Config, loadConfig } from '../../../src/config/index.ts';
import { demoNow, readDemoClock } from '../../../src/demo.ts';
import { createHydraFromConfig } from '../../../src/hydra/from-config.ts';
import { createHydra, type Hydra, type KeyState } from '../../../src/hydra/hydra.ts';
import { readRoster } from '../../../src/hydra/redis-keys.ts';
import { createRedis, redisTarget } from '../../../src/redis.ts';
import { table } from '../output.ts';

/** One line per key and pool: fingerprint, state, today's usage and the reset time. Never a key. */
export function formatKeys(rows: KeyState[], quota: { search: number; units: number }): string {
  const head = ['POOL', 'FINGERPRINT', 'STATE', 'SEARCH', 'UNITS', 'RESETS AT (UTC)'];
  const body = rows.map((k) => [
    k.pool,
    k.fingerprint,
    k.state === 'ok' && k.spent.length ? `ok (${k.spent.join(', ')} spent)` : k.state,
    `${k.searchUsed}/${quota.search}`,
    `${k.unitsUsed}/${quota.units}`,
    new Date(k.resetAt).toISOString(),
  ]);
  return table(head, body);
}

/**
 * Without a key pool, the keys `start` gave its simulator: read by fingerprint from Hydra's roster in
 * Redis, on the demo's simulated clock (its Pacific day is the one the counts are for). Null when no
 * process has used any.
 */
async function simulatorView(
  config: Config,
  redis: Redis,
): Promise<{ hydra: Hydra; speed: number; now: number } | null> {
  const roster = await readRoster(redis, config.REDIS_PREFIX);
  if (Object.keys(roster).length === 0) return null;
  const demo = await readDemoClock(redis, config.REDIS_PREFIX);
  const clock: Clock = { now: () => (demo ? demoNow(demo) : Date.now()) };
  const hydra = createHydra({
    redis,
    prefix: config.REDIS_PREFIX,
    pools: Object.fromEntries(Object.keys(roster).map((p) => [p, []])),
    fingerprints: roster,
    clock,
    searchQuota: config.HYDRA_SEARCH_QUOTA,
    unitsQuota: config.HYDRA_UNITS_QUOTA,
  });
  return { hydra, speed: demo?.speed ?? 1, now: clock.now() };
}

export function keysCommand(): Command {
  return new Command('keys')
    .description("list each API key's fingerprint, pool, quota used today, state and reset time")
    .option('--json', 'print JSON')
    .option('--enable <fingerprint>', 're-enable a disabled or cooling key')
    .action(async (opts: { json?: boolean; enable?: string }) => {
      const config = loadConfig();
      const redis = createRedis(redisTarget(config));
      try {
        let hydra: Hydra;
        let note = '';
        if (config.YOUTUBE_API_KEY_POOL_JSON) hydra = createHydraFromConfig(config, { redis });
        else {
          const sim = await simulatorView(config, redis);
          if (!sim) {
            process.stdout.write(
              opts.json
                ? '[]\n'
                : 'no key pool is set (YOUTUBE_API_KEY_POOL_JSON) and the simulator has not run yet: `pleiades start` runs it\n',
            );
            return;
          }
          hydra = sim.hydra;
          note =
            sim.speed === 1
              ? "the built-in simulator's keys (no key pool is set)\n"
              : `the built-in simulator's keys; demo: simulated time ×${sim.speed}, now ${new Date(sim.now).toISOString().slice(0, 16).replace('T', ' ')} UTC\n`;
        }
        if (opts.enable) {
          const ok = await hydra.enable(opts.enable);
          process.stdout.write(
            ok ? `enabled ${opts.enable}\n` : `no configured key has fingerprint ${opts.enable}\n`,
          );
          if (!ok) process.exitCode = 1;
          return;
        }
        const rows = await hydra.keys();
        process.stdout.write(
          opts.json
            ? `${JSON.stringify(rows, null, 2)}\n`
            : `${note}${formatKeys(rows, { search: config.HYDRA_SEARCH_QUOTA, units: config.HYDRA_UNITS_QUOTA })}\n`,
        );
      } finally {
        redis.disconnect();
      }
    });
}
