import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { parquetMetadataAsync } from 'hyparquet';
import { createExplorerData } from '../dashboard/explorer-data.ts';
import { DAY_MS } from '../src/clock.ts';
import { ingestVideoMetadata } from '../src/dao/videos.ts';
import { compactGroupRows } from '../src/vault/compact.ts';
import { dsnpEngine, writeTable } from '../src/vault/parquet.ts';
import { partName, utcDay } from '../src/vault/parts.ts';
import { localProvider } from '../src/vault/providers/local.ts';
import { createVaultReader } from '../src/vault/reader.ts';
import { METRICS_TABLE, schemaTag } from '../src/vault/schema.ts';
import { videoIdFromBits } from '../src/video-id.ts';
import { benchDatabase } from './db.ts';
import { type Figure, printTable } from './figures.ts';

/**
 * The explorer's video page on a big vault: `days` compacted day files of `videos` × `days` snapshots
 * (every video has one snapshot a day for the whole range: a year of history each), written directly
 * in the layout the vault's compaction writes (buildBenchVault, checked by checkLayout). DuckDB (a dev
 * dependency) writes them only because it is fast at it; the server reads with hyparquet
 * (src/vault/reader.ts). Measures what a /videos/:id page costs the server: metadata and history
 * (vault + Postgres) and the JSON, for random videos, cold (first read of each file's footer in the
 * process) and warm (footers cached, as in a running dashboard).
 */

export interface ExplorerBenchOptions {
  /** Videos with a snapshot every day. */
  videos: number;
  days: number;
  /** Pages measured (distinct random videos). */
  samples: number;
}

const GOAL_MS = 300;

const p95 = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.95))]!;
};

/** Ids of the bench's videos, spread over the id space. */
export const benchIds = (videos: number): string[] =>
  Array.from({ length: videos }, (_, i) => videoIdFromBits(BigInt(i + 1) * 0x9e3779b97f4a7c15n));

/**
 * Writes `days` compacted metrics partitions of `videos` rows each under `dir`, in the vault's layout
 * (metrics/dt=DAY/part-FIRST-LAST.parquet, the seq range of a compacted day), as the compaction writes
 * them (src/vault/compact.ts): sorted by video_id, row groups of compactGroupRows(rows), GZIP, the
 * footer's `pleiades.*` metadata, the columns of METRICS_TABLE. Two DuckDB connections write two days
 * at a time. DuckDB cuts row groups at 2 048 rows at the least; fed one group's rows per sub-select
 * (the ids table is stored in id order, and UNION ALL keeps the order with preserve_insertion_order),
 * it writes the compaction's smaller groups; checkLayout checks the order.
 */
export async function buildBenchVault(
  dir: string,
  ids: string[],
  days: number,
  first: number,
): Promise<void> {
  const inst = await DuckDBInstance.create(':memory:');
  const setup = await inst.connect();
  await setup.run(
    `CREATE TABLE ids AS SELECT i, video_id, (row_number() OVER (ORDER BY video_id) - 1)::INT AS r
     FROM (VALUES ${ids.map((id, i) => `(${i}, '${id}')`).join(',')}) t(i, video_id) ORDER BY video_id`,
  );
  await setup.run('SET preserve_insertion_order = true');
  const group = compactGroupRows(ids.length);
  let next = 0;
  const writer = async () => {
    const duck = await inst.connect();
    for (let d = next++; d < days; d = next++) {
      const day = utcDay(first + d * DAY_MS);
      const t = first + d * DAY_MS + 3_600_000;
      const lo = d * ids.length + 1;
      const hi = (d + 1) * ids.length;
      const meta = {
        'pleiades.schema': schemaTag(METRICS_TABLE),
        'pleiades.range': `${lo}-${hi}`,
        'pleiades.merged_files': '1',
        'pleiades.sorted_by': 'video_id',
      };
      await mkdir(join(dir, 'metrics', `dt=${day}`), { recursive: true });
      const select = (from: number, to: number) =>
        `SELECT * FROM (SELECT video_id, make_timestamp_ms(${t} + i * 7)::TIMESTAMP_MS AS taken_at,
                  make_timestamp_ms(${t})::TIMESTAMP_MS AS due_at,
                  (i * 13 + ${d} * (i % 97 + 1) * 11)::BIGINT AS views, ((i * 13 + ${d} * 3) / 20)::BIGINT AS likes,
                  (${d} + i % 50)::BIGINT AS comments,
                  CASE WHEN ${d} < 2 THEN 'HOURLY' WHEN ${d} < 30 THEN 'DAILY' ELSE 'WEEKLY' END AS tier
           FROM ids WHERE r >= ${from} AND r < ${to})`;
      const slices = Array.from({ length: Math.ceil(ids.length / group) }, (_, k) =>
        select(k * group, (k + 1) * group),
      );
      await duck.run(
        `COPY (${slices.join(' UNION ALL ')}) TO '${join(dir, 'metrics', `dt=${day}`, partName(lo, hi))}'
         (FORMAT parquet, COMPRESSION gzip, ROW_GROUP_SIZE ${group},
          KV_METADATA {${Object.entries(meta)
            .map(([k, v]) => `'${k}': '${v}'`)
            .join(', ')}})`,
      );
    }
    duck.closeSync();
  };
  try {
    await Promise.all([writer(), writer()]);
  } finally {
    setup.closeSync();
  }
}

