import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { finished } from 'node:stream/promises';
import { DAY_MS } from '../clock.ts';
import { ValidationError } from '../errors/index.ts';
import { openParquet, parquetInfo, readParquetGroups, type TableWriter } from '../vault/parquet.ts';
import { PART_RE } from '../vault/parts.ts';
import type { VaultProvider } from '../vault/provider.ts';
import { type AnyTableSpec, KAGGLE_TABLE, parseSchemaTag, schemaTag, TIDY_TABLE } from '../vault/schema.ts';
import { type CountingNote, notesBetween } from './notes.ts';

/**
 * Research exports of the vault, for a range of UTC days (of `taken_at`, i.e. the `dt` partitions):
 * `kaggle` (CSV or Parquet) in the columns of Kaggle's Trending YouTube Video Statistics, and `parquet`,
 * one tidy file. Every snapshot of the range is one row, joined with its video's metadata and its title
 * as of the snapshot (title changes from `lifecycle/`). Files are read one row group at a time.
 */
export type ExportFormat = 'kaggle' | 'parquet';

export interface ExportOptions {
  provider: VaultProvider;
  format: ExportFormat;
  /** Only for `kaggle`: CSV (default) or Parquet. */
  fileType?: 'csv' | 'parquet';
  /** First and last UTC day (YYYY-MM-DD, inclusive); omitted: open. */
  from?: string;
  to?: string;
  out: string;
  /** Only these videos (`--videos <file>`). */
  videos?: Set<string>;
  /** Only the videos of this channel, as the vault's videos/ records them (`--channel`). */
  channel?: string;
  /**
   * Every video on a regular grid (`--resample 1h|1d`): one row per grid time from its first snapshot
   * to the export's last, the last value carried, and `observed` saying whether a snapshot was taken
   * in the grid step ending there. Holds the selected rows in memory: narrow with the filters above.
   */
  resample?: '1h' | '1d';
  onProgress?: (done: number, total: number) => void;
}

export interface ExportResult {
  out: string;
  rows: number;
  videos: number;
  schema: string;
  /** Schema tags of the metrics files read (a reader of every version so far). */
  sources: string[];
  notes: CountingNote[];
}

/** Video metadata as the vault's `videos/` holds it (any schema version: columns by name). */
interface VideoMeta {
  channel_id?: string;
  channel_title?: string;
  title?: string;
  description?: string;
  tags?: string[];
  category_id?: number | null;
  category_name?: string | null;
  duration_s?: number | null;
  published_at?: number;
  discovered_at?: number;
  channel_subscribers?: bigint | null;
  channel_video_count?: bigint | null;
  channel_country?: string | null;
}

/** A snapshot as any `metrics/` version stores it; later versions only add columns. */
interface Snapshot {
  video_id: string;
  taken_at: number;
  due_at: number;
  views?: bigint | null;
  likes?: bigint | null;
  comments?: bigint | null;
  tier?: string;
}

const dayOfKey = (key: string): string | null => /\/dt=(\d{4}-\d{2}-\d{2})\//.exec(key)?.[1] ?? null;

/** Published files of a dataset whose day partition lies in [from, to]. */
async function filesIn(provider: VaultProvider, dataset: string, from?: string, to?: string) {
  return (await provider.list(`${dataset}/`)).filter((o) => {
    const day = dayOfKey(o.key);
    if (!day || !PART_RE.test(o.key.slice(o.key.lastIndexOf('/') + 1))) return false;
    return (!from || day >= from) && (!to || day <= to);
  });
}

/** Tags the way the Kaggle dataset writes them: "a"|"b", or [none]. */
export const kaggleTags = (tags: string[] | undefined): string =>
  tags?.length ? tags.map((t) => `"${t.replaceAll('"', '')}"`).join('|') : '[none]';

const num = (v: bigint | number | null | undefined): bigint | null =>
  v === null || v === undefined ? null : BigInt(v);

function titleAt(
  meta: VideoMeta | undefined,
  changes: { at: number; title: string }[] | undefined,
  t: number,
) {
  let title = meta?.title ?? null;
  for (const c of changes ?? []) if (c.at <= t) title = c.title;
  return title;
}

