import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  beginEventFlush,
  type EventFlushRecord,
  finishEventFlush,
  pendingEventFlushes,
} from '../dao/dataset-flushes.ts';
import {
  deleteEventRange,
  EVENT_LOG_KINDS,
  type EventLogKind,
  eventsStagedAtLeast,
  lockEventsForRange,
  nextEventRange,
  oldestEventAt,
} from '../dao/event-logs.ts';
import { readGapRange } from '../dao/gaps.ts';
import { readLifecycleRange } from '../dao/lifecycle.ts';
import { readSearchPageRange } from '../dao/search-ranks.ts';
import { type Pool, withTransaction } from '../db/pool.ts';
import { writeTable } from './parquet.ts';
import { type FlushOptions, partName, utcDay, type VaultContext } from './parts.ts';
import { type AnyTableSpec, GAPS_TABLE, LIFECYCLE_TABLE, RANKS_TABLE, tierLabel } from './schema.ts';

/**
 * The event logs (lifecycle, gaps, ranks) go to the vault the way metrics do (src/vault/flush.ts): a
 * range of staged rows is recorded before its files are written, the files are named after the range,
 * and the rows are deleted only once the provider confirmed. A run that crashed is finished by the next
 * with the same names, so every event lands exactly once.
 */
export const EVENT_TABLES: Record<EventLogKind, AnyTableSpec> = {
  lifecycle: LIFECYCLE_TABLE,
  gaps: GAPS_TABLE,
  ranks: RANKS_TABLE,
};

export interface EventFlushResult {
  files: number;
  rows: number;
}

type Row = { day: string; row: Record<string, unknown> };

/** The Parquet rows of a recorded range, each with the UTC day it belongs to. */
async function rowsOf(pool: Pool, rec: EventFlushRecord): Promise<Row[]> {
  const out: Row[] = [];
  if (rec.kind === 'lifecycle')
    for (const e of await readLifecycleRange(pool, rec.firstSeq, rec.lastSeq))
      out.push({
        day: utcDay(e.seenAt),
        row: {
          video_id: e.videoId,
          event: e.event,
          seen_at: e.seenAt,
          due_at: e.dueAt,
          previous_at: e.previousAt,
          initial: e.initial,
          detail: e.detail,
        },
      });
  else if (rec.kind === 'gaps')
    for (const g of await readGapRange(pool, rec.firstSeq, rec.lastSeq))
      for (const id of g.videoIds)
        out.push({
          day: utcDay(g.polledAt),
          row: {
            video_id: id,
            due_at: g.dueAt,
            polled_at: g.polledAt,
            delay_s: BigInt(Math.round((g.polledAt - g.dueAt) / 1000)),
            reason: g.reason,
            taken: g.taken,
            tier: tierLabel(g.tier),
          },
        });
  else
    for (const p of await readSearchPageRange(pool, rec.firstSeq, rec.lastSeq))
      for (const r of p.results)
        out.push({
          day: utcDay(p.runAt),
          row: {
            run_at: p.runAt,
            query_id: p.queryId,
            query: p.query,
            page: p.page,
            position: r.position,
            // Pages hold up to 50 results (maxResults): the rank across pages.
            rank: p.page === null ? null : p.page * 50 + r.position,
            video_id: r.videoId,
            search_order: p.order,
            published_after: p.publishedAfter,
          },
        });
  return out;
}

async function runEventRecord(
  pool: Pool,
  ctx: VaultContext,
  rec: EventFlushRecord,
  opts: FlushOptions,
): Promise<EventFlushResult> {
  const table = EVENT_TABLES[rec.kind];
  const byDay = new Map<string, Record<string, unknown>[]>();
  for (const { day, row } of await rowsOf(pool, rec)) {
    const list = byDay.get(day) ?? [];
    byDay.set(day, list);
    list.push(row);
  }
  await mkdir(ctx.provider.workDir, { recursive: true });
  const adds: { key: string; path: string }[] = [];
  let rows = 0;
  let bytes = 0;
  try {
    for (const day of [...byDay.keys()].sort()) {
      const key = `${table.name}/dt=${day}/${partName(rec.firstSeq, rec.lastSeq)}`;
      const path = join(ctx.provider.workDir, `${key.replaceAll('/', '_')}.tmp`);
      await writeTable(ctx.engine, path, table, byDay.get(day)!, {
        codec: ctx.codec,
        metadata: { 'pleiades.range': `${rec.firstSeq}-${rec.lastSeq}` },
      });
      adds.push({ key, path });
      rows += byDay.get(day)!.length;
      bytes += (await stat(path)).size;
    }
    if (adds.length)
      await ctx.provider.commit({
        adds,
        deletes: [],
        message: `vault: ${rec.kind} ${rec.firstSeq}-${rec.lastSeq}`,
      });
    await withTransaction(pool, async (tx) => {
      await deleteEventRange(tx, rec.kind, rec.firstSeq, rec.lastSeq);
      await finishEventFlush(tx, rec, { files: adds.length, rows, bytes }, new Date(opts.clock.now()));
    });
  } finally {
    for (const a of adds) await rm(a.path, { force: true });
  }
  ctx.log.info({ kind: rec.kind, files: adds.length, rows }, 'vault event log flushed');
  return { files: adds.length, rows };
}

/** Finishes every event-log flush a crashed run left recorded. Call with the vault lock held. */
export async function finishPendingEventFlushes(
  pool: Pool,
  ctx: VaultContext,
  opts: FlushOptions,
): Promise<EventFlushResult> {
  const out: EventFlushResult = { files: 0, rows: 0 };
  for (const rec of await pendingEventFlushes(pool)) {
    ctx.log.warn({ flush: String(rec.id), kind: rec.kind }, 'resuming an unfinished event-log flush');
    const r = await runEventRecord(pool, ctx, rec, opts);
    out.files += r.files;
    out.rows += r.rows;
  }
  return out;
}

async function due(pool: Pool, kind: EventLogKind, opts: FlushOptions): Promise<boolean> {
  if (opts.force === true || (await eventsStagedAtLeast(pool, kind, opts.flushRows))) return true;
  const oldest = await oldestEventAt(pool, kind);
  return oldest !== null && opts.clock.now() - oldest >= opts.flushIntervalMs;
}

/**
 * Flushes each event log that is due (`VAULT_FLUSH_ROWS` staged, the oldest waiting
 * `VAULT_FLUSH_INTERVAL_S`, or `force`), what is staged now and not what arrives meanwhile. Call with
 * the vault lock held.
 */
export async function flushEventLogs(
  pool: Pool,
  ctx: VaultContext,
  opts: FlushOptions,
): Promise<EventFlushResult> {
  const out: EventFlushResult = { files: 0, rows: 0 };
  for (const kind of EVENT_LOG_KINDS) {
    if (!(await due(pool, kind, opts))) continue;
    let upTo: bigint | null | undefined;
    for (;;) {
      const rec = await withTransaction(pool, async (tx) => {
        const max = await lockEventsForRange(tx, kind);
        if (upTo === undefined) upTo = max;
        if (upTo === null) return null;
        const range = await nextEventRange(tx, kind, { maxRows: opts.flushRows, upTo });
        return range ? beginEventFlush(tx, kind, range.firstSeq, range.lastSeq) : null;
      });
      if (!rec) break;
      const r = await runEventRecord(pool, ctx, rec, opts);
      out.files += r.files;
      out.rows += r.rows;
    }
  }
  return out;
}
