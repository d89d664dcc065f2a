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
 *    Compacted days are sorted by video_id in groups of 256 rows (src/vault/compact.ts), so that is
 *    one small group a day;
 * 4. on local disk, files stay open (an LRU of handles): a year of history is 365 preads, not 365
 *    open + stat + read + close round trips through libuv's thread pool.
 * bench/explorer.ts measures it on a vault of 10M snapshots.
 */

export interface VaultReaderOptions {
  /** How long a listing of a dataset is reused (ms): flushes add files; default 5 s. */
  listTtlMs?: number;
  /** Footers kept (one per file); default 20 000. */
  maxFooters?: number;
  /** Bytes of whole files kept for providers without ranged reads (GCS, HF); default 64 MiB. */
  maxCachedBytes?: number;
  /**
   * Files kept open for ranged reads (local disk); default 1 024. A year of history is one group in
   * each of 365 day files: with the handle kept, a warm read is one pread, not open + stat + read +
   * close. Handles of files a compaction removed are closed when the next listing no longer has them,
   * and all of them by `close()` (the dashboard's, when it stops).
   */
  maxOpenFiles?: number;
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
  /**
   * Closes the files it keeps open (a file being read closes when its read ends). Node 24 closes a
   * forgotten handle when the garbage collector finds it, with a warning; Node 25 throws instead
   * (DEP0137, End-of-Life in nodejs/node#58536), which would end the process. A later read opens
   * what it needs again.
   */
  close(): Promise<void>;
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

interface Handle {
  key: string;
  file: RangeFile;
  users: number;
  evicted: boolean;
}

/**
 * Open files by key, least recently used closed first; a handle in use is closed when its last
 * reader releases it. Files are immutable, so a kept handle never reads stale bytes.
 */
class OpenFiles {
  private readonly open = new Map<string, Promise<Handle>>();
  private readonly opener: (key: string) => Promise<RangeFile>;
  private readonly max: number;
  constructor(opener: (key: string) => Promise<RangeFile>, max: number) {
    this.opener = opener;
    this.max = max;
  }
  async acquire(key: string): Promise<Handle> {
    let p = this.open.get(key);
    if (p) {
      this.open.delete(key);
      this.open.set(key, p);
    } else {
      p = this.opener(key).then((file) => ({ key, file, users: 0, evicted: false }));
      this.open.set(key, p);
      p.catch(() => this.open.delete(key));
      while (this.open.size > this.max) {
        const [k, old] = this.open.entries().next().value as [string, Promise<Handle>];
        this.open.delete(k);
        void old.then((h) => this.evict(h)).catch(() => {});
      }
    }
    const h = await p;
    // Evicted (and closed) while this caller waited for it: open it again.
    if (h.evicted && h.users === 0) return this.acquire(key);
    h.users++;
    return h;
  }
  release(h: Handle): void {
    h.users--;
    if (h.evicted && h.users === 0) void h.file.close().catch(() => {});
  }
  /** Closes the handles under `prefix` whose key is no longer listed (a compaction removed it). */
  keepOnly(prefix: string, keys: Set<string>): void {
    for (const [k, p] of this.open)
      if (k.startsWith(prefix) && !keys.has(k)) {
        this.open.delete(k);
        void p.then((h) => this.evict(h)).catch(() => {});
      }
  }
  /** Evicts every handle: each closes now, or when its last reader releases it. */
  async closeAll(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map((p) => p.then((h) => this.evict(h)).catch(() => {})));
  }
  private evict(h: Handle): Promise<void> {
    h.evicted = true;
    return h.users === 0 ? h.file.close().catch(() => {}) : Promise.resolve();
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

/** A footer and, per row group, its first row and its video_id range (null: no statistics). */
interface Footer {
  md: FileMetaData;
  start: number[];
  min: (string | null)[];
  max: (string | null)[];
}

function footerOf(md: FileMetaData): Footer {
  const f: Footer = { md, start: [], min: [], max: [] };
  let start = 0;
  for (const g of md.row_groups) {
    const st = g.columns.find((c) => c.meta_data?.path_in_schema[0] === 'video_id')?.meta_data?.statistics;
    const ok = typeof st?.min_value === 'string' && typeof st?.max_value === 'string';
    f.start.push(start);
    f.min.push(ok ? (st!.min_value as string) : null);
    f.max.push(ok ? (st!.max_value as string) : null);
    start += Number(g.num_rows);
  }
  f.start.push(start);
  return f;
}

/** The row groups that may hold a video_id in [lo, hi] (all of those without statistics). */
function groupsFor(f: Footer, lo: string, hi: string): number[] {
  const out: number[] = [];
  for (let g = 0; g < f.min.length; g++) {
    const min = f.min[g] ?? null;
    const max = f.max[g] ?? null;
    if (min === null || max === null || !(hi < min || lo > max)) out.push(g);
  }
  return out;
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
  const footers = new Lru<Footer>(opts.maxFooters ?? 20_000);
  const whole = new Lru<Uint8Array>(opts.maxCachedBytes ?? 64 * 1024 * 1024, (b) => b.byteLength);
  const listings = new Map<string, { at: number; files: Promise<VaultObject[]> }>();
  const counters = { groupsRead: 0, groupsSkipped: 0 };
  const maxOpen = provider.openRange ? (opts.maxOpenFiles ?? 1024) : 0;
  const handles = new OpenFiles((key) => provider.openRange!(key), maxOpen);

  async function files(dataset: string): Promise<VaultObject[]> {
    const hit = listings.get(dataset);
    if (hit && Date.now() - hit.at < listTtl) return hit.files;
    const p = provider
      .list(`${dataset}/`)
      .then((all) => all.filter((o) => PART_RE.test(o.key.slice(o.key.lastIndexOf('/') + 1))))
      .then((list) => {
        handles.keepOnly(`${dataset}/`, new Set(list.map((o) => o.key)));
        return list;
      });
    listings.set(dataset, { at: Date.now(), files: p });
    p.catch(() => listings.delete(dataset));
    return p;
  }

  /** The file as an AsyncBuffer, and what to release after. */
  async function open(o: VaultObject): Promise<{ file: AsyncBuffer; close(): Promise<void> }> {
    if (provider.openRange) {
      if (maxOpen > 0) {
        const h = await handles.acquire(o.key);
        return { file: bufferOfRange(h.file), close: async () => handles.release(h) };
      }
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
    const f0 = footers.get(o.key);
    // With a cached footer, a file none of whose groups can hold the id is never opened.
    if (f0 && groupsFor(f0, lo, hi).length === 0) {
      counters.groupsSkipped += f0.min.length;
      return [];
    }
    const { file, close } = await open(o);
    try {
      let f = f0;
      if (!f) {
        f = footerOf(await parquetMetadataAsync(file));
        footers.set(o.key, f);
      }
      const groups = groupsFor(f, lo, hi);
      counters.groupsRead += groups.length;
      counters.groupsSkipped += f.min.length - groups.length;
      const out: Record<string, unknown>[] = [];
      for (const g of groups)
        out.push(...(await readGroup(file, f.md, g, f.start[g]!, f.start[g + 1]!, keep)));
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
    close: () => handles.closeAll(),
  };
}