function kaggleRow(s: Snapshot, meta: VideoMeta | undefined, title: string | null): Record<string, unknown> {
  return {
    video_id: s.video_id,
    trending_date: Math.floor(s.taken_at / DAY_MS),
    title,
    channel_title: meta?.channel_title ?? null,
    category_id: meta?.category_id ?? null,
    publish_time: meta?.published_at ?? null,
    tags: meta ? kaggleTags(meta.tags) : null,
    views: num(s.views),
    likes: num(s.likes),
    // Not public since December 2021 (src/dataset/notes.ts).
    dislikes: null,
    comment_count: num(s.comments),
    thumbnail_link: `https://i.ytimg.com/vi/${s.video_id}/default.jpg`,
    comments_disabled: s.comments === null || s.comments === undefined,
    ratings_disabled: s.likes === null || s.likes === undefined,
    // A snapshot exists only when YouTube returned the video (lifecycle/ has the rest).
    video_error_or_removed: false,
    description: meta?.description ?? null,
    channel_id: meta?.channel_id ?? null,
    region: meta?.channel_country ?? null,
    snapshot_time: s.taken_at,
  };
}

function tidyRow(s: Snapshot, meta: VideoMeta | undefined, title: string | null): Record<string, unknown> {
  return {
    video_id: s.video_id,
    taken_at: s.taken_at,
    due_at: s.due_at,
    views: num(s.views),
    likes: num(s.likes),
    comments: num(s.comments),
    tier: s.tier ?? '',
    title,
    channel_id: meta?.channel_id ?? null,
    channel_title: meta?.channel_title ?? null,
    description: meta?.description ?? null,
    tags: meta?.tags ?? [],
    category_id: meta?.category_id ?? null,
    category_name: meta?.category_name ?? null,
    duration_s: meta?.duration_s ?? null,
    published_at: meta?.published_at ?? null,
    discovered_at: meta?.discovered_at ?? null,
    channel_subscribers: num(meta?.channel_subscribers),
    channel_video_count: num(meta?.channel_video_count),
    channel_country: meta?.channel_country ?? null,
  };
}

// ---- CSV ------------------------------------------------------------------------------------------

