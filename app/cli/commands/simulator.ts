import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Command } from 'commander';
import { z } from 'zod';
import { ScaledClock } from '../../../src/clock.ts';
import { loadConfig } from '../../../src/config/index.ts';
import { LIMITS, numericText } from '../../../src/config/ranges.ts';
import { keyPoolJson } from '../../../src/config/schema.ts';
import { ValidationError } from '../../../src/errors/index.ts';
import { startSimulator } from '../../../src/youtube/simulator/index.ts';

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
});

/** A key file: a JSON array, a JSON object of named pools (as YOUTUBE_API_KEY_POOL_JSON), or one key a line. */
export function parseKeysFile(text: string): string[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    const r = keyPoolJson.safeParse(trimmed);
    if (!r.success)
      throw new ValidationError([{ field: '--keys-file', message: r.error.issues[0]!.message }]);
    return [...new Set(Object.values(r.data).flat())];
  }
  const keys = trimmed
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  if (keys.length === 0) throw new ValidationError([{ field: '--keys-file', message: 'no key in the file' }]);
  return [...new Set(keys)];
}

/** Simulated keys that look like Google API keys (AIza + 35 characters). */
const simulatedKey = (): string => `AIza${randomBytes(27).toString('base64url').slice(0, 35)}`;

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
      let keys: string[];
      let source: string;
      if (o.keysFile) {
        keys = parseKeysFile(await readFile(o.keysFile, 'utf8'));
        source = `from ${o.keysFile}`;
      } else if (config.YOUTUBE_API_KEY_POOL_JSON) {
        keys = [...new Set(Object.values(config.YOUTUBE_API_KEY_POOL_JSON).flat())];
        source = 'from YOUTUBE_API_KEY_POOL_JSON';
      } else {
        keys = Array.from({ length: o.generateKeys }, simulatedKey);
        const path = resolve(o.keysOut);
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, `${JSON.stringify(keys)}\n`, { mode: 0o600 });
        await chmod(path, 0o600);
        source = `generated, written to ${path} (use it as YOUTUBE_API_KEY_POOL_JSON)`;
      }
      const speed = o.speed ?? config.SIMULATOR_SPEED;
      const seed = o.seed ?? config.SIMULATOR_SEED;
      const sim = await startSimulator({
        port: o.port ?? config.SIMULATOR_PORT,
        host: o.host,
        seed,
        clock: new ScaledClock({ speed }),
        keys,
        ...(o.searchQuota !== undefined ? { searchQuota: o.searchQuota } : {}),
        ...(o.unitsQuota !== undefined ? { unitsQuota: o.unitsQuota } : {}),
        ...(o.legacyQuota ? { legacyQuota: true } : {}),
        ...(o.keyRps !== undefined ? { keyRps: o.keyRps } : {}),
      });
      process.stdout.write(
        `YouTube simulator listening at ${sim.url} (seed ${seed}, speed ${speed}x)\n` +
          `${keys.length} valid key(s), ${source}\n` +
          `API: ${sim.url}/youtube/v3/…   admin: ${sim.url}/admin/stats\n`,
      );
      await new Promise<void>((done) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void sim.close().then(done);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
