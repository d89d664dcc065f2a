import type { Part } from './compact.ts';
import { splitSuperseded } from './compact.ts';
import { METRICS_KEY } from './flush.ts';
import { parquetInfo, readParquetGroups } from './parquet.ts';
import { PART_RE } from './parts.ts';
import type { VaultProvider } from './provider.ts';
import { parseSchemaTag } from './schema.ts';
import { rowKey } from './vaulted-keys.ts';

/**
 * The vault integrity audit (`pleiades vault verify`). Reads every file of the tables with an
 * exactly-once key — metrics (video_id, due_at: one snapshot per planned time) and videos (video_id:
 * metadata written once) — and reports per table and day: rows, rows whose key is already in another
 * live file or earlier in the same one, schema versions, and files no recorded flush names. A file a
 * compaction merged into a larger one but has not deleted yet (a crash between publish and delete) is
 * "superseded": readers and this audit skip it, and the next compaction removes it.
 *
 * The reader is hyparquet (already a dependency, pure JS): DuckDB's native binary is 68 MB and only a
 * devDependency, and the production install has to stay small. Only the key columns are read, one row
 * group at a time; the set of keys seen is what memory holds (about 60 bytes a snapshot).
 */

export const AUDITED_TABLES = {
  metrics: METRICS_KEY,
  videos: ['video_id'],
} as const;
export type AuditedTable = keyof typeof AUDITED_TABLES;

export interface DayReport {
  table: AuditedTable;
  day: string;
  files: number;
  rows: number;
  duplicates: number;
  schemaVersions: number[];
  superseded: string[];
  /** Files whose name matches no flush in vault_flushes. */
  unrecorded: string[];
}

export interface VerifyReport {
  days: DayReport[];
  /** Days with no file between a table's first and last day. */
  missingDays: { table: AuditedTable; day: string }[];
  totals: { files: number; rows: number; duplicates: number; unrecorded: number };
}

const DAY_RE = /^dt=(\d{4}-\d{2}-\d{2})$/;

function daysBetween(first: string, last: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(first); t <= Date.parse(last); t += 86_400_000)
    out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

export async function verifyVault(
  provider: VaultProvider,
  recorded: Record<AuditedTable, { first: bigint; last: bigint }[]>,
): Promise<VerifyReport> {
  const days: DayReport[] = [];
  const missingDays: VerifyReport['missingDays'] = [];
  for (const table of Object.keys(AUDITED_TABLES) as AuditedTable[]) {
    const keyColumns = [...AUDITED_TABLES[table]];
    const starts = new Set(recorded[table].map((r) => r.first));
    const ends = new Set(recorded[table].map((r) => r.last));
    const byDay = new Map<string, Part[]>();
    for (const o of await provider.list(`${table}/`)) {
      const [, dir, name] = o.key.split('/');
      const day = DAY_RE.exec(dir ?? '')?.[1];
      const m = PART_RE.exec(name ?? '');
      if (!day || !m) continue;
      const parts = byDay.get(day) ?? [];
      parts.push({ key: o.key, first: BigInt(m[1]!), last: BigInt(m[2]!) });
      byDay.set(day, parts);
    }
    // Across every file and day: a snapshot planned for one time lives in exactly one file.
    const seen = new Set<string>();
    for (const day of [...byDay.keys()].sort()) {
      const { live, superseded } = splitSuperseded(byDay.get(day)!);
      const report: DayReport = {
        table,
        day,
        files: live.length,
        rows: 0,
        duplicates: 0,
        schemaVersions: [],
        superseded: superseded.map((p) => p.key),
        // A compacted file spans flushes: it starts where one began and ends where one ended.
        unrecorded: live.filter((p) => !starts.has(p.first) || !ends.has(p.last)).map((p) => p.key),
      };
      const versions = new Set<number>();
      for (const p of live.sort((a, b) => (a.first < b.first ? -1 : 1))) {
        const bytes = await provider.read(p.key);
        versions.add(parseSchemaTag((await parquetInfo(bytes)).metadata['pleiades.schema'], table).version);
        for await (const rows of readParquetGroups(bytes, { columns: keyColumns }))
          for (const row of rows) {
            report.rows++;
            const key = rowKey(row, keyColumns);
            if (seen.has(key)) report.duplicates++;
            else seen.add(key);
          }
      }
      report.schemaVersions = [...versions].sort((a, b) => a - b);
      days.push(report);
    }
    const sorted = [...byDay.keys()].sort();
    if (sorted.length > 1)
      for (const day of daysBetween(sorted[0]!, sorted.at(-1)!))
        if (!byDay.has(day)) missingDays.push({ table, day });
  }
  return {
    days,
    missingDays,
    totals: {
      files: days.reduce((a, d) => a + d.files, 0),
      rows: days.reduce((a, d) => a + d.rows, 0),
      duplicates: days.reduce((a, d) => a + d.duplicates, 0),
      unrecorded: days.reduce((a, d) => a + d.unrecorded.length, 0),
    },
  };
}
