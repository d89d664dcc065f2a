import { Command } from 'commander';
import { z } from 'zod';
import { systemClock } from '../../clock.ts';
import { type Config, loadConfig } from '../../config/index.ts';
import { createPool } from '../../db/pool.ts';
import { ValidationError } from '../../errors/index.ts';
import { createLogger } from '../../log.ts';
import { createVault, historyToCsv, historyToJson } from '../../vault/index.ts';
import { VIDEO_ID_RE } from '../../videoId.ts';

const exportArgs = z.object({
  video: z.string().regex(VIDEO_ID_RE, { message: 'expected an 11-character YouTube video id' }),
  format: z.enum(['csv', 'json'], { message: 'expected csv or json' }),
});
const compactArgs = z.object({
  date: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'expected a date as YYYY-MM-DD' })
    .refine(
      (d) => {
        const t = Date.parse(`${d}T00:00:00Z`);
        return !Number.isNaN(t) && new Date(t).toISOString().startsWith(d);
      },
      { message: 'not a calendar date' },
    )
    .optional(),
});

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const r = schema.safeParse(input);
  if (!r.success)
    throw new ValidationError(
      r.error.issues.map((i) => ({ field: `--${String(i.path[0] ?? '?')}`, message: i.message })),
    );
  return r.data;
}

/** The text `pleiades vault export` prints: one video's history from the vault files. */
export async function exportVideoText(
  config: Config,
  args: { video: string; format: string },
): Promise<string> {
  const a = parse(exportArgs, args);
  const vault = createVault(config, createLogger({ level: 'silent' }));
  const rows = await vault.exportVideo(a.video);
  return a.format === 'csv' ? historyToCsv(rows) : `${historyToJson(rows)}\n`;
}

async function withVault<T>(
  fn: (c: {
    config: Config;
    vault: ReturnType<typeof createVault>;
    pool: ReturnType<typeof createPool>;
  }) => Promise<T>,
): Promise<T> {
  const config = loadConfig();
  const log = createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT });
  const pool = createPool(config.DATABASE_URL, { max: 3, applicationName: 'pleiades-vault' });
  try {
    return await fn({ config, vault: createVault(config, log), pool });
  } finally {
    await pool.end();
  }
}

const print = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);

export function vaultCommand(): Command {
  const cmd = new Command('vault').description('the Parquet vault: flush staged snapshots, compact, export');
  cmd
    .command('flush')
    .description('write staged snapshots and ready video metadata to the vault now')
    .option('--if-due', 'only when VAULT_FLUSH_ROWS are staged or VAULT_FLUSH_INTERVAL_S has passed')
    .action((o: { ifDue?: boolean }) =>
      withVault(async ({ vault, pool }) => {
        print(await vault.flush(pool, { clock: systemClock, force: !o.ifDue }));
      }),
    );
  cmd
    .command('compact')
    .description("merge each finished day's files into one (or only --date's)")
    .option('--date <YYYY-MM-DD>', 'the day partition to compact (UTC)')
    .action((o: { date?: string }) =>
      withVault(async ({ vault, pool }) => {
        const a = parse(compactArgs, o);
        const parts = await vault.compact(pool, { clock: systemClock, ...(a.date ? { date: a.date } : {}) });
        print({ compacted: parts });
      }),
    );
  cmd
    .command('export')
    .description("print one video's snapshot history from the vault")
    .requiredOption('--video <id>', 'the 11-character YouTube video id')
    .option('--format <csv|json>', 'output format', 'csv')
    .action(async (o: { video: string; format: string }) => {
      process.stdout.write(await exportVideoText(loadConfig(), o));
    });
  cmd
    .command('size')
    .description('bytes the vault holds')
    .action(async () => {
      const vault = createVault(loadConfig(), createLogger({ level: 'silent' }));
      print({ provider: vault.describe(), bytes: await vault.sizeBytes() });
    });
  return cmd;
}