/**
 * Fails when the bench's files differ from the vault's own in what the reader sees: the columns and
 * their physical types of a file the vault's writer (src/vault/parquet.ts) writes, and the row group
 * size. (DuckDB marks every column OPTIONAL; the vault writes video_id, taken_at, due_at and tier
 * REQUIRED: definition levels to decode for four more columns, about 3% of the read's CPU.)
 */
async function checkLayout(dir: string, file: string, group: number): Promise<void> {
  const ref = join(dir, 'reference.parquet');
  await writeTable(
    dsnpEngine,
    ref,
    METRICS_TABLE,
    [
      {
        video_id: benchIds(1)[0],
        taken_at: 0,
        due_at: 0,
        views: 1n,
        likes: null,
        comments: 1n,
        tier: 'DAILY',
      },
    ],
    { codec: 'GZIP' },
  );
  const shape = async (path: string) => {
    const md = await parquetMetadataAsync(bufferOf(await readFile(path)));
    return {
      columns: md.schema.slice(1).map((e) => `${e.name}:${e.type}`),
      schema: md.key_value_metadata?.find((kv) => kv.key === 'pleiades.schema')?.value,
      groupRows: Number(md.row_groups[0]!.num_rows),
      // Row groups in id order, as the compaction writes them (min/max statistics prune).
      sorted: md.row_groups.every((g, k) => {
        const prev = md.row_groups[k - 1]?.columns[0]?.meta_data?.statistics?.max_value;
        const min = g.columns[0]?.meta_data?.statistics?.min_value;
        return prev === undefined || (typeof min === 'string' && typeof prev === 'string' && prev < min);
      }),
    };
  };
  const [a, b] = [await shape(ref), await shape(file)];
  await rm(ref);
  if (a.columns.join() !== b.columns.join() || a.schema !== b.schema)
    throw new Error(`bench vault layout ${JSON.stringify(b)} differs from the vault's ${JSON.stringify(a)}`);
  if (b.groupRows !== group || !b.sorted)
    throw new Error(
      `bench row groups of ${b.groupRows} rows (the compaction's: ${group}), sorted: ${b.sorted}`,
    );
}

const bufferOf = (b: Uint8Array): ArrayBuffer =>
  b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

/**
 * The page times' gate: a p95 of 100 pages that take a few tens of ms in the quick run moves by tens
 * of ms with one scheduler stall on a shared machine (the same commit: 33, 77 and 95 ms for first
 * reads), more than the gate's relative margin allows; with 50 ms of slack it still fails a page three
 * times slower (35 → 110 ms).
 */
const PAGE_GATE = { slack: 50 };

