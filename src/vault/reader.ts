import { gunzipSync } from 'node:zlib';
import {
  type AsyncBuffer,
  type FileMetaData,
  parquetMetadataAsync,
  parquetReadObjects,
  parquetSchema,
} from 'hyparquet';
import { PART_RE } from './parts.ts';
import type { RangeFile, VaultObject, VaultProvider } from './provider.ts';

/**
 * Reads one video's rows out of the vault for the explorer, without DuckDB (its native binary is
 * 68 MB; the production install must stay small) and without reading whole files:
 * 1. `dt` pruning: only day partitions from `fromDay` (the video's discovery day) on are opened;
 * 2. footers are parsed once per file key and kept: a key names an immutable file (a flush rewritten
 *    after a crash yields the same bytes, a compaction writes a new key), so the cache never goes stale;
 * 3. row-group pruning: only row groups whose `video_id` min/max statistics contain the id are read,
 *    by byte range where the provider offers it (local disk), the rest of the file is never touched.
 * bench/explorer.ts measures it on a vault of 10M snapshots.
 */

export interface VaultReaderOptions {
  /** How long a listing of a dataset is reused (ms): flushes add files; default 5 s. */
  listTtlMs?: number;
  /** Footers kept (one per file); default 20 000. */
  maxFooters?: number;
  /** Bytes of whole files kept for providers without ranged reads (GCS, HF); default 64 MiB. */
  maxCachedBytes?: number;
}

export interface ReadFilter {
  /** First UTC day (YYYY-MM-DD) whose partition may hold rows; earlier ones are not opened. */
  fromDay?: string;
  /** Last UTC day. */
  toDay?: string;
}

export interface VaultReader {
  /** Rows of `dataset` whose `video_id` is `videoId`, in file order. */
  rowsFor(dataset: string, videoId: string, filter?: ReadFilter): Promise<Record<string, unknown>[]>;
  /** Rows of `dataset` whose `video_id` is in `ids` (the channel page), in file order. */
  rowsForMany(dataset: string, ids: Set<string>, filter?: ReadFilter): Promise<Record<string, unknown>[]>;
  /** Published part files of a dataset (listing cached for `listTtlMs`). */
  files(dataset: string): Promise<VaultObject[]>;
  stats(): { footers: number; cachedBytes: number; groupsRead: number; groupsSkipped: number };
}

const compressors = { GZIP: (input: Uint8Array) => new Uint8Array(gunzipSync(input)) };
// Timestamps as epoch ms numbers (as src/vault/parquet.ts reads them).
const parsers = { timestampFromMilliseconds: (ms: bigint) => Number(ms) };
const dayOf = (key: string): string | null => /\/dt=(\d{4}-\d{2}-\d{2})\//.exec(key)?.[1] ?? null;

/** A small LRU on Map's insertion order. */
class Lru<V> {
  private readonly map = new Map<string, V>();
  private readonly max: number;
  private readonly weight: (v: V) => number;
  constructor(max: number, weight: (v: V) => number = () => 1) {
    this.max = max;
    this.weight = weight;
  }
  total = 0;
  get size(): number {
    return this.map.size;
  }
  get(k: string): V | undefined {
    const v = this.map.get(k);
    if (v !== undefined) {
      this.map.delete(k);
      this.map.set(k, v);
    }
    return v;
  }
  set(k: string, v: V): void {
    const old = this.map.get(k);
    if (old !== undefined) this.total -= this.weight(old);
    this.map.delete(k);
    this.map.set(k, v);
    this.total += this.weight(v);
    while (this.total > this.max && this.map.size > 1) {
      const [first, fv] = this.map.entries().next().value as [string, V];
      this.map.delete(first);
      this.total -= this.weight(fv);
    }
  }
}

const bufferOf = (bytes: Uint8Array): AsyncBuffer => {
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return { byteLength: ab.byteLength, slice: (s, e) => ab.slice(s, e) };
};
const bufferOfRange = (f: RangeFile): AsyncBuffer => ({
  byteLength: f.size,
  slice: (s, e) => f.read(s, e ?? f.size),
});

/** Whether a row group may hold a value of `column` in `ids` (true when it has no statistics). */
function groupMayHold(md: FileMetaData, g: number, column: string, lo: string, hi: string): boolean {
  const chunk = md.row_groups[g]!.columns.find((c) => c.meta_data?.path_in_schema[0] === column);
  const st = chunk?.meta_data?.statistics;
  const min = st?.min_value;
  const max = st?.max_value;
  if (typeof min !== 'string' || typeof max !== 'string') return true;
  return !(hi < min || lo > max);
}

/** The byte range of a row group's column chunks. */
function groupRange(md: FileMetaData, g: number): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = 0;
  for (const c of md.row_groups[g]!.columns) {
    const m = c.meta_data;
    if (!m) continue;
    const from = Number(m.dictionary_page_offset ?? m.data_page_offset);
    lo = Math.min(lo, from);
    hi = Math.max(hi, from + Number(m.total_compressed_size));
  }
  return [lo, hi];
}

/**
 * The rows of one row group that `keep` accepts: the group's bytes in ONE read, then the video_id
 * column alone, then every column only for the span of rows that matched (contiguous in files sorted
 * by video_id), so the objects built are the video's rows, not the group's.
 */
