import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pool } from '../db/pool.ts';
import { VaultBusyError, VaultError } from '../errors/index.ts';
import { finishPendingFlushes, withVaultLock } from './flush.ts';
import { EVENT_LOGS } from './logs.ts';
import { openWith, parquetInfo, readParquetGroups } from './parquet.ts';
import { type FlushOptions, PART_RE, partName, utcDay, type VaultContext } from './parts.ts';
import type { VaultObject } from './provider.ts';
import { type AnyTableSpec, METRICS_TABLE, VIDEOS_TABLE } from './schema.ts';

export interface CompactedPartition {
  dataset: string;
  day: string;
  /** Files merged (0 when the partition only needed superseded files removed). */
  inputs: number;
  removed: number;
  rows: number;
  key: string;
}

export interface Part {
  key: string;
  first: bigint;
  last: bigint;
}

/**
 * Rows per row group of a compacted file of `rows` rows. Compacted files are sorted by `video_id`, so
 * a group's min/max statistics name a narrow id range: a reader looking for one video (the explorer,
 * src/vault/reader.ts) decodes one group per day file, not the file. Small groups make that read
 * cheap (256 rows: about 0.7 ms of CPU a file against 2.5 ms for 2 048, bench/explorer.ts) and the
 * footer bigger (≈ 0.6 KB a group): past 512 groups a file gets bigger groups instead, so that a
 * footer stays under ≈ 300 KB whatever the day's size. The price is size on disk for small days:
 * bench/vault.ts (20,000 snapshots) measured 11.99 B a snapshot unsorted in one group, 12.77 B sorted
 * in groups of 2 048, 14.1 B of 1 024, 21.8 B of 256 (page headers, per-group statistics, GZIP over
 * fewer values); a day of more than 1M snapshots gets groups of ≥ 2 048 again.
 */
export const compactGroupRows = (rows: number): number =>
  Math.min(50_000, Math.max(256, Math.ceil(rows / 512)));

/**
 * Rows sorted in memory at once. A bigger day is sorted in several passes over its parts, each
 * taking one range of video ids (split points sampled from the ids first), so memory stays bounded
 * whatever the day's size; each pass decodes the parts again, held compressed in memory.
 */
export const COMPACT_SORT_ROWS = 400_000;

/** How long a compaction waits for a running flush before it gives up (and its job retries). */
const COMPACT_LOCK_WAIT_MS = 120_000;

/** Every table of the vault, in the order compaction (and the dataset card) goes through them. */
export const TABLES: AnyTableSpec[] = [METRICS_TABLE, VIDEOS_TABLE, ...EVENT_LOGS.map((l) => l.table)];

/**
 * A file is superseded when another file's range covers its own: that other file is a merge that
 * already holds its rows (a compaction that crashed after publishing the merge, before deleting).
 */
export function splitSuperseded(parts: Part[]): { live: Part[]; superseded: Part[] } {
  const covers = (a: Part, b: Part) => a !== b && a.first <= b.first && b.last <= a.last;
  const superseded = parts.filter((p) =>
    parts.some((q) => covers(q, p) && (q.first < p.first || q.last > p.last)),
  );
  return { live: parts.filter((p) => !superseded.includes(p)), superseded };
}

/**
 * Merges each day partition's files into one file named after the union of their ranges (rows sorted
 * by video_id, small row groups (compactGroupRows), so a reader of one video skips the rest), then removes
 * the parts. On providers with an atomic commit (local, Hugging Face) the merge and the removals are
 * one step, so a reader listing the partition never sees rows missing or twice. Idempotent: a
 * partition with one file is left alone, and a run that crashed is finished by the next.
 */
export async function compactVault(
  pool: Pool,
  ctx: VaultContext,
  opts: FlushOptions & { date?: string; lockWaitMs?: number; sortRows?: number },
): Promise<CompactedPartition[]> {
  const result = await withVaultLock(
    pool,
    async () => {
      // A flush recorded but unfinished may still rewrite its file: finish it before merging anything.
      await finishPendingFlushes(pool, ctx, opts);
      const today = utcDay(opts.clock.now());
      const done: CompactedPartition[] = [];
      for (const table of TABLES) {
        const byDay = new Map<string, Part[]>();
        for (const o of await ctx.provider.list(`${table.name}/`)) {
          const p = parsePart(table.name, o);
          if (!p) continue;
          if (opts.date ? p.day !== opts.date : p.day >= today) continue;
          const list = byDay.get(p.day) ?? [];
          byDay.set(p.day, list);
          list.push(p.part);
        }
        for (const [day, parts] of [...byDay].sort()) {
          const r = await compactPartition(ctx, table, day, parts, opts.sortRows ?? COMPACT_SORT_ROWS);
          if (r) done.push(r);
        }
      }
      return done;
    },
    // Flushes come every few seconds on a busy system: queue behind them rather than fail and retry.
    opts.lockWaitMs ?? COMPACT_LOCK_WAIT_MS,
  );
  if (result === null) throw new VaultBusyError('a vault flush or compaction is running; try again shortly');
  return result;
}

