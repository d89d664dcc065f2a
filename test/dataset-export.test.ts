import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportDatasetFile } from '../app/cli/commands/vault.ts';
import { enqueue } from '../queues/index.ts';
import { DAY_MS, HOUR_MS } from '../src/clock.ts';
import { addToSearchQueue } from '../src/dao/search-queue.ts';
import { stagedSearchPages } from '../src/dao/search-ranks.ts';
import { COUNTING_NOTES } from '../src/dataset/notes.ts';
import { ValidationError } from '../src/errors/index.ts';
import { openParquet, readLocalFile } from '../src/vault/parquet.ts';
import { METRICS_TABLE } from '../src/vault/schema.ts';
import { bigIntToVideoId } from '../src/video-id.ts';
import { dispatchHunter } from '../workers/hunter-dispatch.ts';
import { dispatchTracker } from '../workers/tracker-dispatch.ts';
import { drain, failedJobs } from './helpers/queues.ts';
import { startTestSystem, type TestSystem } from './helpers/system.ts';

/**
 * A simulated run (search, two days of tracking, a title change and hidden likes), flushed to the vault,
 * then exported: the Kaggle CSV and Parquet and the tidy Parquet load in DuckDB with the expected
 * columns and types and as many rows as the vault has snapshots in the range; ranks/ and lifecycle/ are
 * there; files of another schema version are still read.
 */
