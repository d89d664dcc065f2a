import { execFileSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportVideoText } from '../app/cli/commands/vault.ts';
import { DAY_MS, HOUR_MS, ManualClock, MINUTE_MS } from '../src/clock.ts';
import { loadConfig } from '../src/config/index.ts';
import { countStaged, insertSnapshots, type SnapshotRow } from '../src/dao/staging.ts';
import { countFlushedRows, pendingFlushes } from '../src/dao/vault-flushes.ts';
import { countUnvaultedVideos } from '../src/dao/vault-videos.ts';
import { countVideos, deleteExpiredVideos, ingestVideoMetadata } from '../src/dao/videos.ts';
import { silentLogger } from '../src/log.ts';
import { createVault, historyToCsv, historyToJson, type Vault } from '../src/vault/index.ts';
import { localProvider } from '../src/vault/providers/local.ts';
import { createVaultReader } from '../src/vault/reader.ts';
import { videoIdFromBits, videoIdToBigInt } from '../src/video-id.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { openFilesUnder } from './helpers/open-files.ts';

let t: TestDatabase;
let dir: string;
let duck: Awaited<ReturnType<DuckDBInstance['connect']>>;

beforeAll(async () => {
  t = await createTestDatabase();
  duck = await (await DuckDBInstance.create(':memory:')).connect();
});
afterAll(async () => {
  await t.drop();
});

/** A fresh vault directory and an empty staging table for each scenario. */
async function freshVault(env: Record<string, string> = {}): Promise<{ vault: Vault; dir: string }> {
  dir = await mkdtemp(join(tmpdir(), 'pleiades-vault-test-'));
  await t.pool.query('TRUNCATE staging, vault_flushes RESTART IDENTITY');
  const config = loadConfig({ VAULT_DIR: dir, ...env }, { dotenvPath: false });
  return { vault: createVault(config, silentLogger), dir };
}

const ids = Array.from({ length: 40 }, (_, i) => videoIdFromBits(BigInt(i + 1) * 0x9e3779b97f4a7c15n));

/** `n` snapshots, minutes apart from `start`, over the videos above; every 7th hides its likes. */
function snapshots(n: number, start: number, offset = 0): SnapshotRow[] {
  return Array.from({ length: n }, (_, k) => {
    const i = k + offset;
    const dueAt = start + i * MINUTE_MS;
    return {
      videoId: ids[i % ids.length]!,
      dueAt,
      takenAt: dueAt + 1234,
      views: i % 11 === 0 ? null : BigInt(1_000_000 + i * 1000) * 3_000_000n, // beyond 2^53 on purpose
      likes: i % 7 === 0 ? null : BigInt(i * 10),
      comments: i % 5 === 0 ? null : BigInt(i),
      tier: i % 3,
    };
  });
}

async function sql(q: string): Promise<Record<string, unknown>[]> {
  return (await duck.runAndReadAll(q)).getRowObjectsJson() as Record<string, unknown>[];
}

const metricsGlob = (d: string) => `${d}/metrics/*/*.parquet`;

async function vaultKeys(d: string, dataset = 'metrics'): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(d, dataset), { recursive: true, withFileTypes: true }))
    if (e.isFile()) out.push(join(e.parentPath, e.name).slice(join(d, dataset).length + 1));
  return out.sort();
}

describe('staging', () => {
  it('stages each (video, due time) once, whatever the retries', async () => {
    await freshVault();
    const rows = snapshots(30, Date.UTC(2026, 10, 20));
    expect(await insertSnapshots(t.pool, rows)).toBe(30);
    expect(await insertSnapshots(t.pool, rows.slice(0, 10))).toBe(0);
    expect(await insertSnapshots(t.pool, [...rows.slice(25), ...snapshots(2, Date.UTC(2026, 10, 21))])).toBe(
      2,
    );
    expect(await countStaged(t.pool)).toBe(32);
  });
});

