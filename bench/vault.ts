import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, MINUTE_MS } from '../src/clock.ts';
import { loadConfig } from '../src/config/index.ts';
import { insertSnapshots, type SnapshotRow } from '../src/dao/staging.ts';
import { silentLogger } from '../src/log.ts';
import { createVault } from '../src/vault/index.ts';
import { type Codec, dsnpEngine, type ParquetEngine, writeTable } from '../src/vault/parquet.ts';
import { METRICS_TABLE, schemaTag, tierLabel } from '../src/vault/schema.ts';
import { videoIdFromBits } from '../src/video-id.ts';
import { benchDatabase } from './db.ts';
import { type Figure, printTable } from './figures.ts';

/** The tracker's goal rate: the vault must write faster than this. */
const GOAL_ROWS_PER_S = 10_000;

/**
 * parquetjs-lite, the writer the design first named, behind the vault's engine interface (a dev
 * dependency: only measured here). It takes INT64 as JS numbers.
 */
function liteEngine(): ParquetEngine {
  const lite = createRequire(import.meta.url)('parquetjs-lite') as {
    ParquetSchema: new (d: Record<string, unknown>) => unknown;
    ParquetWriter: {
      openFile(
        s: unknown,
        p: string,
        o?: Record<string, unknown>,
      ): Promise<{
        appendRow(r: Record<string, unknown>): Promise<void>;
        setMetadata(k: string, v: string): void;
        close(): Promise<void>;
      }>;
    };
  };
  const types = {
    string: { type: 'UTF8' },
    int32: { type: 'INT32' },
    int64: { type: 'INT64' },
    timestamp_ms: { type: 'TIMESTAMP_MILLIS' },
    string_list: { type: 'UTF8', repeated: true },
  };
  return {
    name: 'parquetjs-lite',
    async open(path, table, opts) {
      const def: Record<string, unknown> = {};
      for (const c of table.columns)
        def[c.name] = {
          ...types[c.type],
          ...(c.nullable ? { optional: true } : {}),
          compression: opts.codec,
        };
      const w = await lite.ParquetWriter.openFile(new lite.ParquetSchema(def), path, {
        rowGroupSize: opts.rowGroupSize ?? 50_000,
      });
      w.setMetadata('pleiades.schema', schemaTag(table));
      return {
        append: (row) =>
          w.appendRow(
            Object.fromEntries(
              Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]),
            ),
          ),
        close: () => w.close(),
      };
    },
  };
}

/** Snapshots shaped like the tracker's: many videos, log-normal-ish counts, some hidden likes. */
function syntheticSnapshots(n: number, start: number): SnapshotRow[] {
  let seed = 0x9e3779b97f4a7c15n;
  const videos = Math.max(1, Math.floor(n / 24));
  const out: SnapshotRow[] = [];
  for (let i = 0; i < n; i++) {
    seed = BigInt.asUintN(64, seed * 6364136223846793005n + 1442695040888963407n);
    const r = Number(seed >> 40n) / 2 ** 24;
    const views = BigInt(Math.floor(10 ** (1 + 6 * r)));
    const dueAt = start + Math.floor(i / videos) * MINUTE_MS;
    out.push({
      videoId: videoIdFromBits(BigInt(i % videos) * 0x9e3779b97f4a7c15n + 7n),
      dueAt,
      takenAt: dueAt + Number(seed % 60_000n),
      views,
      likes: i % 9 === 0 ? null : views / 31n,
      comments: i % 13 === 0 ? null : views / 297n,
      tier: i % 10 < 6 ? 0 : i % 10 < 9 ? 1 : 2,
    });
  }
  return out;
}

const metricsRecord = (s: SnapshotRow) => ({
  video_id: s.videoId,
  taken_at: s.takenAt,
  due_at: s.dueAt,
  views: s.views,
  likes: s.likes,
  comments: s.comments,
  tier: tierLabel(s.tier),
});

async function dirBytes(dir: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true }))
    if (e.isFile() && e.name.endsWith('.parquet')) {
      files++;
      bytes += (await stat(join(e.parentPath, e.name))).size;
    }
  return { files, bytes };
}

/**
 * Vault figures: each Parquet writer's rows/s and bytes per snapshot (GZIP and SNAPPY), then, unless
 * `writersOnly`, the real path on a scratch database: staging inserts, a forced flush to a local vault
 * (read staging, write Parquet, publish, delete staged rows) and a compaction of the day.
 */
