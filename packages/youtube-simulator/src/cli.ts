import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ScaledClock } from './clock.ts';
import { type Simulator, type SimulatorOptions, startSimulator } from './index.ts';

/**
 * The command line of the simulator: `youtube-simulator --port 8181 --seed 42 --speed 60`. Pleiades'
 * own `pleiades simulator` command reads its defaults from its config and then calls the same
 * parseKeysFile, generateKeys and serve.
 */

/** A bad command-line value, naming the option as typed. */
export class CliError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

const keyList = z.array(z.string().min(1)).min(1);
const keysJson = z.union([keyList, z.record(z.string().min(1), keyList)]);

/** A key file: a JSON array, a JSON object of named pools of keys, or one key a line (`#` comments). */
export function parseKeysFile(text: string): string[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch {
      throw new CliError('--keys-file', 'expected JSON (an array of keys or an object of named pools)');
    }
    const r = keysJson.safeParse(json);
    if (!r.success)
      throw new CliError(
        '--keys-file',
        'expected an array of keys or an object of named pools, each a non-empty array of keys',
      );
    return [...new Set(Array.isArray(r.data) ? r.data : Object.values(r.data).flat())];
  }
  const keys = trimmed
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  if (keys.length === 0) throw new CliError('--keys-file', 'no key in the file');
  return [...new Set(keys)];
}

/** `n` simulated keys that look like Google API keys (AIza + 35 characters), written to `path` (0600). */
export async function generateKeys(n: number, path: string): Promise<{ keys: string[]; path: string }> {
  const keys = Array.from({ length: n }, () => `AIza${randomBytes(27).toString('base64url').slice(0, 35)}`);
  const abs = resolve(path);
  await mkdir(dirname(abs), { recursive: true });
  await writeFile(abs, `${JSON.stringify(keys)}\n`, { mode: 0o600 });
  await chmod(abs, 0o600);
  return { keys, path: abs };
}

/** Start, print where (never the keys), and run until SIGINT or SIGTERM. */
export async function serve(
  opts: SimulatorOptions & { keys: string[]; seed: number; speed: number },
  keySource: string,
  out: NodeJS.WritableStream = process.stdout,
): Promise<Simulator> {
  const { speed, ...rest } = opts;
  const sim = await startSimulator({ ...rest, clock: opts.clock ?? new ScaledClock({ speed }) });
  out.write(
    `YouTube simulator listening at ${sim.url} (seed ${opts.seed}, speed ${speed}x, latency ${typeof opts.latency === 'string' ? opts.latency : opts.latency ? 'custom' : 'off'})\n` +
      `${opts.keys.length} valid key(s), ${keySource}\n` +
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
  return sim;
}

const optionsSchema = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(0),
  host: z.string().min(1).default('127.0.0.1'),
  seed: z.coerce.number().int().min(0).default(42),
  speed: z.coerce.number().positive().max(1_000_000).default(1),
  'keys-file': z.string().min(1).optional(),
  'generate-keys': z.coerce.number().int().min(1).max(1000).default(3),
  'keys-out': z.string().min(1).default('simulator-keys.json'),
  'search-quota': z.coerce.number().int().min(0).optional(),
  'units-quota': z.coerce.number().int().min(0).optional(),
  'legacy-quota': z.boolean().optional(),
  'key-rps': z.coerce.number().positive().optional(),
  // Shares of videos that are live streams and premieres (docs/simulator.md, "The world").
  'live-fraction': z.coerce.number().min(0).max(1).optional(),
  'premiere-fraction': z.coerce.number().min(0).max(1).optional(),
});

export const USAGE = `usage: youtube-simulator [--port N] [--host H] [--seed N] [--speed X] [--keys-file PATH]
  [--generate-keys N] [--keys-out PATH] [--search-quota N] [--units-quota N] [--legacy-quota] [--key-rps N]
  [--live-fraction X] [--premiere-fraction X]
`;

/** The bin: parse `argv` (zod names the bad option), then serve. */
export async function main(argv: string[]): Promise<void> {
  const str = { type: 'string' } as const;
  const { values } = parseArgs({
    args: argv,
    options: {
      port: str,
      host: str,
      seed: str,
      speed: str,
      'keys-file': str,
      'generate-keys': str,
      'keys-out': str,
      'search-quota': str,
      'units-quota': str,
      'legacy-quota': { type: 'boolean' },
      'key-rps': str,
      'live-fraction': str,
      'premiere-fraction': str,
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const parsed = optionsSchema.safeParse(values);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new CliError(`--${String(i.path[0] ?? '?')}`, i.message);
  }
  const o = parsed.data;
  const { keys, source } = o['keys-file']
    ? { keys: parseKeysFile(await readFile(o['keys-file'], 'utf8')), source: `from ${o['keys-file']}` }
    : await generateKeys(o['generate-keys'], o['keys-out']).then((g) => ({
        keys: g.keys,
        source: `generated, written to ${g.path}`,
      }));
  await serve(
    {
      port: o.port,
      host: o.host,
      seed: o.seed,
      speed: o.speed,
      keys,
      ...(o['search-quota'] !== undefined ? { searchQuota: o['search-quota'] } : {}),
      ...(o['units-quota'] !== undefined ? { unitsQuota: o['units-quota'] } : {}),
      ...(o['legacy-quota'] ? { legacyQuota: true } : {}),
      ...(o['key-rps'] !== undefined ? { keyRps: o['key-rps'] } : {}),
      world: {
        ...(o['live-fraction'] !== undefined ? { liveFraction: o['live-fraction'] } : {}),
        ...(o['premiere-fraction'] !== undefined ? { premiereFraction: o['premiere-fraction'] } : {}),
      },
    },
    source,
  );
}
