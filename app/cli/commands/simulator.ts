import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { z } from 'zod';
import { loadConfig } from '../../../src/config/index.ts';
import { LIMITS, numericText } from '../../../src/config/ranges.ts';
import { ValidationError } from '../../../src/errors/index.ts';

const optionsSchema = z.object({
  port: numericText(0, 65535, { int: true }).optional(),
  host: z.string().min(1),
  seed: numericText(0, 2 ** 32 - 1, { int: true }).optional(),
  speed: numericText(0.001, 1_000_000).optional(),
  keysFile: z.string().min(1).optional(),
  generateKeys: numericText(1, 1000, { int: true }),
  keysOut: z.string().min(1),
  searchQuota: numericText(0, LIMITS.count, { int: true }).optional(),
  unitsQuota: numericText(0, LIMITS.count, { int: true }).optional(),
  legacyQuota: z.boolean().optional(),
  keyRps: numericText(0.001, 100_000).optional(),
  latency: z.enum(['off', 'youtube']).optional(),
});

export function simulatorCommand(): Command {
  return new Command('simulator')
    .description('run the YouTube Data API v3 simulator (what Pleiades uses when no key pool is set)')
    .option('--port <n>', 'port to listen on; 0 picks a free one (default SIMULATOR_PORT)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--seed <n>', 'seed of the synthetic world (default SIMULATOR_SEED)')
    .option('--speed <x>', 'simulated seconds per real second (default SIMULATOR_SPEED)')
    .option('--keys-file <path>', 'valid keys: a JSON array, a JSON object of pools, or one key a line')
    .option('--generate-keys <n>', 'keys to generate when none are given', '3')
    .option(
      '--keys-out <path>',
      'file the generated keys are written to (mode 0600)',
      'data/simulator-keys.json',
    )
    .option('--search-quota <n>', 'search.list calls per key and Pacific day (default 100)')
    .option('--units-quota <n>', 'shared-bucket units per key and Pacific day (default 10000)')
    .option('--legacy-quota', 'search.list costs 100 units of the shared bucket (before June 2026)')
    .option('--key-rps <n>', 'requests per second per key before rateLimitExceeded (default unlimited)')
    .option('--latency <model>', "answer times: 'youtube' (per-method, long-tailed) or 'off' (default)")
    .action(async (raw: Record<string, unknown>) => {
      const parsed = optionsSchema.safeParse(raw);
      if (!parsed.success)
        throw new ValidationError(
          parsed.error.issues.map((i) => ({
            // commander's camelCase name back to the option as typed: keyRps → --key-rps
            field: `--${String(i.path[0] ?? '?').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
            message: i.message,
          })),
        );
      const o = parsed.data;
      const config = loadConfig();
      // The simulator's own command line lives in its package; loaded only when this command runs.
      const { CliError, generateKeys, parseKeysFile, serve } = await import(
        '@pleiades/youtube-simulator/cli'
      );
      let keys: string[];
      let source: string;
      if (o.keysFile) {
        try {
          keys = parseKeysFile(await readFile(o.keysFile, 'utf8'));
        } catch (err) {
          if (err instanceof CliError)
            throw new ValidationError([{ field: err.field, message: err.message }]);
          throw err;
        }
        source = `from ${o.keysFile}`;
      } else if (config.YOUTUBE_API_KEY_POOL_JSON) {
        keys = [...new Set(Object.values(config.YOUTUBE_API_KEY_POOL_JSON).flat())];
        source = 'from YOUTUBE_API_KEY_POOL_JSON';
      } else {
        const g = await generateKeys(o.generateKeys, o.keysOut);
        keys = g.keys;
        source = `generated, written to ${g.path} (use it as YOUTUBE_API_KEY_POOL_JSON)`;
      }
      await serve(
        {
          port: o.port ?? config.SIMULATOR_PORT,
          host: o.host,
          seed: o.seed ?? config.SIMULATOR_SEED,
          speed: o.speed ?? config.SIMULATOR_SPEED,
          keys,
          ...(o.searchQuota !== undefined ? { searchQuota: o.searchQuota } : {}),
          ...(o.unitsQuota !== undefined ? { unitsQuota: o.unitsQuota } : {}),
          ...(o.legacyQuota ? { legacyQuota: true } : {}),
          ...(o.keyRps !== undefined ? { keyRps: o.keyRps } : {}),
          ...(o.latency ? { latency: o.latency } : {}),
        },
        source,
      );
    });
}