describe('flush to a local vault', () => {
  it('waits until enough rows or enough time, then writes Hive partitions read back by DuckDB and hyparquet', async () => {
    const { vault, dir } = await freshVault({ VAULT_FLUSH_ROWS: '1000', VAULT_FLUSH_INTERVAL_S: '3600' });
    // 20 snapshots across midnight UTC: two day partitions.
    const start = Date.UTC(2026, 10, 20, 23, 50);
    const rows = snapshots(20, start);
    await insertSnapshots(t.pool, rows);
    const clock = new ManualClock(start + 20 * MINUTE_MS);
    expect(await vault.flush(t.pool, { clock })).toMatchObject({ files: 0, rows: 0, skipped: 'not-due' });
    expect(await countStaged(t.pool)).toBe(20);

    clock.advance(HOUR_MS); // the oldest snapshot has now waited over an hour
    const r = await vault.flush(t.pool, { clock });
    expect(r).toMatchObject({ files: 2, rows: 20 });
    expect(await countStaged(t.pool)).toBe(0);
    expect(await countFlushedRows(t.pool)).toBe(20);
    const keys = await vaultKeys(dir);
    expect(keys).toEqual([
      'dt=2026-11-20/part-0000000000000001-0000000000000020.parquet',
      'dt=2026-11-21/part-0000000000000001-0000000000000020.parquet',
    ]);

    const types = await sql(
      `DESCRIBE SELECT * FROM read_parquet('${metricsGlob(dir)}', hive_partitioning=true)`,
    );
    expect(Object.fromEntries(types.map((c) => [c.column_name, c.column_type]))).toEqual({
      video_id: 'VARCHAR',
      taken_at: 'TIMESTAMP',
      due_at: 'TIMESTAMP',
      views: 'BIGINT',
      likes: 'BIGINT',
      comments: 'BIGINT',
      tier: 'VARCHAR',
      dt: 'DATE',
    });
    const back = await sql(
      `SELECT video_id, epoch_ms(taken_at)::BIGINT AS taken, epoch_ms(due_at)::BIGINT AS due, views, likes, comments,
              tier, dt::VARCHAR AS dt
       FROM read_parquet('${metricsGlob(dir)}', hive_partitioning=true) ORDER BY due`,
    );
    expect(back).toEqual(
      rows.map((s) => ({
        video_id: s.videoId,
        taken: String(s.takenAt),
        due: String(s.dueAt),
        views: s.views === null ? null : String(s.views),
        likes: s.likes === null ? null : String(s.likes),
        comments: s.comments === null ? null : String(s.comments),
        tier: ['HOURLY', 'DAILY', 'WEEKLY'][s.tier],
        dt: new Date(s.takenAt).toISOString().slice(0, 10),
      })),
    );
    const kv = await sql(
      `SELECT key::VARCHAR AS k, value::VARCHAR AS v FROM parquet_kv_metadata('${metricsGlob(dir)}')`,
    );
    expect(kv).toContainEqual({ k: 'pleiades.schema', v: 'metrics/1' });

    // A second independent reader: hyparquet, on the raw bytes.
    const { readFile } = await import('node:fs/promises');
    const buf = await readFile(join(dir, 'metrics', keys[0]!));
    const { gunzipSync } = await import('node:zlib');
    const objs = await parquetReadObjects({
      file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer,
      compressors: { GZIP: (b: Uint8Array) => new Uint8Array(gunzipSync(b)) },
    });
    expect(objs.length).toBe(rows.filter((s) => s.takenAt < Date.UTC(2026, 10, 21)).length);
    expect(objs[0]).toMatchObject({ video_id: rows[0]!.videoId, views: null, likes: null, comments: null });
    expect(objs[1]!.views).toBe(rows[1]!.views);
  });

  it('flushes in ranges of at most VAULT_FLUSH_ROWS once that many are staged', async () => {
    const { vault, dir } = await freshVault({ VAULT_FLUSH_ROWS: '50', VAULT_FLUSH_INTERVAL_S: '86400' });
    const start = Date.UTC(2026, 10, 22, 8);
    await insertSnapshots(t.pool, snapshots(40, start));
    const clock = new ManualClock(start + HOUR_MS);
    expect((await vault.flush(t.pool, { clock })).skipped).toBe('not-due');
    await insertSnapshots(t.pool, snapshots(80, start, 40));
    expect(await vault.flush(t.pool, { clock })).toMatchObject({ files: 3, rows: 120 });
    expect(await vaultKeys(dir)).toEqual([
      'dt=2026-11-22/part-0000000000000001-0000000000000050.parquet',
      'dt=2026-11-22/part-0000000000000051-0000000000000100.parquet',
      'dt=2026-11-22/part-0000000000000101-0000000000000120.parquet',
    ]);
    const [c] = await sql(
      `SELECT count(*)::INT AS n, count(DISTINCT (video_id, due_at))::INT AS keys FROM read_parquet('${metricsGlob(dir)}')`,
    );
    expect(c).toEqual({ n: 120, keys: 120 });
  });

  for (const step of ['written', 'uploaded'] as const)
    it(`a flush that fails after the files are ${step} is redone with the same files: every snapshot once`, async () => {
      const { vault, dir } = await freshVault({ VAULT_FLUSH_ROWS: '25' });
      const start = Date.UTC(2026, 10, 23, 12);
      await insertSnapshots(t.pool, snapshots(60, start));
      const clock = new ManualClock(start + DAY_MS);
      let calls = 0;
      const crash = async (s: string) => {
        if (s === step && ++calls === 2) throw new Error(`injected failure after ${s}`);
      };
      await expect(vault.flush(t.pool, { clock, force: true, onStep: crash })).rejects.toThrow('injected');
      // The first range landed; the second is recorded, its rows still staged.
      expect(await countStaged(t.pool)).toBe(35);
      expect((await pendingFlushes(t.pool)).length).toBe(1);
      const before = await vaultKeys(dir);
      expect(before.length).toBe(step === 'uploaded' ? 2 : 1);
      // Meanwhile the tracker goes on staging.
      await insertSnapshots(t.pool, snapshots(5, start, 60));
      expect(await vault.flush(t.pool, { clock, force: true })).toMatchObject({ rows: 40 });
      expect(await countStaged(t.pool)).toBe(0);
      expect(await pendingFlushes(t.pool)).toEqual([]);
      const keys = await vaultKeys(dir);
      expect(keys).toEqual([
        'dt=2026-11-23/part-0000000000000001-0000000000000025.parquet',
        'dt=2026-11-23/part-0000000000000026-0000000000000050.parquet',
        'dt=2026-11-23/part-0000000000000051-0000000000000065.parquet',
      ]);
      const [c] = await sql(
        `SELECT count(*)::INT AS n, count(DISTINCT (video_id, due_at))::INT AS keys FROM read_parquet('${metricsGlob(dir)}')`,
      );
      expect(c).toEqual({ n: 65, keys: 65 });
    });
});