async function readGroup(
  file: AsyncBuffer,
  md: FileMetaData,
  g: number,
  start: number,
  end: number,
  keep: (id: string) => boolean,
): Promise<Record<string, unknown>[]> {
  const [lo, hi] = groupRange(md, g);
  const bytes = Number.isFinite(lo) ? await file.slice(lo, hi) : null;
  const local: AsyncBuffer = {
    byteLength: file.byteLength,
    slice: (s, e = file.byteLength) =>
      bytes && s >= lo && e <= hi ? bytes.slice(s - lo, e - lo) : file.slice(s, e),
  };
  const ids = await parquetReadObjects({
    file: local,
    metadata: md,
    compressors,
    columns: ['video_id'],
    rowStart: start,
    rowEnd: end,
  });
  let first = -1;
  let last = -1;
  for (let i = 0; i < ids.length; i++)
    if (keep(ids[i]!.video_id as string)) {
      if (first < 0) first = i;
      last = i;
    }
  if (first < 0) return [];
  // The other columns for the matched span; video_id is known from the first read.
  const columns = parquetSchema(md)
    .children.map((c) => c.element.name)
    .filter((c) => c !== 'video_id');
  const rows = await parquetReadObjects({
    file: local,
    metadata: md,
    compressors,
    parsers,
    columns,
    rowStart: start + first,
    rowEnd: start + last + 1,
  });
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < rows.length; i++) {
    const id = ids[first + i]!.video_id as string;
    if (keep(id)) out.push({ video_id: id, ...rows[i] });
  }
  return out;
}

export function createVaultReader(provider: VaultProvider, opts: VaultReaderOptions = {}): VaultReader {
  const listTtl = opts.listTtlMs ?? 5000;
  const footers = new Lru<FileMetaData>(opts.maxFooters ?? 20_000);
  const whole = new Lru<Uint8Array>(opts.maxCachedBytes ?? 64 * 1024 * 1024, (b) => b.byteLength);
  const listings = new Map<string, { at: number; files: Promise<VaultObject[]> }>();
  const counters = { groupsRead: 0, groupsSkipped: 0 };

  async function files(dataset: string): Promise<VaultObject[]> {
    const hit = listings.get(dataset);
    if (hit && Date.now() - hit.at < listTtl) return hit.files;
    const p = provider
      .list(`${dataset}/`)
      .then((all) => all.filter((o) => PART_RE.test(o.key.slice(o.key.lastIndexOf('/') + 1))));
    listings.set(dataset, { at: Date.now(), files: p });
    p.catch(() => listings.delete(dataset));
    return p;
  }

  /** The file as an AsyncBuffer, and what to release after. */
  async function open(o: VaultObject): Promise<{ file: AsyncBuffer; close(): Promise<void> }> {
    if (provider.openRange) {
      const f = await provider.openRange(o.key);
      return { file: bufferOfRange(f), close: () => f.close() };
    }
    let bytes = whole.get(o.key);
    if (!bytes) {
      bytes = await provider.read(o.key);
      whole.set(o.key, bytes);
    }
    return { file: bufferOf(bytes), close: async () => {} };
  }

  async function readFile(
    o: VaultObject,
    lo: string,
    hi: string,
    keep: (id: string) => boolean,
  ): Promise<Record<string, unknown>[]> {
    const md0 = footers.get(o.key);
    // With a cached footer, a file none of whose groups can hold the id is never opened.
    if (md0 && !md0.row_groups.some((_, g) => groupMayHold(md0, g, 'video_id', lo, hi))) {
      counters.groupsSkipped += md0.row_groups.length;
      return [];
    }
    const { file, close } = await open(o);
    try {
      let md = md0;
      if (!md) {
        md = await parquetMetadataAsync(file);
        footers.set(o.key, md);
      }
      const out: Record<string, unknown>[] = [];
      let start = 0;
      for (let g = 0; g < md.row_groups.length; g++) {
        const end = start + Number(md.row_groups[g]!.num_rows);
        if (groupMayHold(md, g, 'video_id', lo, hi)) {
          counters.groupsRead++;
          out.push(...(await readGroup(file, md, g, start, end, keep)));
        } else counters.groupsSkipped++;
        start = end;
      }
      return out;
    } finally {
      await close();
    }
  }

  async function rowsWhere(
    dataset: string,
    lo: string,
    hi: string,
    keep: (id: string) => boolean,
    filter: ReadFilter,
  ): Promise<Record<string, unknown>[]> {
    const candidates = (await files(dataset)).filter((o) => {
      const day = dayOf(o.key);
      return (
        day !== null && (!filter.fromDay || day >= filter.fromDay) && (!filter.toDay || day <= filter.toDay)
      );
    });
    // A few files at a time: local reads overlap, and memory holds a few row groups, not the vault.
    const out: Record<string, unknown>[][] = new Array(candidates.length);
    let next = 0;
    const worker = async () => {
      while (next < candidates.length) {
        const i = next++;
        out[i] = await readFile(candidates[i]!, lo, hi, keep);
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, candidates.length) }, worker));
    return out.flat();
  }

  return {
    files,
    rowsFor: (dataset, videoId, filter = {}) =>
      rowsWhere(dataset, videoId, videoId, (id) => id === videoId, filter),
    rowsForMany(dataset, ids, filter = {}) {
      if (ids.size === 0) return Promise.resolve([]);
      const sorted = [...ids].sort();
      return rowsWhere(dataset, sorted[0]!, sorted.at(-1)!, (id) => ids.has(id), filter);
    },
    stats: () => ({ footers: footers.size, cachedBytes: whole.total, ...counters }),
  };
}