export async function benchExplorer(o: ExplorerBenchOptions): Promise<Figure[]> {
  // The database first: a failure there leaves no directory behind.
  const db = await benchDatabase('pleiades_bench_explorer');
  const dir = await mkdtemp(join(tmpdir(), 'pleiades-bench-explorer-'));
  const first = Date.UTC(2025, 10, 25);
  const rowGroup = compactGroupRows(o.videos);
  const ids = benchIds(o.videos);
  try {
    const t0 = performance.now();
    await buildBenchVault(dir, ids, o.days, first);
    const buildS = (performance.now() - t0) / 1000;
    const files = (await localProvider(dir).list('metrics/')).map((f) => f.key);
    await checkLayout(dir, join(dir, files[0]!), rowGroup);
    process.stderr.write(`bench explorer: wrote ${o.videos * o.days} snapshots in ${buildS.toFixed(1)} s\n`);
    // Hot rows for the sampled videos: the page reads the videos table too.
    const sample = Array.from({ length: o.samples }, (_, k) => ids[(k * 7919) % ids.length]!);
    await ingestVideoMetadata(
      db.pool,
      sample.map((id) => ({
        id,
        channelId: 'UCbenchbenchbenchbenchbe',
        channelTitle: 'Bench',
        title: `Video ${id}`,
        description: '',
        tags: [],
        categoryId: 10,
        durationS: 60,
        publishedAt: new Date(first - DAY_MS),
        sourceQueryId: null,
      })),
      new Date(first),
    );

    const measure = async (reader: ReturnType<typeof createVaultReader>) => {
      const data = createExplorerData(db.pool, reader, () => first + o.days * DAY_MS);
      const times: number[] = [];
      let rows = 0;
      for (const id of sample) {
        const t = performance.now();
        const v = await data.video(id);
        const h = await data.history(id, v?.discoveredAt);
        JSON.stringify({ v, h });
        times.push(performance.now() - t);
        rows += h.snapshots.length;
      }
      return { times, rows };
    };
    const reader = createVaultReader(localProvider(dir));
    const cold = await measure(reader);
    const warm = await measure(reader);
    // The vault's share of it: the metrics rows of the same videos, nothing else.
    const vaultTimes: number[] = [];
    const cpu0 = process.cpuUsage();
    for (const id of sample) {
      const t = performance.now();
      await reader.rowsFor('metrics', id, { fromDay: new Date(first).toISOString().slice(0, 10) });
      vaultTimes.push(performance.now() - t);
    }
    const cpu = process.cpuUsage(cpu0);
    const cpuPerRead = (cpu.user + cpu.system) / 1000 / sample.length;
    if (warm.rows !== o.days * o.samples)
      throw new Error(`read ${warm.rows} snapshots, expected ${o.days * o.samples}`);
    const st = reader.stats();
    await reader.close();
    const how =
      `${(o.videos * o.days).toLocaleString('en-US')} snapshots in ${o.days} day files (row groups of ${rowGroup}, ` +
      `sorted by video_id), ${o.samples} random videos with ${o.days} snapshots each; hyparquet with dt and ` +
      `row-group pruning (${st.groupsSkipped.toLocaleString('en-US')} groups skipped, ${st.groupsRead.toLocaleString('en-US')} read)`;
    return [
      {
        name: 'explorer: video page, p95 server time (footers cached)',
        gate: PAGE_GATE,
        value: Math.round(p95(warm.times)),
        unit: 'ms',
        goal: `≤ ${GOAL_MS} ms`,
        ok: p95(warm.times) <= GOAL_MS,
        how,
      },
      {
        name: 'explorer: video history from the vault, p95',
        gate: PAGE_GATE,
        value: Math.round(p95(vaultTimes)),
        unit: 'ms',
        goal: 'reported',
        how: 'the metrics rows alone (src/vault/reader.ts), footers cached: the vault part of the page',
      },
      {
        name: 'explorer: video history from the vault, CPU per page',
        value: Math.round(cpuPerRead),
        unit: 'ms',
        goal: 'reported',
        how: 'process CPU time of the reads above, per video (insensitive to other load on the machine)',
      },
      {
        name: 'explorer: video page, p95 server time (first reads)',
        gate: PAGE_GATE,
        value: Math.round(p95(cold.times)),
        unit: 'ms',
        goal: 'reported',
        how: 'the same pages in a fresh process: each file footer read once, then cached',
      },
      {
        name: 'explorer: bench vault build',
        value: Math.round(buildS * 10) / 10,
        unit: 's',
        goal: 'reported',
        how: 'DuckDB COPY … TO parquet, one file per day in the compaction layout (2 connections): the bench’s own setup, not Pleiades code, so not gated',
        gate: { better: 'none' },
      },
    ];
  } finally {
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const quick = process.argv.includes('--quick');
  const arg = (k: string) => process.argv.find((a) => a.startsWith(`--${k}=`))?.split('=')[1];
  printTable(
    await benchExplorer({
      videos: Number(arg('videos') ?? (quick ? 2_000 : 27_400)),
      days: Number(arg('days') ?? (quick ? 30 : 365)),
      samples: Number(arg('samples') ?? 100),
    }),
  );
  process.exit(0);
}