describe('video metadata', () => {
  it('writes ready hot videos to videos/, marks them vaulted, and the janitor deletes only those', async () => {
    const { vault, dir } = await freshVault();
    const now = Date.UTC(2026, 10, 24, 12);
    const meta = (id: string, i: number) => ({
      id,
      channelId: `UC${String(i).padStart(22, '0')}`,
      channelTitle: `Channel ${i}`,
      title: `Title ${i} — ünïcode`,
      description: 'd',
      tags: i % 2 ? ['a', 'b'] : [],
      categoryId: i % 2 ? 10 : null,
      durationS: 60 + i,
      publishedAt: new Date(now - DAY_MS),
      sourceQueryId: null,
    });
    const old = ids.slice(0, 4).map(meta);
    const recent = ids.slice(4, 6).map((id, i) => meta(id, i + 4));
    await ingestVideoMetadata(t.pool, old, new Date(now - 8 * DAY_MS));
    await ingestVideoMetadata(t.pool, recent, new Date(now - 10 * MINUTE_MS));
    // One recent video was enriched by the Painter: ready at once.
    await t.pool.query(
      `UPDATE videos SET enriched_at = $2, category_name = 'Music', channel_subscribers = 12345678901
       WHERE id = $1`,
      [videoIdToBigInt(recent[0]!.id), new Date(now - MINUTE_MS)],
    );
    const unvaulted = await countUnvaultedVideos(t.pool);
    const r = await vault.flush(t.pool, { clock: new ManualClock(now), force: true });
    expect(r.videos).toBe(5); // 4 old + 1 enriched; the other recent one waits for the Painter
    expect(await countUnvaultedVideos(t.pool)).toBe(unvaulted - 5);
    const files = await vaultKeys(dir, 'videos');
    expect(files.length).toBe(1);
    expect(files[0]).toMatch(/^dt=2026-11-24\/part-\d{16}-\d{16}\.parquet$/);
    const rows = await sql(
      `SELECT video_id, title, tags, category_id, category_name, channel_subscribers, duration_s,
              epoch_ms(published_at)::BIGINT AS published
       FROM read_parquet('${dir}/videos/*/*.parquet') ORDER BY video_id`,
    );
    expect(rows.length).toBe(5);
    const enriched = rows.find((x) => x.video_id === recent[0]!.id)!;
    expect(enriched).toMatchObject({
      title: 'Title 4 — ünïcode',
      category_name: 'Music',
      channel_subscribers: '12345678901',
      published: String(now - DAY_MS),
    });
    // Once in the vault, the Painter's figures leave the hot row; its enrichment mark stays.
    const hot = await t.pool.query(
      'SELECT category_name, channel_subscribers, enriched_at FROM videos WHERE id = $1',
      [videoIdToBigInt(recent[0]!.id)],
    );
    expect(hot.rows[0]).toMatchObject({ category_name: null, channel_subscribers: null });
    expect(hot.rows[0].enriched_at).not.toBeNull();
    const plain = rows.find((x) => x.video_id === old[0]!.id)!;
    expect(plain).toMatchObject({
      tags: [],
      category_id: null,
      category_name: null,
      channel_subscribers: null,
    });
    expect(rows.find((x) => x.video_id === old[1]!.id)!.tags).toEqual(['a', 'b']);
    // A second flush has nothing new to write.
    expect((await vault.flush(t.pool, { clock: new ManualClock(now), force: true })).videos).toBe(0);

    // A later flush the same day writes a second file; compaction merges them, tags and nulls intact.
    await ingestVideoMetadata(t.pool, [meta(ids[8]!, 9)], new Date(now - 2 * HOUR_MS));
    expect((await vault.flush(t.pool, { clock: new ManualClock(now), force: true })).videos).toBe(1);
    const all = `SELECT * EXCLUDE (dt) FROM read_parquet('${dir}/videos/*/*.parquet', hive_partitioning=true) ORDER BY video_id`;
    const beforeCompaction = await sql(all);
    expect(beforeCompaction.length).toBe(6);
    const compacted = await vault.compact(t.pool, { clock: new ManualClock(now), date: '2026-11-24' });
    expect(compacted.map((p) => [p.dataset, p.inputs, p.rows])).toEqual([['videos', 2, 6]]);
    expect((await vaultKeys(dir, 'videos')).length).toBe(1);
    expect(await sql(all)).toEqual(beforeCompaction);

    // The janitor: expired and vaulted rows go; an expired row not in the vault stays unless forced.
    await ingestVideoMetadata(t.pool, [meta(ids[7]!, 7)], new Date(now - 9 * DAY_MS));
    const before = await countVideos(t.pool);
    expect(await deleteExpiredVideos(t.pool, new Date(now - 7 * DAY_MS), 100)).toBe(4);
    expect(await deleteExpiredVideos(t.pool, new Date(now - 7 * DAY_MS), 100, { force: true })).toBe(1);
    expect(await countVideos(t.pool)).toBe(before - 5);
  });
});

