import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import {
  type AsyncBuffer,
  type Compressors,
  parquetMetadataAsync,
  parquetQuery,
  parquetReadObjects,
} from 'hyparquet';
import type { AnyTableSpec, TableSpec } from './schema.ts';
import { schemaTag } from './schema.ts';

export type Codec = 'GZIP' | 'SNAPPY' | 'UNCOMPRESSED';

export interface WriteOptions {
  codec: Codec;
  /** Key-value metadata stored in the file footer (besides the schema tag). */
  metadata?: Record<string, string>;
  rowGroupSize?: number;
}

/**
 * Writes rows of a table to a Parquet file. One interface so that the library behind it can change:
 * bench/vault.ts measures the candidates through it.
 */
export interface ParquetEngine {
  readonly name: string;
  /** Opens `path`, returns an appender; rows are objects keyed by column name, timestamps epoch ms. */
  open(path: string, table: TableSpec, opts: WriteOptions): Promise<TableWriter>;
}

export interface TableWriter {
  append(row: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

// @dsnp/parquetjs ships CommonJS typings without a usable default export type.
type Dsnp = {
  ParquetSchema: new (def: Record<string, unknown>) => { fields: Record<string, unknown> };
  ParquetWriter: {
    openFile(
      schema: unknown,
      path: string,
      opts?: Record<string, unknown>,
    ): Promise<{
      appendRow(row: Record<string, unknown>): Promise<void>;
      setMetadata(k: string, v: string): void;
      close(): Promise<void>;
    }>;
  };
};

/**
 * Loaded on the first file written: the writer and its dependencies (an S3 client among them) add
 * about 38 MB to a process's RSS, and most workers (the tracker's) never write Parquet.
 */
let dsnp: Promise<Dsnp> | null = null;
const loadDsnp = (): Promise<Dsnp> => {
  dsnp ??= import('@dsnp/parquetjs').then((m) => (m.default ?? m) as unknown as Dsnp);
  return dsnp;
};

const DSNP_TYPES = {
  string: { type: 'UTF8' },
  int32: { type: 'INT32' },
  int64: { type: 'INT64' },
  timestamp_ms: { type: 'TIMESTAMP_MILLIS' },
  string_list: { type: 'UTF8', repeated: true },
  bool: { type: 'BOOLEAN' },
  date: { type: 'DATE' },
} as const;

/** Opens a Parquet file for any table, column types of the event logs and exports included. */
export async function openParquet(
  path: string,
  table: AnyTableSpec,
  opts: WriteOptions,
): Promise<TableWriter> {
  const def: Record<string, unknown> = {};
  for (const c of table.columns)
    def[c.name] = {
      ...DSNP_TYPES[c.type],
      ...(c.nullable ? { optional: true } : {}),
      compression: opts.codec,
    };
  const { ParquetSchema, ParquetWriter } = await loadDsnp();
  const w = await ParquetWriter.openFile(new ParquetSchema(def), path, {
    rowGroupSize: opts.rowGroupSize ?? 50_000,
  });
  w.setMetadata('pleiades.schema', schemaTag(table));
  for (const [k, v] of Object.entries(opts.metadata ?? {})) w.setMetadata(k, v);
  return {
    append: (row) => w.appendRow(row),
    close: () => w.close(),
  };
}

/** @dsnp/parquetjs: maintained, and about twice as fast as parquetjs-lite here (bench/vault.ts). */
export const dsnpEngine: ParquetEngine = {
  name: '@dsnp/parquetjs',
  open: (path, table, opts) => openParquet(path, table, opts),
};

const isPlain = (t: AnyTableSpec): t is TableSpec =>
  t.columns.every((c) => c.type !== 'bool' && c.type !== 'date');

/** Opens `path` with `engine` when it knows the table's column types, else with @dsnp/parquetjs. */
export const openWith = (
  engine: ParquetEngine,
  path: string,
  table: AnyTableSpec,
  opts: WriteOptions,
): Promise<TableWriter> => (isPlain(table) ? engine.open(path, table, opts) : openParquet(path, table, opts));

/** Writes all `rows` to `path` in one go. */
export async function writeTable(
  engine: ParquetEngine,
  path: string,
  table: AnyTableSpec,
  rows: Iterable<Record<string, unknown>>,
  opts: WriteOptions,
): Promise<number> {
  const w = await openWith(engine, path, table, opts);
  let n = 0;
  try {
    for (const r of rows) {
      await w.append(r);
      n++;
    }
  } finally {
    await w.close();
  }
  return n;
}

// hyparquet decodes SNAPPY itself; GZIP comes from node:zlib.
const compressors: Compressors = { GZIP: (input) => new Uint8Array(gunzipSync(input)) };

const asyncBuffer = (bytes: Uint8Array): AsyncBuffer => {
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return { byteLength: ab.byteLength, slice: (start, end) => ab.slice(start, end) };
};

// Timestamps as epoch ms numbers, not Dates: rows are copied between files unchanged.
const parsers = { timestampFromMilliseconds: (ms: bigint) => Number(ms) };

/** Every row of a Parquet file, as objects. */
export async function readParquetRows(bytes: Uint8Array): Promise<Record<string, unknown>[]> {
  return parquetReadObjects({ file: asyncBuffer(bytes), compressors, parsers });
}

/** Rows whose `column` equals `value`; row groups whose statistics exclude it are skipped. */
export async function readParquetWhere(
  bytes: Uint8Array,
  column: string,
  value: string,
): Promise<Record<string, unknown>[]> {
  return parquetQuery({
    file: asyncBuffer(bytes),
    compressors,
    parsers,
    filter: { [column]: { $eq: value } },
  });
}

/**
 * The rows of a file one row group at a time (memory holds one group, not the file), only `columns`
 * when given; timestamps as epoch ms.
 */
export async function* readParquetGroups(
  bytes: Uint8Array,
  opts: { columns?: string[] } = {},
): AsyncGenerator<Record<string, unknown>[]> {
  const file = asyncBuffer(bytes);
  const metadata = await parquetMetadataAsync(file);
  const present = new Set(metadata.schema.slice(1).map((e) => e.name));
  const columns = opts.columns?.filter((c) => present.has(c));
  let start = 0;
  for (const g of metadata.row_groups) {
    const end = start + Number(g.num_rows);
    yield await parquetReadObjects({
      file,
      metadata,
      compressors,
      parsers,
      rowStart: start,
      rowEnd: end,
      ...(columns ? { columns } : {}),
    });
    start = end;
  }
}

/** Number of rows and key-value metadata, from the footer alone. */
export async function parquetInfo(
  bytes: Uint8Array,
): Promise<{ rows: number; metadata: Record<string, string> }> {
  const md = await parquetMetadataAsync(asyncBuffer(bytes));
  const metadata: Record<string, string> = {};
  for (const kv of md.key_value_metadata ?? []) metadata[kv.key] = kv.value ?? '';
  return { rows: Number(md.num_rows), metadata };
}

export const readLocalFile = async (path: string): Promise<Uint8Array> =>
  new Uint8Array(await readFile(path));
