import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { exportDatasetFile, readVideoIds } from '../app/cli/commands/vault.ts';
import { HOUR_MS, MINUTE_MS } from '../src/clock.ts';
import { loadConfig } from '../src/config/index.ts';
import { insertSnapshots, type SnapshotRow } from '../src/dao/staging.ts';
import { ingestVideoMetadata } from '../src/dao/videos.ts';
import { silentLogger } from '../src/log.ts';
import { CARD_KEY, CARD_TABLES } from '../src/vault/card.ts';
import { createVault } from '../src/vault/index.ts';
import { videoIdFromBits } from '../src/video-id.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { type FakeHf, startFakeHf } from './helpers/fake-hf.ts';

/**
 * The vault's dataset card (README.md at its root) on local disk and on the (fake) Hugging Face Hub:
 * its YAML front matter parses, and every `configs` glob matches files that exist. DuckDB runs the
 * recipes of docs/dataset.md against the vault. And the export filters and resampling.
 */
const DATASET = 'research/pleiades-card';
const HF_TOKEN = 'hf_test_card_token_000000000000';
const START = Date.UTC(2026, 10, 20, 10);
const ids = [1n, 2n, 3n].map((k) => videoIdFromBits(k * 0x9e3779b97f4a7c15n));
const CHANNEL_A = 'UCaaaaaaaaaaaaaaaaaaaaaa';
const CHANNEL_B = 'UCbbbbbbbbbbbbbbbbbbbbbb';

let db: TestDatabase;
let hf: FakeHf;
let dir: string;
let duck: Awaited<ReturnType<DuckDBInstance['connect']>>;
const rows = async (sql: string) =>
  (await duck.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];

// Irregular snapshots over two days: video 0 hourly for 5 hours, then one more a day later.
const snapshots: SnapshotRow[] = [
  ...[0, 1, 2, 3, 4, 29].map((h) => ({
    videoId: ids[0]!,
    dueAt: START + h * HOUR_MS,
    takenAt: START + h * HOUR_MS + 2 * MINUTE_MS,
    views: BigInt(100 + h * 10),
    likes: BigInt(h),
    comments: 1n,
    tier: 0,
  })),
  ...[0, 3].map((h) => ({
    videoId: ids[1]!,
    dueAt: START + h * HOUR_MS,
    takenAt: START + h * HOUR_MS + MINUTE_MS,
    views: BigInt(7 + h),
    likes: null,
    comments: null,
    tier: 0,
  })),
  { videoId: ids[2]!, dueAt: START, takenAt: START + MINUTE_MS, views: 5n, likes: 1n, comments: 0n, tier: 1 },
];

async function seed(config: ReturnType<typeof loadConfig>): Promise<void> {
  await db.pool.query('TRUNCATE staging, vault_flushes, videos RESTART IDENTITY CASCADE');
  // Each vault of this file starts empty: its card counts its own rows.
  await db.pool.query(
    'UPDATE vault_totals SET flushes = 0, files = 0, rows = 0, bytes = 0, last_flush_at = NULL',
  );
  await ingestVideoMetadata(
    db.pool,
    ids.map((id, i) => ({
      id,
      channelId: i === 2 ? CHANNEL_B : CHANNEL_A,
      channelTitle: i === 2 ? 'B' : 'A',
      title: `Video ${i}`,
      description: '',
      tags: ['x'],
      categoryId: 10,
      durationS: 60,
      publishedAt: new Date(START - HOUR_MS),
      sourceQueryId: null,
    })),
    new Date(START),
  );
  await insertSnapshots(db.pool, snapshots);
  const vault = createVault(config, silentLogger);
  await vault.flush(db.pool, { clock: { now: () => START + 3 * 24 * HOUR_MS }, force: true });
}

/** The front matter of a card, parsed. */
function frontMatter(text: string): {
  configs: { config_name: string; data_files: { split: string; path: string }[] }[];
} {
  const m = /^---\n([\s\S]*?)\n---\n/.exec(text);
  expect(m, 'front matter').not.toBeNull();
  return parseYaml(m![1]!);
}

/** A glob like `metrics/dt=*\/*.parquet` as a RegExp over keys. */
const globRe = (glob: string) =>
  new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);