describe('compaction and export', () => {
  it("merges a day's files into one, idempotently, and a reader never sees rows missing or doubled", async () => {
    const { vault, dir } = await freshVault({ VAULT_FLUSH_ROWS: '30' });
    const day = Date.UTC(2026, 10, 18, 6);
    const clock = new ManualClock(day + 2 * DAY_MS);
    for (let k = 0; k < 4; k++) {
      await insertSnapshots(t.pool, snapshots(45, day, k * 45));
      await vault.flush(t.pool, { clock, force: true });
    }
    const parts = await vaultKeys(dir);
    expect(parts.length).toBe(8);
    const before = await sql(
      `SELECT video_id, due_at::VARCHAR AS due, views, likes, comments FROM read_parquet('${metricsGlob(dir)}') ORDER BY ALL`,
    );
    expect(before.length).toBe(180);

    // A reader keeps counting the partition while compaction runs. A read that listed the old files
    // just before the swap may fail to open one ("No such file"): it fails loudly, and never counts
    // a partial or doubled set.
    let stop = false;
    const seen = new Set<number>();
    const reader = (async () => {
      while (!stop) {
        try {
          const [c] = await sql(
            `SELECT count(*)::INT AS n FROM read_parquet('${dir}/metrics/dt=2026-11-18/*.parquet')`,
          );
          seen.add(c!.n as number);
        } catch (err) {
          expect((err as Error).message).toMatch(/No such file/);
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    const done = await vault.compact(t.pool, { clock });
    stop = true;
    await reader;
    expect(done).toEqual([
      {
        dataset: 'metrics',
        day: '2026-11-18',
        inputs: 8,
        removed: 8,
        rows: 180,
        key: 'metrics/dt=2026-11-18/part-0000000000000001-0000000000000180.parquet',
      },
    ]);
    expect([...seen]).toEqual([180]);
    expect(await vaultKeys(dir)).toEqual(['dt=2026-11-18/part-0000000000000001-0000000000000180.parquet']);
    const after = await sql(
      `SELECT video_id, due_at::VARCHAR AS due, views, likes, comments FROM read_parquet('${metricsGlob(dir)}') ORDER BY ALL`,
    );
    expect(after).toEqual(before);
    // Idempotent: nothing left to do.
    expect(await vault.compact(t.pool, { clock })).toEqual([]);
    expect(await vault.compact(t.pool, { clock, date: '2026-11-18' })).toEqual([]);

    // Late rows for that day (a backlog after an outage) are merged into the day file next time.
    await insertSnapshots(t.pool, snapshots(10, day, 200));
    await vault.flush(t.pool, { clock, force: true });
    const again = await vault.compact(t.pool, { clock, date: '2026-11-18' });
    expect(again.map((p) => [p.inputs, p.rows, p.key])).toEqual([
      [2, 190, 'metrics/dt=2026-11-18/part-0000000000000001-0000000000000190.parquet'],
    ]);

    // Export one video's history from the vault.
    const vid = ids[3]!;
    const history = await vault.exportVideo(vid);
    const expected = [...snapshots(180, day), ...snapshots(10, day, 200)].filter((s) => s.videoId === vid);
    expect(history.map((h) => h.due_at)).toEqual(expected.map((s) => s.dueAt));
    expect(history.map((h) => h.views)).toEqual(expected.map((s) => s.views));
    const csv = historyToCsv(history).trim().split('\n');
    expect(csv[0]).toBe('video_id,taken_at,due_at,views,likes,comments,tier');
    expect(csv.length).toBe(expected.length + 1);
    const e0 = expected[0]!;
    expect(csv[1]).toBe(
      [
        vid,
        new Date(e0.takenAt).toISOString(),
        new Date(e0.dueAt).toISOString(),
        e0.views ?? '',
        e0.likes ?? '',
        e0.comments ?? '',
        ['HOURLY', 'DAILY', 'WEEKLY'][e0.tier],
      ].join(','),
    );
    const json = JSON.parse(historyToJson(history));
    expect(json[0]).toMatchObject({ video_id: vid, due_at: new Date(e0.dueAt).toISOString() });
    const text = await exportVideoText(loadConfig({ VAULT_DIR: dir }, { dotenvPath: false }), {
      video: vid,
      format: 'json',
    });
    expect(JSON.parse(text)).toEqual(json);
    await expect(
      exportVideoText(loadConfig({ VAULT_DIR: dir }, { dotenvPath: false }), {
        video: 'nope',
        format: 'csv',
      }),
    ).rejects.toThrow('--video');
    // The command a user types.
    const out = execFileSync(process.execPath, ['app/cli/main.ts', 'vault', 'export', '--video', vid], {
      env: { ...process.env, VAULT_DIR: dir, DATABASE_URL: t.url, LOG_LEVEL: 'silent' },
      encoding: 'utf8',
    });
    expect(out).toBe(historyToCsv(history));
  });

  it('writes a compacted day sorted by video_id (row-group statistics prune), in passes when the day is big', async () => {
    const { vault, dir } = await freshVault({ VAULT_FLUSH_ROWS: '50' });
    const day = Date.UTC(2026, 10, 18, 6);
    const clock = new ManualClock(day + 2 * DAY_MS);
    for (let k = 0; k < 3; k++) {
      await insertSnapshots(t.pool, snapshots(100, day, k * 100));
      await vault.flush(t.pool, { clock, force: true });
    }
    const all = `SELECT video_id, epoch_ms(due_at)::DOUBLE AS due, views::VARCHAR AS views, likes, comments, tier`;
    const before = await sql(`${all} FROM read_parquet('${metricsGlob(dir)}') ORDER BY ALL`);
    // The explorer's reader, holding the parts open, before and after the compaction.
    const reader = createVaultReader(localProvider(dir), { listTtlMs: 0 });
    const dues = async (id: string) =>
      (await reader.rowsFor('metrics', id)).map((r) => r.due_at as number).sort((a, b) => a - b);
    const seen = await dues(ids[5]!);
    expect(seen.length).toBe(8); // 300 snapshots over 40 videos
    // A sort budget of 70 rows: the 300 rows of the day are sorted in about five ranges of ids.
    const done = await vault.compact(t.pool, { clock, sortRows: 70 });
    expect(done.map((p) => [p.inputs, p.rows])).toEqual([[6, 300]]);
    const file = join(dir, 'metrics', (await vaultKeys(dir))[0]!);
    // Row groups of 256 rows in id order: a reader of one video reads the one group that holds it.
    const groups = await sql(
      `SELECT row_group_num_rows::INT AS n, stats_min_value AS lo, stats_max_value AS hi FROM parquet_metadata('${file}')
       WHERE path_in_schema = 'video_id' ORDER BY row_group_id`,
    );
    expect(groups.map((g) => g.n)).toEqual([256, 44]);
    expect((groups[0]!.hi as string) <= (groups[1]!.lo as string), JSON.stringify(groups)).toBe(true);
    expect(await dues(ids[5]!)).toEqual(seen);
    expect(reader.stats().groupsRead).toBe(6 + 1); // every part once, then one group of the day file
    // File order: by video, and each video's snapshots in the order they were taken.
    const inFile = await sql(`${all} FROM read_parquet('${file}')`);
    expect(inFile.length).toBe(300);
    const key = (r: Record<string, unknown>) => [r.video_id as string, r.due as number] as const;
    for (let i = 1; i < inFile.length; i++) {
      const [a, ta] = key(inFile[i - 1]!);
      const [b, tb] = key(inFile[i]!);
      expect(a < b || (a === b && ta < tb), `row ${i}: ${a} ${ta} then ${b} ${tb}`).toBe(true);
    }
    expect([...inFile].sort((x, y) => (JSON.stringify(x) < JSON.stringify(y) ? -1 : 1))).toEqual(
      [...before].sort((x, y) => (JSON.stringify(x) < JSON.stringify(y) ? -1 : 1)),
    );
    const [kv] = await sql(
      `SELECT decode(value) AS v FROM parquet_kv_metadata('${file}') WHERE decode(key) = 'pleiades.sorted_by'`,
    );
    expect(kv).toEqual({ v: 'video_id' });
    // The reader keeps the day file open for the next page; closing it leaves no descriptor behind.
    expect(openFilesUnder(dir)).toEqual([realpathSync(file)]);
    await reader.close();
    expect(openFilesUnder(dir)).toEqual([]);
    expect(await dues(ids[5]!)).toEqual(seen); // and a later read opens it again
    await reader.close();
  });

  it('finishes a compaction that published the merged file but crashed before removing the parts', async () => {
    const { vault, dir } = await freshVault({ VAULT_FLUSH_ROWS: '20' });
    const day = Date.UTC(2026, 10, 17, 6);
    const clock = new ManualClock(day + 3 * DAY_MS);
    await insertSnapshots(t.pool, snapshots(60, day));
    await vault.flush(t.pool, { clock, force: true });
    // What a provider without atomic commits leaves after such a crash: the merge next to its parts.
    const provider = localProvider(dir);
    const merged = join(dir, '.tmp', 'merged.parquet');
    const { copyFile } = await import('node:fs/promises');
    const { writeTable, dsnpEngine, readParquetRows } = await import('../src/vault/parquet.ts');
    const { METRICS_TABLE } = await import('../src/vault/schema.ts');
    const rows = [];
    for (const o of await provider.list('metrics/'))
      rows.push(...(await readParquetRows(await provider.read(o.key))));
    await writeTable(dsnpEngine, merged, METRICS_TABLE, rows, { codec: 'GZIP' });
    await copyFile(merged, `${merged}.2`);
    await provider.commit({
      adds: [{ key: 'metrics/dt=2026-11-17/part-0000000000000001-0000000000000060.parquet', path: merged }],
      deletes: [],
      message: 'simulated',
    });
    expect((await vaultKeys(dir)).length).toBe(4);
    const done = await vault.compact(t.pool, { clock });
    expect(done.map((p) => [p.inputs, p.removed])).toEqual([[0, 3]]);
    expect(await vaultKeys(dir)).toEqual(['dt=2026-11-17/part-0000000000000001-0000000000000060.parquet']);
    const [c] = await sql(`SELECT count(*)::INT AS n FROM read_parquet('${metricsGlob(dir)}')`);
    expect(c!.n).toBe(60);
    await rm(dir, { recursive: true, force: true });
  });
});
