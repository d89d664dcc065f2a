import type { Clock } from '../clock.ts';
import type { FlushRecord } from '../dao/vault-flushes.ts';
import type { Logger } from '../log.ts';
import type { Codec, ParquetEngine } from './parquet.ts';
import type { VaultProvider } from './provider.ts';
import type { VaultLog } from './schema.ts';

/**
 * What every vault flush shares (metrics and videos in flush.ts, the event logs in events.ts): where
 * and how files are written, the options of a run, and how parts and day partitions are named.
 */

export interface VaultContext {
  provider: VaultProvider;
  engine: ParquetEngine;
  codec: Codec;
  log: Logger;
}

/** The points of a flush, in order; tests stop a flush at each of them. */
export type FlushStep = 'recorded' | 'written' | 'uploaded' | 'finished';

export interface FlushOptions {
  clock: Clock;
  /** Flush whatever is staged, due or not. */
  force?: boolean;
  /** Flush when this many snapshots are staged; also the most rows one file range takes. */
  flushRows: number;
  /** …or when the oldest staged snapshot was taken this long ago. */
  flushIntervalMs: number;
  /** Hot videos discovered this long ago are vaulted even when the Painter never enriched them. */
  videoGraceMs?: number;
  onStep?: (step: FlushStep, rec: FlushRecord) => void | Promise<void>;
}

export interface FlushResult {
  files: number;
  rows: number;
  videos: number;
  /** Files and rows of the event logs (lifecycle/, gaps/, ranks/: src/vault/events.ts). */
  eventFiles?: number;
  events?: number;
  /** Set when nothing ran: another process holds the vault lock, or nothing was due. */
  skipped?: 'busy' | 'not-due';
}

const SEQ_DIGITS = 16;
export const padSeq = (n: bigint | number): string => String(n).padStart(SEQ_DIGITS, '0');
export const partName = (first: bigint | number, last: bigint | number): string =>
  `part-${padSeq(first)}-${padSeq(last)}.parquet`;
export const PART_RE = /^part-(\d+)-(\d+)\.parquet$/;
export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

type ParquetRow = Record<string, unknown>;

/**
 * An event log from how its staged rows read: the range reader of its DAO, the time that names a
 * row's `dt=` day, and its Parquet row (or rows: a staged gap is one row per video).
 */
export function vaultLog<T>(o: {
  staging: VaultLog['staging'];
  table: VaultLog['table'];
  about: string;
  read(db: Parameters<VaultLog['rows']>[0], firstSeq: bigint, lastSeq: bigint): Promise<T[]>;
  at(x: T): number;
  row(x: T): ParquetRow | ParquetRow[];
}): VaultLog {
  return {
    staging: o.staging,
    table: o.table,
    about: o.about,
    async rows(db, firstSeq, lastSeq) {
      return (await o.read(db, firstSeq, lastSeq)).flatMap((x) => {
        const day = utcDay(o.at(x));
        const rows = o.row(x);
        return (Array.isArray(rows) ? rows : [rows]).map((row) => ({ day, row }));
      });
    },
  };
}
