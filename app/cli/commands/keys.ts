import { Command } from 'commander';
import { loadConfig } from '../../../src/config/index.ts';
import { createHydraFromConfig } from '../../../src/hydra/from-config.ts';
import type { KeyState } from '../../../src/hydra/hydra.ts';
import { createRedis } from '../../../src/redis.ts';

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
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  return [head, ...body]
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function keysCommand(): Command {
  return new Command('keys')
    .description("list each API key's fingerprint, pool, quota used today, state and reset time")
    .option('--json', 'print JSON')
    .option('--enable <fingerprint>', 're-enable a disabled or cooling key')
    .action(async (opts: { json?: boolean; enable?: string }) => {
      const config = loadConfig();
      if (!config.YOUTUBE_API_KEY_POOL_JSON) {
        process.stdout.write(
          'no key pool is set (YOUTUBE_API_KEY_POOL_JSON): the built-in simulator is used\n',
        );
        return;
      }
      const redis = createRedis(config.REDIS_URL);
      try {
        const hydra = createHydraFromConfig(config, { redis });
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
            : `${formatKeys(rows, { search: config.HYDRA_SEARCH_QUOTA, units: config.HYDRA_UNITS_QUOTA })}\n`,
        );
      } finally {
        redis.disconnect();
      }
    });
}