const START = Date.UTC(2026, 10, 25, 12);
let s: TestSystem;
let out: string;
let duck: Awaited<ReturnType<DuckDBInstance['connect']>>;
const q = (sql: string, params: unknown[] = []) => s.db.pool.query(sql, params);
const duckRows = async (sql: string) =>
  (await duck.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
const glob = (dataset: string) => join(s.vaultDir, dataset, '*', '*.parquet');
let retitled = '';
let hidden = '';

async function trackHours(hours: number) {
  for (let h = 0; h < hours; h++) {
    s.clock.advance(HOUR_MS);
    await dispatchTracker(s.ctx.deps);
    await drain(s.ctx.queues, ['tracker']);
  }
}

beforeAll(async () => {
  s = await startTestSystem({
    start: START,
    env: {
      HUNTER_MAX_PAGES: '2',
      SNOWBALL_PER_PARENT: '0',
      VAULT_FLUSH_INTERVAL_S: '100000000',
      // One dispatch per simulated hour: a part-filled job is then not held back for a later one.
      TRACKER_DISPATCH_EVERY_S: '3600',
    },
    simulator: { world: { videosPerDay: 1500, historyDays: 20, deletedFraction: 0, privateFraction: 0 } },
  });
  out = await mkdtemp(join(tmpdir(), 'pleiades-export-'));
  duck = await (await DuckDBInstance.create(':memory:')).connect();
  const words = s.ctx.simulator!.world.popularWords(2);
  await addToSearchQueue(
    s.db.pool,
    words.map((query) => ({ query, origin: 'seed' as const, priority: 10 })),
    new Date(START),
  );
  for (let i = 0; i < 2; i++) {
    await dispatchHunter(s.ctx.deps);
    await drain(s.ctx.queues, ['hunter']);
  }
  const ids = (await q('SELECT id FROM videos ORDER BY published_at DESC LIMIT 2')).rows.map((r) =>
    bigIntToVideoId(r.id),
  );
  [retitled, hidden] = ids as [string, string];
  // The vault will hold this title (the hot row's); YouTube shows another: a title change.
  await q(`UPDATE videos SET title = 'As first published' WHERE id = $1`, [
    (await q('SELECT id FROM videos ORDER BY published_at DESC LIMIT 1')).rows[0].id,
  ]);
  await trackHours(18); // until 06:00 UTC the next day, past a UTC midnight: titles are read
  s.ctx.simulator!.setVideoState(hidden, 'likesHidden');
  await trackHours(24);
  await enqueue(s.ctx.queues, 'painter', { limit: 10_000 });
  await drain(s.ctx.queues, ['painter']);
  await enqueue(s.ctx.queues, 'vault-flush', { force: true });
  await drain(s.ctx.queues, ['vault-flush']);
  expect(await failedJobs(s.ctx.queues, ['hunter', 'tracker', 'painter', 'vault-flush'])).toEqual([]);
}, 90_000);
afterAll(async () => {
  await s?.close();
  if (out) await rm(out, { recursive: true, force: true });
});

describe('the vault after a simulated run', () => {
  it('has search ranks: each page in YouTube order, with its query and time', async () => {
    expect(await stagedSearchPages(s.db.pool)).toEqual([]); // all flushed
    const pages = await duckRows(
      `SELECT query, page, count(*)::INT AS n, min(position)::INT AS first, max(position)::INT AS last,
              min(rank)::INT AS lo, max(rank)::INT AS hi, count(DISTINCT run_at)::INT AS runs
       FROM read_parquet('${glob('ranks')}', hive_partitioning = true) GROUP BY ALL ORDER BY query, page`,
    );
    expect(pages.length).toBe(4); // 2 queries × 2 pages
    for (const p of pages) {
      expect(p.runs).toBe(1);
      expect(p.first).toBe(1);
      expect(p.last).toBe(p.n);
      expect(p.lo).toBe((p.page as number) * 50 + 1);
    }
    const [{ n }] = (await duckRows(
      `SELECT count(*)::INT AS n FROM read_parquet('${glob('ranks')}') r
       JOIN read_parquet('${glob('videos')}') v USING (video_id)`,
    )) as [{ n: number }];
    expect(n).toBeGreaterThan(100); // ranked results are the videos the Hunter ingested
  });

  it('has the lifecycle events: the title change and the hidden likes, once each', async () => {
    const rows = await duckRows(
      `SELECT video_id, event, seen_at::VARCHAR AS seen_at, initial, detail
       FROM read_parquet('${glob('lifecycle')}', hive_partitioning = true)
       WHERE NOT initial ORDER BY seen_at`,
    );
    expect(rows.map((r) => [r.video_id, r.event])).toEqual([
      [retitled, 'title_changed'],
      [hidden, 'likes_hidden'],
    ]);
    expect(rows[0]!.seen_at).toBe('2026-11-26 00:00:00');
    expect(rows[1]!.seen_at).toBe('2026-11-26 07:00:00');
  });
});

describe('pleiades vault export', () => {
  const day1 = '2026-11-25';
  const day2 = '2026-11-26';
  const snapshotsIn = async (from: string, to: string) =>
    Number(
      (
        (await duckRows(
          `SELECT count(*)::INT AS n FROM read_parquet('${glob('metrics')}', hive_partitioning = true)
           WHERE dt BETWEEN '${from}' AND '${to}'`,
        )) as [{ n: number }]
      )[0].n,
    );
  const KAGGLE_TYPES = {
    video_id: 'VARCHAR',
    trending_date: 'DATE',
    title: 'VARCHAR',
    channel_title: 'VARCHAR',
    category_id: 'INTEGER',
    publish_time: 'TIMESTAMP',
    tags: 'VARCHAR',
    views: 'BIGINT',
    likes: 'BIGINT',
    dislikes: 'BIGINT',
    comment_count: 'BIGINT',
    thumbnail_link: 'VARCHAR',
    comments_disabled: 'BOOLEAN',
    ratings_disabled: 'BOOLEAN',
    video_error_or_removed: 'BOOLEAN',
    description: 'VARCHAR',
    channel_id: 'VARCHAR',
    region: 'VARCHAR',
    snapshot_time: 'TIMESTAMP',
  };
  const describeTypes = async (from: string) =>
    Object.fromEntries(
      (await duckRows(`DESCRIBE SELECT * FROM ${from}`)).map((r) => [r.column_name, r.column_type]),
    );

  it('--format kaggle --file-type parquet: the Kaggle columns, typed, a row per snapshot of the range', async () => {
    const path = join(out, 'kaggle.parquet');
    const r = await exportDatasetFile(
      s.config,
      { format: 'kaggle', fileType: 'parquet', from: day2, to: day2, out: path },
      { progress: false },
    );
    expect(r).toMatchObject({
      rows: await snapshotsIn(day2, day2),
      schema: 'kaggle/1',
      sources: ['metrics/1'],
    });
    expect(r.rows).toBeGreaterThan(1000);
    expect(await describeTypes(`read_parquet('${path}')`)).toEqual(KAGGLE_TYPES);
    const [{ n }] = (await duckRows(`SELECT count(*)::INT AS n FROM read_parquet('${path}')`)) as [
      { n: number },
    ];
    expect(n).toBe(r.rows);
    const kv = await duckRows(
      `SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata('${path}')`,
    );
    expect(kv.find((x) => x.k === 'pleiades.schema')?.v).toBe('kaggle/1');
    // The title change was seen at the first poll of this day: every snapshot has the new title.
    const [{ titles }] = (await duckRows(
      `SELECT list_distinct(list(title)) AS titles FROM read_parquet('${path}') WHERE video_id = '${retitled}'`,
    )) as [{ titles: string[] }];
    expect(titles).toEqual([expect.not.stringMatching(/As first/)]);
    const likes = await duckRows(
      `SELECT ratings_disabled, count(*)::INT AS n, count(likes)::INT AS with_likes FROM read_parquet('${path}')
       WHERE video_id = '${hidden}' GROUP BY ALL ORDER BY ratings_disabled`,
    );
    expect(likes).toEqual([
      { ratings_disabled: false, n: 7, with_likes: 7 }, // 00:00…06:00
      { ratings_disabled: true, n: 17, with_likes: 0 }, // 07:00…23:00
    ]);
    const sample = (
      await duckRows(`SELECT * FROM read_parquet('${path}') WHERE tags IS NOT NULL LIMIT 1`)
    )[0]!;
    expect(sample.tags).toMatch(/^"[^"]+"(\|"[^"]+")*$/);
    expect(sample.thumbnail_link).toBe(`https://i.ytimg.com/vi/${sample.video_id}/default.jpg`);
    expect(sample.dislikes).toBeNull();
  });

  it('--format kaggle: a CSV that DuckDB reads with the same columns and rows, and a sidecar of metadata', async () => {
    const path = join(out, 'kaggle.csv');
    const r = await exportDatasetFile(s.config, { format: 'kaggle', from: day1, to: day2, out: path });
    expect(r.rows).toBe(await snapshotsIn(day1, day2));
    const types = await describeTypes(`read_csv('${path}')`);
    expect(Object.keys(types)).toEqual(Object.keys(KAGGLE_TYPES));
    expect(types).toMatchObject({
      trending_date: 'DATE',
      views: 'BIGINT',
      comments_disabled: 'BOOLEAN',
      ratings_disabled: 'BOOLEAN',
      video_id: 'VARCHAR',
    });
    const [{ n }] = (await duckRows(`SELECT count(*)::INT AS n FROM read_csv('${path}')`)) as [{ n: number }];
    expect(n).toBe(r.rows);
    const meta = JSON.parse(readFileSync(`${path}.meta.json`, 'utf8'));
    expect(meta).toMatchObject({ schema: 'kaggle/1', rows: r.rows, range: `${day1}..${day2}` });
    expect(meta.columns.map((c: { name: string }) => c.name)).toEqual(Object.keys(KAGGLE_TYPES));
  });

  it('--format parquet: one tidy file of every snapshot with its metadata and the notes in force', async () => {
    const path = join(out, 'tidy.parquet');
    const r = await exportDatasetFile(s.config, { format: 'parquet', out: path });
    const [{ n }] = (await duckRows(
      `SELECT count(*)::INT AS n FROM read_parquet('${glob('metrics')}', hive_partitioning = true)`,
    )) as [{ n: number }];
    expect(r.rows).toBe(n);
    const types = await describeTypes(`read_parquet('${path}')`);
    expect(types).toMatchObject({
      taken_at: 'TIMESTAMP',
      due_at: 'TIMESTAMP',
      tags: 'VARCHAR[]',
      tier: 'VARCHAR',
    });
    const kv = Object.fromEntries(
      (await duckRows(`SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata('${path}')`)).map(
        (x) => [x.k, x.v],
      ),
    );
    expect(kv['pleiades.schema']).toBe('tidy/1');
    expect(JSON.parse(kv['pleiades.notes'] as string)).toEqual(COUNTING_NOTES);
  });

  it('reads metrics files of any schema version: columns are only ever added', async () => {
    // A file from a later version, with a column this one does not know.
    const later = {
      ...METRICS_TABLE,
      version: 2,
      columns: [...METRICS_TABLE.columns, { name: 'extra', type: 'int32' as const, nullable: true }],
    };
    const path = join(s.vaultDir, 'metrics', `dt=${day2}`, 'part-9000000000000000-9000000000000000.parquet');
    const w = await openParquet(path, later, { codec: 'GZIP' });
    await w.append({
      video_id: retitled,
      taken_at: START + 2 * DAY_MS,
      due_at: START + 2 * DAY_MS,
      views: 7n,
      likes: null,
      comments: null,
      tier: 'DAILY',
      extra: 1,
    });
    await w.close();
    expect((await readLocalFile(path)).length).toBeGreaterThan(0);
    const r = await exportDatasetFile(s.config, {
      format: 'kaggle',
      from: day2,
      to: day2,
      out: join(out, 'mixed.csv'),
    });
    expect(r.sources).toEqual(['metrics/1', 'metrics/2']);
    expect(r.rows).toBe(await snapshotsIn(day2, day2));
    // …and the per-video export of the first version reads it too.
    const history = await s.ctx.deps.vault.exportVideo(retitled);
    expect(history.at(-1)).toMatchObject({ views: 7n, tier: 'DAILY' });
  });

  it('refuses a backwards range and a file type for the tidy format', async () => {
    await expect(exportDatasetFile(s.config, { format: 'kaggle', from: day2, to: day1 })).rejects.toThrow(
      ValidationError,
    );
    await expect(exportDatasetFile(s.config, { format: 'parquet', fileType: 'csv' })).rejects.toThrow(
      ValidationError,
    );
  });
});
