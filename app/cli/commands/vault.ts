import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import { Command } from 'commander';
import { z } from 'zod';
import { systemClock } from '../../../src/clock.ts';
import { type Config, loadConfig } from '../../../src/config/index.ts';
import { recordedFlushRanges } from '../../../src/dao/vault-flushes.ts';
import { type ExportResult, exportDataset } from '../../../src/dataset/export.ts';
import { COUNTING_NOTES } from '../../../src/dataset/notes.ts';
import { createPool } from '../../../src/db/pool.ts';
import { NotFoundError, ValidationError } from '../../../src/errors/index.ts';
import { createLogger } from '../../../src/log.ts';
import { createVault, historyToCsv, historyToJson } from '../../../src/vault/index.ts';
import { verifyVault } from '../../../src/vault/verify.ts';
import { VIDEO_ID_RE } from '../../../src/video-id.ts';
import { answer, humanBytes } from '../output.ts';

const exportArgs = z.object({
  video: z.string().regex(VIDEO_ID_RE, { message: 'expected an 11-character YouTube video id' }),
  format: z.enum(['csv', 'json'], { message: 'expected csv or json' }),
});
const calendarDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'expected a date as YYYY-MM-DD' })
  .refine(
    (d) => {
      const t = Date.parse(`${d}T00:00:00Z`);
      return !Number.isNaN(t) && new Date(t).toISOString().startsWith(d);
    },
    { message: 'not a calendar date' },
  );
const compactArgs = z.object({ date: calendarDate.optional() });
const datasetArgs = z
  .object({
    format: z.enum(['kaggle', 'parquet']),
    fileType: z.enum(['csv', 'parquet'], { message: 'expected csv or parquet' }).optional(),
    from: calendarDate.optional(),
    to: calendarDate.optional(),
    out: z.string().min(1).optional(),
    videos: z.string().min(1, { message: 'expected a file of video ids' }).optional(),
    channel: z
      .string()
      .regex(/^UC[A-Za-z0-9_-]{22}$/, { message: 'expected a YouTube channel id (UC and 22 characters)' })
      .optional(),
    resample: z.enum(['1h', '1d'], { message: 'expected 1h or 1d' }).optional(),
  })
  .refine((a) => !a.from || !a.to || a.from <= a.to, { message: '--from is after --to', path: ['from'] })
  .refine((a) => a.format === 'kaggle' || a.fileType === undefined, {
    message: 'only --format kaggle has a file type',
    path: ['file-type'],
  });

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const r = schema.safeParse(input);
  if (!r.success)
    throw new ValidationError(
      r.error.issues.map((i) => ({ field: `--${String(i.path[0] ?? '?')}`, message: i.message })),
    );
  return r.data;
}

/** Where exports go by default: `exports/` beside VAULT_DIR (`./data/exports` by default). */
export const exportDir = (config: Config): string => join(dirname(resolve(config.VAULT_DIR)), 'exports');

/** The ids of a `--videos` file: one per line; blank lines and `#` comments are skipped. */
export async function readVideoIds(path: string): Promise<Set<string>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ValidationError([
      { field: '--videos', message: `cannot read ${path}: ${(err as Error).message}` },
    ]);
  }
  const ids = new Set<string>();
  const bad: { field: string; message: string }[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    if (VIDEO_ID_RE.test(line)) ids.add(line);
    else
      bad.push({
        field: `--videos:${i + 1}`,
        message: `"${line.slice(0, 40)}" is not an 11-character video id`,
      });
  });
  if (bad.length) throw new ValidationError(bad.slice(0, 20));
  if (ids.size === 0)
    throw new ValidationError([{ field: '--videos', message: `${path} lists no video id` }]);
  return ids;
}

/**
 * `pleiades vault export --format kaggle|parquet`: a research export of a date range into one file, with
 * a progress bar on stderr when `progress` (src/dataset/export.ts).
 */
/** The options of a research export, as the command line gives them (validated by `datasetArgs`). */
export interface DatasetFileArgs {
  format: string;
  fileType?: string;
  from?: string;
  to?: string;
  out?: string;
  videos?: string;
  channel?: string;
  resample?: string;
}

export async function exportDatasetFile(
  config: Config,
  args: DatasetFileArgs,
  opts: { progress?: boolean } = {},
): Promise<ExportResult> {
  const a = parse(datasetArgs, args);
  const videos = a.videos ? await readVideoIds(a.videos) : undefined;
  const ext = a.format === 'parquet' || a.fileType === 'parquet' ? 'parquet' : 'csv';
  // By default under the data folder (next to a local vault, ignored by git), not the current
  // directory: an export in a checkout's root would be an untracked file the linter then reads.
  const out =
    a.out ??
    join(
      exportDir(config),
      `pleiades-${a.format === 'kaggle' ? 'kaggle' : 'tidy'}-${a.from ?? 'start'}-${a.to ?? 'end'}.${ext}`,
    );
  await mkdir(dirname(resolve(out)), { recursive: true });
  const vault = createVault(config, createLogger({ level: 'silent' }));
  const bar = opts.progress
    ? new SingleBar(
        {
          format: 'export [{bar}] {percentage}% | {value}/{total} snapshots | {eta_formatted} left',
          hideCursor: true,
        },
        Presets.shades_classic,
      )
    : null;
  let started = false;
  try {
    return await exportDataset({
      provider: vault.provider,
      format: a.format,
      ...(a.fileType ? { fileType: a.fileType } : {}),
      ...(a.from ? { from: a.from } : {}),
      ...(a.to ? { to: a.to } : {}),
      ...(videos ? { videos } : {}),
      ...(a.channel ? { channel: a.channel } : {}),
      ...(a.resample ? { resample: a.resample } : {}),
      out,
      onProgress: (done, total) => {
        if (!bar) return;
        if (!started) bar.start(total, 0);
        started = true;
        bar.update(done);
      },
    });
  } finally {
    if (started) bar?.stop();
  }
}