beforeAll(async () => {
  db = await createTestDatabase();
  hf = await startFakeHf({ repo: DATASET, token: HF_TOKEN });
  dir = await mkdtemp(join(tmpdir(), 'pleiades-card-'));
  duck = await (await DuckDBInstance.create(':memory:')).connect();
});
afterAll(async () => {
  duck?.closeSync();
  await hf?.close();
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

describe('the dataset card', () => {
  it('on local disk: YAML front matter whose configs globs each match files; schema and counts in the body', async () => {
    const config = loadConfig(
      { DATABASE_URL: db.url, VAULT_DIR: join(dir, 'vault'), LOG_LEVEL: 'silent' },
      { dotenvPath: false },
    );
    await seed(config);
    const text = await readFile(join(dir, 'vault', CARD_KEY), 'utf8');
    const meta = frontMatter(text);
    expect(meta.configs.map((c) => c.config_name).sort()).toEqual(['metrics', 'videos']);
    for (const c of meta.configs)
      for (const f of c.data_files) {
        expect(f.split).toBe('train');
        const [{ n }] = (await rows(
          `SELECT count(*)::INT AS n FROM glob('${join(dir, 'vault', f.path)}')`,
        )) as [{ n: number }];
        expect(n, f.path).toBeGreaterThan(0);
      }
    expect(text).not.toMatch(/^license:/m); // left for the owner to set
    for (const t of CARD_TABLES) for (const col of t.columns) expect(text).toContain(`| \`${col.name}\``);
    expect(text).toMatch(/\| `metrics` \| [^|]+ \| \d+ \| 9 \| 2026-11-20 … 2026-11-21 \|/);
    expect(text).toContain('## How to cite');
    expect(text).toContain('2025-03-31'); // the view-counting notes
  });

  it('on the Hugging Face Hub: README.md in the repository, globs matching its files', async () => {
    const config = loadConfig(
      {
        DATABASE_URL: db.url,
        LOG_LEVEL: 'silent',
        VAULT_PROVIDER: 'huggingface',
        HF_DATASET_ID: DATASET,
        HF_TOKEN,
        HF_ENDPOINT: hf.url,
      },
      { dotenvPath: false },
    );
    await seed(config);
    const card = hf.files.get(CARD_KEY);
    expect(card).toBeDefined();
    const meta = frontMatter(card!.toString('utf8'));
    const keys = [...hf.files.keys()];
    expect(meta.configs.length).toBeGreaterThanOrEqual(2);
    for (const c of meta.configs)
      for (const f of c.data_files)
        expect(keys.filter((k) => globRe(f.path).test(k)).length, f.path).toBeGreaterThan(0);
    expect(card!.toString('utf8')).toMatch(/\| `metrics` \| [^|]+ \| 2 \| 9 \| 2026-11-20 … 2026-11-21 \|/);

    // A later flush (one more file for the first day, one for a new day): the repository's card
    // follows with the new counts and days.
    const vault = createVault(config, silentLogger);
    const cardCommits = () => hf.commits.filter((c) => c.summary === 'vault: dataset card').length;
    const before = cardCommits();
    await insertSnapshots(
      db.pool,
      [5, 48, 49, 50].map((h) => ({
        videoId: ids[2]!,
        dueAt: START + h * HOUR_MS,
        takenAt: START + h * HOUR_MS + MINUTE_MS,
        views: BigInt(10 + h),
        likes: 1n,
        comments: 0n,
        tier: 1,
      })),
    );
    await vault.flush(db.pool, { clock: { now: () => START + 3 * 24 * HOUR_MS }, force: true });
    expect(cardCommits()).toBe(before + 1);
    const second = hf.files.get(CARD_KEY)!.toString('utf8');
    expect(second).toMatch(/\| `metrics` \| [^|]+ \| 4 \| 13 \| 2026-11-20 … 2026-11-22 \|/);

    // A compaction merges the first day's two files: the card counts files again, its globs still match.
    await vault.compact(db.pool, { clock: { now: () => START + 4 * 24 * HOUR_MS } });
    expect(cardCommits()).toBe(before + 2);
    const third = hf.files.get(CARD_KEY)!.toString('utf8');
    expect(third).toMatch(/\| `metrics` \| [^|]+ \| 3 \| 13 \| 2026-11-20 … 2026-11-22 \|/);
    const after = [...hf.files.keys()];
    for (const c of frontMatter(third).configs)
      for (const f of c.data_files)
        expect(after.filter((k) => globRe(f.path).test(k)).length, f.path).toBeGreaterThan(0);
  });
});

describe('docs/dataset.md recipes, run by DuckDB on the vault', () => {
  it('runs every statement of the "Tested recipes" block', async () => {
    const docs = await readFile(new URL('../docs/dataset.md', import.meta.url), 'utf8');
    const block = /<!-- tested-recipes -->\n```sql\n([\s\S]*?)```/.exec(docs);
    expect(block, 'the tested recipes block').not.toBeNull();
    const sql = block![1]!
      .replaceAll("'data/vault/", `'${join(dir, 'vault')}/`)
      .replaceAll('dQw4w9WgXcQ', ids[0]!);
    const statements = sql
      .split(/;\s*\n/)
      .map((s) => s.replace(/--.*$/gm, '').trim())
      .filter(Boolean);
    expect(statements.length).toBeGreaterThan(4);
    const results: Record<string, unknown>[][] = [];
    for (const st of statements) results.push(await rows(st));
    // "One video's history": six snapshots of video 0, in order.
    expect(
      results.some(
        (r) => r.length === 6 && r.every((x) => x.video_id === undefined || x.video_id === ids[0]),
      ),
    ).toBe(true);
  });
});

describe('pleiades vault export filters and resampling', () => {
  it('--videos, --channel and --resample 1h: a regular grid, last value carried, observed flags', async () => {
    const config = loadConfig(
      { DATABASE_URL: db.url, VAULT_DIR: join(dir, 'vault'), LOG_LEVEL: 'silent' },
      { dotenvPath: false },
    );
    const list = join(dir, 'ids.txt');
    await writeFile(list, `# two of them\n${ids[0]}\n\n${ids[2]}\n`);
    expect([...(await readVideoIds(list))]).toEqual([ids[0], ids[2]]);

    const byIds = join(dir, 'by-ids.parquet');
    const r1 = await exportDatasetFile(config, { format: 'parquet', videos: list, out: byIds });
    expect(r1).toMatchObject({ rows: 7, videos: 2 });
    const byChannel = join(dir, 'by-channel.parquet');
    const r2 = await exportDatasetFile(config, { format: 'parquet', channel: CHANNEL_A, out: byChannel });
    expect(r2).toMatchObject({ rows: 8, videos: 2 });
    expect(await rows(`SELECT DISTINCT channel_id FROM read_parquet('${byChannel}')`)).toEqual([
      { channel_id: CHANNEL_A },
    ]);

    const grid = join(dir, 'grid.parquet');
    await exportDatasetFile(config, {
      format: 'parquet',
      channel: CHANNEL_A,
      videos: list,
      resample: '1h',
      out: grid,
    });
    const g = await rows(
      `SELECT epoch_ms(taken_at)::DOUBLE AS t, views::INT AS views, observed FROM read_parquet('${grid}') ORDER BY t`,
    );
    // Video 0 only (channel A ∩ the list): from 11:00 (its first snapshot at 10:02) to 15:00 the day after.
    expect(g[0]).toEqual({ t: START + HOUR_MS, views: 100, observed: true });
    expect(g.length).toBe(29);
    expect(g.map((x) => x.t)).toEqual(Array.from({ length: 29 }, (_, k) => START + (k + 1) * HOUR_MS));
    // Observed where a snapshot was taken in the hour ending there: 11:00 … 15:00.
    expect(g.filter((x) => x.observed).map((x) => x.t)).toEqual(
      [1, 2, 3, 4, 5].map((h) => START + h * HOUR_MS),
    );
    // From 16:00 on, the 14:02 value is carried (the next day's 15:02 snapshot is after the grid's end).
    expect(g[5]).toEqual({ t: START + 6 * HOUR_MS, views: 140, observed: false });
    expect(g.at(-1)).toEqual({ t: START + 29 * HOUR_MS, views: 140, observed: false });

    await expect(
      exportDatasetFile(config, { format: 'parquet', resample: '2h', out: grid }),
    ).rejects.toMatchObject({
      details: [{ field: '--resample' }],
    });
    await writeFile(list, `${ids[0]}\nnot-an-id\n`);
    await expect(readVideoIds(list)).rejects.toMatchObject({ details: [{ field: '--videos:2' }] });
  });
});
