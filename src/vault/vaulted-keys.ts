import { readParquetGroups } from './parquet.ts';
import type { VaultProvider } from './provider.ts';

/** The exactly-once key of a row: its key columns' values joined (the audit uses the same). */
export const rowKey = (row: Record<string, unknown>, columns: readonly string[]): string =>
  columns.map((c) => String(row[c])).join('|');

/**
 * The keys already published in a partition (`metrics/dt=2026-11-20/`), from every file but `except`
 * (the file about to be written again, when a crashed flush is redone). Only the key columns are read.
 * This is what lets a flush refuse a row the vault holds already, whatever wrote it: uniqueness in
 * staging alone does not cover a file left by another path (a restore, a copy, a bug). The cost is a
 * read of the partition's key columns per flush, until compaction merges the day's files into one.
 */
export async function keysInPartition(
  provider: VaultProvider,
  partition: string,
  columns: readonly string[],
  except: string,
): Promise<Set<string>> {
  const keys = new Set<string>();
  for (const o of await provider.list(partition)) {
    if (o.key === except || !o.key.endsWith('.parquet')) continue;
    for await (const rows of readParquetGroups(await provider.read(o.key), { columns: [...columns] }))
      for (const row of rows) keys.add(rowKey(row, columns));
  }
  return keys;
}
