import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { createExplorerData } from '../dashboard/explorer-data.ts';
import { DAY_MS } from '../src/clock.ts';
import { ingestVideoMetadata } from '../src/dao/videos.ts';
import { localProvider } from '../src/vault/providers/local.ts';
import { createVaultReader } from '../src/vault/reader.ts';
import { videoIdFromBits } from '../src/video-id.ts';
import { benchDatabase } from './db.ts';
import { type Figure, printTable } from './figures.ts';

/**
 * The explorer's video page on a big vault: `days` compacted day files of `videos` × `days` snapshots
 * (every video has one snapshot a day for the whole range: a year of history each), written directly
 * as Parquet sorted by video_id with GZIP like the vault's, so row-group statistics can prune. DuckDB
 * (a dev dependency) writes them only because it is fast at it; the server reads with hyparquet
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
  rowGroupSize?: number;
}

const GOAL_MS = 300;

const p95 = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.95))]!;
};

export async function benchExplorer(o: ExplorerBenchOptions): Promise<Figure[]> {
  const dir = await mkdtemp(join(tmpdir(), 'pleiades-bench-explorer-'));
  const db = await benchDatabase('pleiades_bench_explorer');
  const first = Date.UTC(2025, 10, 25);
  const rowGroup = o.rowGroupSize ?? 1024;
  const ids = Array.from({ length: o.videos }, (_, i) =>
    videoIdFromBits(BigInt(i + 1) * 0x9e3779b97f4a7c15n),
  );
  try {
    const t0 = performance.now();
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    await duck.run(
      `CREATE TABLE ids AS SELECT * FROM (VALUES ${ids.map((id, i) => `(${i}, '${id}')`).join(',')}) t(i, video_id)`,
    );
    for (let d = 0; d < o.days; d++) {
      const day = new Date(first + d * DAY_MS).toISOString().slice(0, 10);
      const t = first + d * DAY_MS + 3_600_000;
      await mkdir(join(dir, 'metrics', `dt=${day}`), { recursive: true });
      await duck.run(
        `COPY (
           SELECT video_id, make_timestamp_ms(${t} + i * 7)::TIMESTAMP_MS AS taken_at,
                  make_timestamp_ms(${t})::TIMESTAMP_MS AS due_at,
                  (i * 13 + ${d} * (i % 97 + 1) * 11)::BIGINT AS views, ((i * 13 + ${d} * 3) / 20)::BIGINT AS likes,
                  (${d} + i % 50)::BIGINT AS comments, CASE WHEN ${d} < 2 THEN 'HOURLY' WHEN ${d} < 30 THEN 'DAILY' ELSE 'WEEKLY' END AS tier
           FROM ids ORDER BY video_id
         ) TO '${dir}/metrics/dt=${day}/part-${String(d * o.videos + 1).padStart(16, '0')}-${String((d + 1) * o.videos).padStart(16, '0')}.parquet'
         (FORMAT parquet, COMPRESSION gzip, ROW_GROUP_SIZE ${rowGroup})`,
      );
    }
    duck.closeSync();
    const buildS = (performance.now() - t0) / 1000;
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
    const how =
      `${(o.videos * o.days).toLocaleString('en-US')} snapshots in ${o.days} day files (row groups of ${rowGroup}, ` +
      `sorted by video_id), ${o.samples} random videos with ${o.days} snapshots each; hyparquet with dt and ` +
      `row-group pruning (${st.groupsSkipped.toLocaleString('en-US')} groups skipped, ${st.groupsRead.toLocaleString('en-US')} read)`;
    return [
      {
        name: 'explorer: video page, p95 server time (footers cached)',
        value: Math.round(p95(warm.times)),
        unit: 'ms',
        goal: `≤ ${GOAL_MS} ms`,
        ok: p95(warm.times) <= GOAL_MS,
        how,
      },
      {
        name: 'explorer: video history from the vault, p95',
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
        value: Math.round(p95(cold.times)),
        unit: 'ms',
        goal: 'reported',
        how: 'the same pages in a fresh process: each file footer read once, then cached',
      },
      {
        name: 'explorer: bench vault build',
        value: Math.round(buildS),
        unit: 's',
        goal: 'reported',
        how: 'DuckDB COPY … TO parquet, one file per day',
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
      samples: Number(arg('samples') ?? (quick ? 20 : 100)),
    }),
  );
  process.exit(0);
}