/** The text `pleiades vault export` prints: one video's history from the vault files. */
export async function exportVideoText(
  config: Config,
  args: { video: string; format: string },
): Promise<string> {
  const a = parse(exportArgs, args);
  const vault = createVault(config, createLogger({ level: 'silent' }));
  const rows = await vault.exportVideo(a.video);
  // Nothing to print is an answer too: "not found", exit code 1 (a bare CSV header would look like success).
  if (rows.length === 0)
    throw new NotFoundError([{ field: '--video', message: `the vault holds no snapshot of ${a.video}` }]);
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
    .option('--json', 'print JSON')
    .action((o: { ifDue?: boolean; json?: boolean }) =>
      withVault(async ({ vault, pool }) => {
        answer(o, await vault.flush(pool, { clock: systemClock, force: !o.ifDue }), (r) =>
          r.skipped === 'busy'
            ? 'another flush or compaction is running; nothing written'
            : r.files === 0 && !r.eventFiles
              ? 'nothing to flush'
              : `wrote ${r.files} files: ${r.rows.toLocaleString('en')} snapshots, ${r.videos.toLocaleString('en')} videos, ${(r.events ?? 0).toLocaleString('en')} events`,
        );
      }),
    );
  cmd
    .command('compact')
    .description("merge each finished day's files into one (or only --date's)")
    .option('--date <YYYY-MM-DD>', 'the day partition to compact (UTC)')
    .option('--json', 'print JSON')
    .action((o: { date?: string; json?: boolean }) =>
      withVault(async ({ vault, pool }) => {
        const a = parse(compactArgs, { date: o.date });
        const parts = await vault.compact(pool, { clock: systemClock, ...(a.date ? { date: a.date } : {}) });
        answer(o, { compacted: parts }, (r) =>
          r.compacted.length === 0
            ? 'nothing to compact: every finished day is one file already'
            : r.compacted
                .map(
                  (p) => `${p.dataset} ${p.day}: ${p.inputs} files → 1 (${p.rows.toLocaleString('en')} rows)`,
                )
                .join('\n'),
        );
      }),
    );
  cmd
    .command('export')
    .description(
      "print one video's snapshot history (--video), or write a research export of a date range " +
        '(--format kaggle: the Kaggle "Trending YouTube Video Statistics" columns; --format parquet: one tidy file)',
    )
    .option('--video <id>', 'the 11-character YouTube video id')
    .option('--format <csv|json|kaggle|parquet>', 'output format', 'csv')
    .option('--file-type <csv|parquet>', 'with --format kaggle: write CSV (default) or Parquet')
    .option('--from <YYYY-MM-DD>', 'first UTC day of snapshots to export')
    .option('--to <YYYY-MM-DD>', 'last UTC day of snapshots to export')
    .option(
      '--out <path>',
      'the file to write (default: data/exports/pleiades-<format>-<from>-<to>.<ext>, beside VAULT_DIR)',
    )
    .option(
      '--videos <file>',
      'with --format kaggle|parquet: only the video ids listed in this file, one per line',
    )
    .option('--channel <id>', "with --format kaggle|parquet: only this channel's videos")
    .option(
      '--resample <1h|1d>',
      'with --format kaggle|parquet: a regular grid per video, last value carried, with an observed flag',
    )
    .action(async (o: DatasetFileArgs & { video?: string }) => {
      if (o.format === 'kaggle' || o.format === 'parquet') {
        const { video: _video, ...args } = o;
        print(await exportDatasetFile(loadConfig(), args, { progress: process.stderr.isTTY === true }));
        return;
      }
      process.stdout.write(await exportVideoText(loadConfig(), { video: o.video ?? '', format: o.format }));
    });
  cmd
    .command('verify')
    .description(
      'read the whole vault: per table and day rows, duplicate keys across files, schema versions, ' +
        'files no flush recorded, late or missed polls without a gaps/ reason; exits 1 on any duplicate',
    )
    .action(() =>
      withVault(async ({ vault, pool }) => {
        const report = await verifyVault(vault.provider, await recordedFlushRanges(pool));
        for (const d of report.days) print(d);
        for (const m of report.missingDays) print({ ...m, missing: true });
        for (const g of report.unexplainedGaps) print({ table: 'metrics', unexplainedGap: g });
        print({ totals: report.totals });
        if (report.totals.duplicates > 0) process.exitCode = 1;
      }),
    );
  cmd
    .command('notes')
    .description('dated changes in how YouTube counts views, likes and subscribers (docs/dataset.md)')
    .action(() => {
      for (const n of COUNTING_NOTES) print(n);
    });
  cmd
    .command('size')
    .description('bytes the vault holds')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const vault = createVault(loadConfig(), createLogger({ level: 'silent' }));
      answer(
        o,
        { provider: vault.describe(), bytes: await vault.sizeBytes() },
        (r) => `${humanBytes(r.bytes)} in ${r.provider}`,
      );
    });
  return cmd;
}