const csvCell = (v: unknown, type: string): string => {
  if (v === null || v === undefined) return '';
  if (type === 'bool') return v ? 'True' : 'False';
  if (type === 'date') return new Date((v as number) * DAY_MS).toISOString().slice(0, 10);
  if (type === 'timestamp_ms') return new Date(v as number).toISOString();
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

function csvWriter(path: string, table: AnyTableSpec): TableWriter {
  const out = createWriteStream(path);
  const write = (line: string) =>
    out.write(`${line}\n`) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', () => r()));
  let header = false;
  return {
    async append(row) {
      if (!header) {
        header = true;
        await write(table.columns.map((c) => c.name).join(','));
      }
      await write(table.columns.map((c) => csvCell(row[c.name], c.type)).join(','));
    },
    async close() {
      if (!header) await write(table.columns.map((c) => c.name).join(','));
      out.end();
      await finished(out);
    },
  };
}

const RESAMPLE_MS = { '1h': 3_600_000, '1d': DAY_MS } as const;

/** The table with the resampled exports' `observed` flag as its last column. */
const withObserved = (t: AnyTableSpec): AnyTableSpec => ({
  ...t,
  columns: [...t.columns, { name: 'observed', type: 'bool', nullable: false }],
});

/** The videos `--videos` and `--channel` select (both: those in both); undefined: every video. */
async function selectedVideos(o: ExportOptions): Promise<Set<string> | undefined> {
  if (!o.channel) return o.videos;
  const ofChannel = new Set<string>();
  for (const f of await filesIn(o.provider, 'videos'))
    for await (const rows of readParquetGroups(await o.provider.read(f.key), {
      columns: ['video_id', 'channel_id'],
    }))
      for (const r of rows)
        if (r.channel_id === o.channel && (!o.videos || o.videos.has(r.video_id as string)))
          ofChannel.add(r.video_id as string);
  return ofChannel;
}

/**
 * Each video on a grid of `step` ms: from the first grid time at or after its first snapshot to the
 * last grid time at or before the export's last snapshot. A grid row carries the last snapshot taken
 * at or before it (taken_at becomes the grid time; due_at stays the snapshot's), and is `observed` when
 * that snapshot was taken within the step ending at the grid time.
 */
export function* resampled(series: Map<string, Snapshot[]>, step: number): Generator<[Snapshot, boolean]> {
  let end = 0;
  for (const list of series.values()) for (const s of list) end = Math.max(end, s.taken_at);
  end = Math.floor(end / step) * step;
  for (const list of [...series.values()]) {
    list.sort((a, b) => a.taken_at - b.taken_at);
    let i = 0;
    for (let g = Math.ceil(list[0]!.taken_at / step) * step; g <= end; g += step) {
      while (i + 1 < list.length && list[i + 1]!.taken_at <= g) i++;
      const s = list[i]!;
      yield [{ ...s, taken_at: g }, s.taken_at > g - step];
    }
  }
}

/** Writes the export; the file appears under `out` only when complete. */
export async function exportDataset(o: ExportOptions): Promise<ExportResult> {
  for (const d of [o.from, o.to])
    if (d !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(d))
      throw new ValidationError([{ field: '--from/--to', message: 'expected a date as YYYY-MM-DD' }]);
  let table = o.format === 'kaggle' ? KAGGLE_TABLE : TIDY_TABLE;
  const fileType = o.format === 'kaggle' ? (o.fileType ?? 'csv') : 'parquet';
  const metricsFiles = await filesIn(o.provider, 'metrics', o.from, o.to);
  const wanted = await selectedVideos(o);
  if (o.resample) table = withObserved(table);

  // 1. The ids in range (one column), and the rows to expect (footers).
  const ids = new Set<string>();
  let total = 0;
  const sources = new Set<string>();
  for (const f of metricsFiles) {
    const bytes = await o.provider.read(f.key);
    const info = await parquetInfo(bytes);
    const tag = parseSchemaTag(info.metadata['pleiades.schema'], 'metrics');
    if (tag.name !== 'metrics') continue;
    sources.add(`${tag.name}/${tag.version}`);
    total += info.rows;
    for await (const rows of readParquetGroups(bytes, { columns: ['video_id'] }))
      for (const r of rows) if (!wanted || wanted.has(r.video_id as string)) ids.add(r.video_id as string);
  }
  // 2. Their metadata, and their title changes.
  const meta = new Map<string, VideoMeta>();
  for (const f of await filesIn(o.provider, 'videos'))
    for await (const rows of readParquetGroups(await o.provider.read(f.key)))
      for (const r of rows) if (ids.has(r.video_id as string)) meta.set(r.video_id as string, r as VideoMeta);
  const titles = new Map<string, { at: number; title: string }[]>();
  for (const f of await filesIn(o.provider, 'lifecycle'))
    for await (const rows of readParquetGroups(await o.provider.read(f.key)))
      for (const r of rows) {
        if (r.event !== 'title_changed' || !ids.has(r.video_id as string) || typeof r.detail !== 'string')
          continue;
        const list = titles.get(r.video_id as string) ?? [];
        list.push({ at: r.seen_at as number, title: r.detail });
        titles.set(r.video_id as string, list);
      }
  for (const list of titles.values()) list.sort((a, b) => a.at - b.at);

  // 3. The rows, file by file, row group by row group.
  const notes = notesBetween(o.from, o.to);
  const range = `${o.from ?? ''}..${o.to ?? ''}`;
  const tmp = `${o.out}.tmp`;
  await mkdir(dirname(o.out), { recursive: true });
  const w =
    fileType === 'csv'
      ? csvWriter(tmp, table)
      : await openParquet(tmp, table, {
          codec: 'GZIP',
          metadata: {
            'pleiades.range': range,
            'pleiades.sources': [...sources].sort().join(','),
            'pleiades.notes': JSON.stringify(notes),
          },
        });
  let done = 0;
  let written = 0;
  const emit = async (s: Snapshot, observed?: boolean) => {
    const m = meta.get(s.video_id);
    const title = titleAt(m, titles.get(s.video_id), s.taken_at);
    const row = o.format === 'kaggle' ? kaggleRow(s, m, title) : tidyRow(s, m, title);
    await w.append(observed === undefined ? row : { ...row, observed });
    written++;
  };
  // Resampling needs each video's rows together, in time order: they are gathered first.
  const series = new Map<string, Snapshot[]>();
  try {
    for (const f of metricsFiles) {
      const bytes = await o.provider.read(f.key);
      if (
        parseSchemaTag((await parquetInfo(bytes)).metadata['pleiades.schema'], 'metrics').name !== 'metrics'
      )
        continue;
      for await (const rows of readParquetGroups(bytes)) {
        for (const r of rows) {
          const s = r as unknown as Snapshot;
          if (!ids.has(s.video_id)) continue;
          if (!o.resample) await emit(s);
          else {
            const list = series.get(s.video_id) ?? [];
            series.set(s.video_id, list);
            list.push(s);
          }
        }
        done += rows.length;
        o.onProgress?.(done, total);
      }
    }
    if (o.resample)
      for (const [s, observed] of resampled(series, RESAMPLE_MS[o.resample])) await emit(s, observed);
    await w.close();
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await rename(tmp, o.out);
  const result: ExportResult = {
    out: o.out,
    rows: written,
    videos: ids.size,
    schema: schemaTag(table),
    sources: [...sources].sort(),
    notes,
  };
  // CSV has no footer: its schema, range and notes go next to it.
  if (fileType === 'csv')
    await writeFile(
      `${o.out}.meta.json`,
      `${JSON.stringify({ schema: result.schema, range, rows: written, sources: result.sources, columns: table.columns, notes }, null, 2)}\n`,
    );
  return result;
}
