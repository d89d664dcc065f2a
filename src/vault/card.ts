import { createHash } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { COUNTING_NOTES } from '../dataset/notes.ts';
import { TABLES } from './compact.ts';
import { EVENT_LOGS } from './logs.ts';
import { PART_RE } from './parts.ts';
import type { VaultProvider } from './provider.ts';
import type { AnyTableSpec } from './schema.ts';

/**
 * The vault's dataset card: README.md at its root, regenerated after each flush and compaction that
 * changed files. Its YAML front matter is the Hugging Face dataset card's: `configs` has one config
 * per table whose `data_files` glob matches that table's Parquet files, so
 * `datasets.load_dataset(repo, "metrics")` and the Hub's viewer read the tables as they are
 * (https://huggingface.co/docs/hub/datasets-manual-configuration). The license is left for the owner.
 */

export const CARD_KEY = 'README.md';
export const CARD_TABLES: AnyTableSpec[] = TABLES;
/** The glob of a table's files (relative to the vault root), as `configs` and the docs give it. */
export const tableGlob = (table: string): string => `${table}/dt=*/*.parquet`;

export interface CardFacts {
  /** Files and rows per table present in the vault (rows: as flushed, from Postgres). */
  tables: {
    name: string;
    files: number;
    rows: number | null;
    firstDay: string | null;
    lastDay: string | null;
  }[];
  generatedAt: number;
}

const TABLE_ABOUT: Record<string, string> = {
  metrics: 'one row per statistics snapshot (views, likes, comments) of a tracked video',
  videos: "each video's metadata (title, channel, tags, category, duration), as vaulted",
  ...Object.fromEntries(EVENT_LOGS.map((l) => [l.table.name, l.about])),
};

const PARQUET_TYPE: Record<string, string> = {
  string: 'string',
  int32: 'int32',
  int64: 'int64',
  timestamp_ms: 'timestamp[ms, UTC]',
  string_list: 'list<string>',
  bool: 'bool',
  date: 'date32',
};

