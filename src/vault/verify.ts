import { LATE_FRACTION } from '../observations/gaps.ts';
import { TIER_INTERVAL_MS } from '../tiers.ts';
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
 * Gaps without a recorded reason: between two consecutive snapshots A, B of a video (by `due_at`),
 * with I the interval of A's tier (the tier A chose, hence when B was planned), B is *late* when it was
 * taken more than LATE_FRACTION·I after its `due_at`, and a poll was *missed* when B was planned more
 * than (1 + LATE_FRACTION)·I after A was taken (a poll in between produced no snapshot: the video was
 * missing). The tracker records each such poll in `gaps/` with its reason (docs/dataset.md); a late B
 * with no `gaps/` row for (video, B's due_at), or a missed poll with no `gaps/` row of the video
 * planned between A and B, is counted against B's day. Gap rows still staged (not yet flushed) are not
 * in the vault yet, so a vault flushed up to now is the one to judge. Counting it holds each metrics
 * row's video, planned and taken times and tier (about 60 bytes more a snapshot).
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
  /** Late or missed polls (metrics) with no `gaps/` row giving their reason. */
  unexplainedGaps: number;
}

/** One late or missed poll without a `gaps/` row, for the operator to look at. */
export interface UnexplainedGap {
  videoId: string;
  kind: 'late' | 'missed';
  /** The snapshot after the gap: its planned and actual times (ISO). */
  dueAt: string;
  takenAt: string;
  /** The snapshot before it, when the previous poll was taken. */
  previousTakenAt: string;
}

export interface VerifyReport {
  days: DayReport[];
  /** Days with no file between a table's first and last day. */
  missingDays: { table: AuditedTable; day: string }[];
  /** The first few unexplained gaps (the count per day is in `days`). */
  unexplainedGaps: UnexplainedGap[];
  totals: { files: number; rows: number; duplicates: number; unrecorded: number; unexplainedGaps: number };
}

const SAMPLE_GAPS = 20;

/** A timestamp column's value (hyparquet gives Date for TIMESTAMP_MILLIS) as epoch ms. */
const ms = (v: unknown): number =>
  v instanceof Date ? v.getTime() : typeof v === 'bigint' ? Number(v) : Number(v);

interface Snapshot {
  due: number;
  taken: number;
  interval: number | undefined;
  report: DayReport;
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
  const snapshots = new Map<string, Snapshot[]>();
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
        unexplainedGaps: 0,
      };
      const columns = table === 'metrics' ? [...keyColumns, 'taken_at', 'tier'] : keyColumns;
      const versions = new Set<number>();
      for (const p of live.sort((a, b) => (a.first < b.first ? -1 : 1))) {
        const bytes = await provider.read(p.key);
        versions.add(parseSchemaTag((await parquetInfo(bytes)).metadata['pleiades.schema'], table).version);
        for await (const rows of readParquetGroups(bytes, { columns }))
          for (const row of rows) {
            report.rows++;
            const key = rowKey(row, keyColumns);
            if (seen.has(key)) report.duplicates++;
            else {
              seen.add(key);
              if (table === 'metrics') {
                const id = String(row.video_id);
                const list = snapshots.get(id) ?? [];
                list.push({
                  due: ms(row.due_at),
                  taken: ms(row.taken_at),
                  interval: TIER_INTERVAL_MS[String(row.tier) as keyof typeof TIER_INTERVAL_MS],
                  report,
                });
                snapshots.set(id, list);
              }
            }
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
  const unexplained = await findUnexplainedGaps(provider, snapshots);
  return {
    days,
    missingDays,
    unexplainedGaps: unexplained.slice(0, SAMPLE_GAPS),
    totals: {
      unexplainedGaps: unexplained.length,
      files: days.reduce((a, d) => a + d.files, 0),
      rows: days.reduce((a, d) => a + d.rows, 0),
      duplicates: days.reduce((a, d) => a + d.duplicates, 0),
      unrecorded: days.reduce((a, d) => a + d.unrecorded.length, 0),
    },
  };
}

/** Late and missed polls between consecutive snapshots with no `gaps/` row (see the header). */
async function findUnexplainedGaps(
  provider: VaultProvider,
  snapshots: Map<string, Snapshot[]>,
): Promise<UnexplainedGap[]> {
  const recorded = new Map<string, number[]>();
  for (const o of await provider.list('gaps/')) {
    if (!o.key.endsWith('.parquet')) continue;
    for await (const rows of readParquetGroups(await provider.read(o.key), {
      columns: ['video_id', 'due_at'],
    }))
      for (const row of rows) {
        const id = String(row.video_id);
        const list = recorded.get(id) ?? [];
        list.push(ms(row.due_at));
        recorded.set(id, list);
      }
  }
  const out: UnexplainedGap[] = [];
  const iso = (t: number) => new Date(t).toISOString();
  for (const [videoId, list] of snapshots) {
    list.sort((a, b) => a.due - b.due);
    const dues = recorded.get(videoId) ?? [];
    for (let i = 1; i < list.length; i++) {
      const a = list[i - 1]!;
      const b = list[i]!;
      if (a.interval === undefined) continue;
      const late = b.taken - b.due > LATE_FRACTION * a.interval && !dues.includes(b.due);
      const missed =
        b.due - a.taken > (1 + LATE_FRACTION) * a.interval && !dues.some((d) => d > a.due && d < b.due);
      if (!late && !missed) continue;
      b.report.unexplainedGaps++;
      out.push({
        videoId,
        kind: late ? 'late' : 'missed',
        dueAt: iso(b.due),
        takenAt: iso(b.taken),
        previousTakenAt: iso(a.taken),
      });
    }
  }
  return out;
}
