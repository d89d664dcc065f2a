import { PART_RE } from './parts.ts';
import type { VaultProvider } from './provider.ts';
import type { MetricsRecord } from './schema.ts';

/**
 * Every snapshot of one video in the vault, oldest planned time first. Row groups whose statistics
 * exclude the id are skipped; a snapshot seen twice (only possible mid-compaction on a provider
 * without atomic commits) is returned once.
 */
export async function videoHistory(provider: VaultProvider, videoId: string): Promise<MetricsRecord[]> {
  // The Parquet reader is loaded here, not with the CSV/JSON helpers the CLI and dashboard import.
  const { readParquetWhere } = await import('./parquet.ts');
  const byDue = new Map<number, MetricsRecord>();
  for (const o of await provider.list('metrics/')) {
    if (!PART_RE.test(o.key.slice(o.key.lastIndexOf('/') + 1))) continue;
    for (const r of await readParquetWhere(await provider.read(o.key), 'video_id', videoId)) {
      const rec = r as unknown as MetricsRecord;
      if (!byDue.has(rec.due_at)) byDue.set(rec.due_at, rec);
    }
  }
  return [...byDue.values()].sort((a, b) => a.due_at - b.due_at);
}

const iso = (ms: number): string => new Date(ms).toISOString();
const num = (v: bigint | null): number | null => (v === null || v === undefined ? null : Number(v));

export function historyToJson(rows: MetricsRecord[]): string {
  return JSON.stringify(
    rows.map((r) => ({
      video_id: r.video_id,
      taken_at: iso(r.taken_at),
      due_at: iso(r.due_at),
      views: num(r.views),
      likes: num(r.likes),
      comments: num(r.comments),
      tier: r.tier,
    })),
    null,
    2,
  );
}

export function historyToCsv(rows: MetricsRecord[]): string {
  const cell = (v: bigint | null) => (v === null || v === undefined ? '' : String(v));
  const lines = ['video_id,taken_at,due_at,views,likes,comments,tier'];
  for (const r of rows)
    lines.push(
      [
        r.video_id,
        iso(r.taken_at),
        iso(r.due_at),
        cell(r.views),
        cell(r.likes),
        cell(r.comments),
        r.tier,
      ].join(','),
    );
  return `${lines.join('\n')}\n`;
}