export async function benchVault(opts: { rows: number; writersOnly?: boolean }): Promise<Figure[]> {
  const figures: Figure[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'pleiades-bench-vault-'));
  const start = Date.UTC(2026, 10, 25, 0, 5);
  const snaps = syntheticSnapshots(opts.rows, start);
  const records = snaps.map(metricsRecord);
  try {
    for (const engine of [liteEngine(), dsnpEngine])
      for (const codec of ['GZIP', 'SNAPPY'] as Codec[]) {
        const path = join(dir, `${engine.name.replace(/\W/g, '_')}-${codec}.parquet`);
        const t0 = performance.now();
        await writeTable(engine, path, METRICS_TABLE, records, { codec });
        const s = (performance.now() - t0) / 1000;
        const rate = Math.round(opts.rows / s);
        const bytes = (await stat(path)).size;
        const how = `${opts.rows.toLocaleString('en-US')} synthetic snapshots, one file, ${codec}`;
        figures.push(
          {
            name: `vault writer ${engine.name} ${codec}`,
            value: rate,
            unit: 'rows/s',
            goal: `>= ${GOAL_ROWS_PER_S.toLocaleString('en-US')} rows/s`,
            ok: rate >= GOAL_ROWS_PER_S,
            how,
          },
          {
            name: `vault bytes/snapshot ${engine.name} ${codec}`,
            value: Math.round((bytes / opts.rows) * 100) / 100,
            unit: 'B',
            goal: 'reported',
            how,
          },
        );
      }
    if (opts.writersOnly) return figures;

    const db = await benchDatabase('pleiades_bench_vault');
    try {
      const vaultDir = join(dir, 'vault');
      // Eight flush files, so that compaction has something to merge.
      const flushRows = Math.ceil(opts.rows / 8);
      const vault = createVault(
        loadConfig({ VAULT_DIR: vaultDir, VAULT_FLUSH_ROWS: String(flushRows) }, { dotenvPath: false }),
        silentLogger,
      );
      let t0 = performance.now();
      for (let i = 0; i < snaps.length; i += 1000) await insertSnapshots(db.pool, snaps.slice(i, i + 1000));
      const stageRate = Math.round(opts.rows / ((performance.now() - t0) / 1000));
      const clock = new ManualClock(start + 2 * 86_400_000);
      t0 = performance.now();
      const r = await vault.flush(db.pool, { clock, force: true });
      const flushRate = Math.round(r.rows / ((performance.now() - t0) / 1000));
      const flushed = await dirBytes(join(vaultDir, 'metrics'));
      t0 = performance.now();
      await vault.compact(db.pool, { clock });
      const compactRate = Math.round(r.rows / ((performance.now() - t0) / 1000));
      const compacted = await dirBytes(join(vaultDir, 'metrics'));
      const how = `${opts.rows.toLocaleString('en-US')} snapshots; VAULT_FLUSH_ROWS=${flushRows}, @dsnp/parquetjs GZIP, local provider`;
      figures.push(
        {
          name: 'vault staging insert (1000-row statements)',
          value: stageRate,
          unit: 'rows/s',
          goal: 'reported',
          how: 'insertSnapshots, one connection',
        },
        {
          name: 'vault flush (staging → Parquet → published → deleted)',
          value: flushRate,
          unit: 'rows/s',
          goal: `>= ${GOAL_ROWS_PER_S.toLocaleString('en-US')} rows/s`,
          ok: flushRate >= GOAL_ROWS_PER_S,
          how: `${how}; ${flushed.files} files`,
        },
        {
          name: 'vault bytes/snapshot on disk after flush',
          value: Math.round((flushed.bytes / r.rows) * 100) / 100,
          unit: 'B',
          goal: 'reported',
          how,
        },
        {
          name: 'vault compaction',
          value: compactRate,
          unit: 'rows/s',
          goal: 'reported',
          how: `${flushed.files} files → ${compacted.files}`,
        },
        {
          name: 'vault bytes/snapshot on disk after compaction',
          value: Math.round((compacted.bytes / r.rows) * 100) / 100,
          unit: 'B',
          goal: 'reported',
          how,
        },
      );
    } finally {
      await db.drop();
    }
    return figures;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const quick = process.argv.includes('--quick');
  printTable(
    await benchVault({ rows: quick ? 60_000 : 200_000, writersOnly: process.argv.includes('--writers') }),
  );
}