/** Files and day ranges per table, from the provider's listing. */
export async function cardFacts(
  provider: VaultProvider,
  rows: Record<string, number>,
  now: number,
): Promise<CardFacts> {
  const tables: CardFacts['tables'] = [];
  for (const t of CARD_TABLES) {
    const files = (await provider.list(`${t.name}/`)).filter((o) =>
      PART_RE.test(o.key.slice(o.key.lastIndexOf('/') + 1)),
    );
    const days = files
      .map((o) => /\/dt=(\d{4}-\d{2}-\d{2})\//.exec(o.key)?.[1])
      .filter((d): d is string => d !== undefined)
      .sort();
    tables.push({
      name: t.name,
      files: files.length,
      rows: rows[t.name] ?? null,
      firstDay: days[0] ?? null,
      lastDay: days.at(-1) ?? null,
    });
  }
  return { tables, generatedAt: now };
}

// JSON strings are YAML scalars: no quoting rule to get wrong.
const q = (s: string): string => JSON.stringify(s);

export function renderCard(facts: CardFacts): string {
  const present = facts.tables.filter((t) => t.files > 0);
  const yaml = [
    '---',
    '# license: set the license you publish this dataset under (e.g. cc-by-4.0)',
    'pretty_name: Pleiades YouTube video statistics',
    'language:',
    '- en',
    'tags:',
    '- youtube',
    '- time-series',
    '- social-media',
    'size_categories:',
    `- ${sizeCategory(present.find((t) => t.name === 'metrics')?.rows ?? 0)}`,
    'configs:',
    ...present.flatMap((t, i) => [
      `- config_name: ${t.name}`,
      ...(i === 0 ? ['  default: true'] : []),
      '  data_files:',
      '  - split: train',
      `    path: ${q(tableGlob(t.name))}`,
    ]),
    '---',
  ];
  const body = [
    '',
    '# Pleiades: YouTube video statistics over time',
    '',
    'Snapshots of the public statistics of YouTube videos, taken on a schedule from their discovery on',
    "(hourly while young or growing fast, then daily, then weekly), with each video's metadata, the polls",
    'that were not taken on time and why, lifecycle events and search ranks. Written by',
    '[Pleiades](https://github.com/) and regenerated with every flush of its vault.',
    '',
    `Generated ${new Date(facts.generatedAt).toISOString()}.`,
    '',
    '## Tables',
    '',
    '| table | what | files | rows | days (UTC) |',
    '| ----- | ---- | ----: | ---: | ---------- |',
    ...facts.tables.map(
      (t) =>
        `| \`${t.name}\` | ${TABLE_ABOUT[t.name] ?? ''} | ${t.files} | ${t.rows ?? '–'} | ${
          t.firstDay ? `${t.firstDay} … ${t.lastDay}` : '–'
        } |`,
    ),
    '',
    "Files are Hive-partitioned by the UTC day of the row's time (`dt=YYYY-MM-DD`); every file records",
    'its table and schema version in the Parquet key-value metadata `pleiades.schema`.',
    '',
    '## Schema',
    '',
    ...CARD_TABLES.flatMap((t) => [
      `### \`${t.name}\` (schema \`${t.name}/${t.version}\`)`,
      '',
      '| column | type | nullable |',
      '| ------ | ---- | -------- |',
      ...t.columns.map(
        (c) => `| \`${c.name}\` | ${PARQUET_TYPE[c.type] ?? c.type} | ${c.nullable ? 'yes' : 'no'} |`,
      ),
      '',
    ]),
    '## Loading',
    '',
    '```python',
    'from datasets import load_dataset',
    'metrics = load_dataset("OWNER/NAME", "metrics", split="train")',
    '```',
    '',
    '```sql',
    `SELECT * FROM read_parquet('hf://datasets/OWNER/NAME/${tableGlob('metrics')}', hive_partitioning = true);`,
    '```',
    '',
    '## View-counting notes',
    '',
    "Dated changes in how YouTube counts: a trend break at one of these dates is YouTube's, not the video's.",
    '',
    '| date | subject | note |',
    '| ---- | ------- | ---- |',
    ...COUNTING_NOTES.map(
      (n) => `| ${n.date} | ${n.subject} | ${n.note.replaceAll('|', '\\|')} ([source](${n.source})) |`,
    ),
    '',
    '## How to cite',
    '',
    'Cite the dataset by its repository and the snapshot (commit or date) you used, e.g.:',
    '',
    '```bibtex',
    '@misc{pleiades_youtube_statistics,',
    '  title  = {Pleiades: YouTube video statistics over time},',
    '  note   = {Dataset generated by Pleiades; snapshot of ' +
      new Date(facts.generatedAt).toISOString().slice(0, 10) +
      '},',
    '  howpublished = {\\url{https://huggingface.co/datasets/OWNER/NAME}},',
    '}',
    '```',
    '',
  ];
  return [...yaml, ...body].join('\n');
}

function sizeCategory(n: number): string {
  const steps: [number, string][] = [
    [1e3, 'n<1K'],
    [1e4, '1K<n<10K'],
    [1e5, '10K<n<100K'],
    [1e6, '100K<n<1M'],
    [1e7, '1M<n<10M'],
    [1e8, '10M<n<100M'],
    [1e9, '100M<n<1B'],
  ];
  for (const [limit, label] of steps) if (n < limit) return label;
  return 'n>1T';
}

/** What was last published per provider description: an unchanged card is not committed again. */
const published = new Map<string, string>();

/**
 * Writes README.md to the vault root when its content changed (the generated-at line aside, so that a
 * flush that only added rows to known totals still updates the counts, but an idle one commits nothing).
 */
export async function publishCard(provider: VaultProvider, facts: CardFacts): Promise<boolean> {
  const text = renderCard(facts);
  const digest = createHash('sha256')
    .update(text.replace(/^Generated .*$/m, '').replace(/snapshot of \d{4}-\d{2}-\d{2}/, ''))
    .digest('hex');
  const where = provider.describe();
  if (published.get(where) === digest) return false;
  await mkdir(provider.workDir, { recursive: true });
  const path = join(provider.workDir, `README.${process.pid}.${Date.now()}.md.tmp`);
  await writeFile(path, text);
  try {
    await provider.commit({ adds: [{ key: CARD_KEY, path }], deletes: [], message: 'vault: dataset card' });
  } finally {
    await rm(path, { force: true });
  }
  published.set(where, digest);
  return true;
}