function parsePart(dataset: string, o: VaultObject): { day: string; part: Part } | null {
  const m = new RegExp(`^${dataset}/dt=(\\d{4}-\\d{2}-\\d{2})/([^/]+)$`).exec(o.key);
  const n = m && PART_RE.exec(m[2]!);
  if (!m || !n) return null;
  return { day: m[1]!, part: { key: o.key, first: BigInt(n[1]!), last: BigInt(n[2]!) } };
}

async function compactPartition(
  ctx: VaultContext,
  table: AnyTableSpec,
  day: string,
  parts: Part[],
  sortRows: number,
): Promise<CompactedPartition | null> {
  const { live, superseded } = splitSuperseded(parts);
  const removeOnly = superseded.map((p) => p.key);
  if (live.length <= 1) {
    if (removeOnly.length === 0) return null;
    await ctx.provider.commit({ adds: [], deletes: removeOnly, message: `vault: tidy ${table.name} ${day}` });
    return {
      dataset: table.name,
      day,
      inputs: 0,
      removed: removeOnly.length,
      rows: 0,
      key: live[0]?.key ?? '',
    };
  }
  live.sort((a, b) => (a.first < b.first ? -1 : 1));
  const first = live[0]!.first;
  const last = live.at(-1)!.last; // live ranges never overlap: sorted by start, the last ends last
  const key = `${table.name}/dt=${day}/${partName(first, last)}`;
  await mkdir(ctx.provider.workDir, { recursive: true });
  const path = join(ctx.provider.workDir, `${key.replaceAll('/', '_')}.tmp`);
  // Tables keyed by video are written sorted by video_id (stable: a video's rows keep their order).
  const byVideo = table.columns.some((c) => c.name === 'video_id');
  // The parts, compressed, in memory: every pass decodes them again (one row group at a time).
  const sources: Uint8Array[] = [];
  let expected = 0;
  for (const p of live) {
    const bytes = await ctx.provider.read(p.key);
    expected += (await parquetInfo(bytes)).rows;
    sources.push(bytes);
  }
  const w = await openWith(ctx.engine, path, table, {
    codec: ctx.codec,
    rowGroupSize: compactGroupRows(expected),
    metadata: {
      'pleiades.range': `${first}-${last}`,
      'pleiades.merged_files': String(live.length),
      ...(byVideo ? { 'pleiades.sorted_by': 'video_id' } : {}),
    },
  });
  let written = 0;
  try {
    const bounds = byVideo ? await splitPoints(sources, expected, sortRows) : [];
    for (let k = 0; k <= bounds.length; k++) {
      const lo = bounds[k - 1];
      const hi = bounds[k];
      const rows: Record<string, unknown>[] = [];
      for (const bytes of sources)
        for await (const group of readParquetGroups(bytes))
          for (const r of group) {
            const id = r.video_id as string;
            if ((lo === undefined || id >= lo) && (hi === undefined || id < hi)) rows.push(r);
          }
      if (byVideo) rows.sort(byVideoId);
      for (const row of rows) {
        await w.append(row);
        written++;
      }
    }
  } finally {
    await w.close();
  }
  try {
    if (written !== expected)
      throw new VaultError(`compaction of ${table.name} ${day} read ${written} rows, expected ${expected}`);
    await ctx.provider.commit({
      adds: [{ key, path }],
      deletes: [...live.map((p) => p.key), ...removeOnly],
      message: `vault: compact ${table.name} ${day} (${live.length} files)`,
    });
  } finally {
    await rm(path, { force: true });
  }
  ctx.log.info({ dataset: table.name, day, files: live.length, rows: written }, 'vault partition compacted');
  return {
    dataset: table.name,
    day,
    inputs: live.length,
    removed: live.length + removeOnly.length,
    rows: written,
    key,
  };
}

const byVideoId = (a: Record<string, unknown>, b: Record<string, unknown>): number => {
  const x = a.video_id as string;
  const y = b.video_id as string;
  return x < y ? -1 : x > y ? 1 : 0;
};

/**
 * Video ids that cut a day of `rows` rows into ranges of about `sortRows` rows each (none when
 * it fits in one), from a sample of the ids: every n-th id of the video_id column alone.
 */
async function splitPoints(sources: Uint8Array[], rows: number, sortRows: number): Promise<string[]> {
  const pieces = Math.ceil(rows / sortRows);
  if (pieces <= 1) return [];
  const step = Math.max(1, Math.floor(rows / (pieces * 200)));
  const sample: string[] = [];
  let i = 0;
  for (const bytes of sources)
    for await (const group of readParquetGroups(bytes, { columns: ['video_id'] }))
      for (const r of group) if (i++ % step === 0) sample.push(r.video_id as string);
  sample.sort();
  const bounds: string[] = [];
  for (let k = 1; k < pieces; k++) {
    const b = sample[Math.floor((k * sample.length) / pieces)]!;
    if (b !== bounds.at(-1)) bounds.push(b);
  }
  return bounds;
}
