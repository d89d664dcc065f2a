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
  eventsStagedAtLeast,
  lockEventsForRange,
  nextEventRange,
  oldestEventAt,
} from '../dao/event-logs.ts';
import { type Pool, withTransaction } from '../db/pool.ts';
import { EVENT_LOGS, eventLog } from './logs.ts';
import { writeTable } from './parquet.ts';
import { type FlushOptions, partName, type VaultContext } from './parts.ts';
import type { VaultLog } from './schema.ts';

/**
 * The event logs (src/vault/logs.ts: the tracker signals' own, and search ranks) go to the vault the
 * way metrics do (src/vault/flush.ts): a range of staged rows is recorded before its files are written,
 * the files are named after the range, and the rows are deleted only once the provider confirmed. A run
 * that crashed is finished by the next with the same names, so every event lands exactly once.
 */

export interface EventFlushResult {
  files: number;
  rows: number;
}

async function runEventRecord(
  pool: Pool,
  ctx: VaultContext,
  rec: EventFlushRecord,
  opts: FlushOptions,
): Promise<EventFlushResult> {
  const log = eventLog(rec.kind);
  const table = log.table;
  const byDay = new Map<string, Record<string, unknown>[]>();
  for (const { day, row } of await log.rows(pool, rec.firstSeq, rec.lastSeq)) {
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
      await deleteEventRange(tx, log.staging, rec.firstSeq, rec.lastSeq);
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

async function due(pool: Pool, log: VaultLog, opts: FlushOptions): Promise<boolean> {
  if (opts.force === true || (await eventsStagedAtLeast(pool, log.staging, opts.flushRows))) return true;
  const oldest = await oldestEventAt(pool, log.staging);
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
  for (const log of EVENT_LOGS) {
    if (!(await due(pool, log, opts))) continue;
    let upTo: bigint | null | undefined;
    for (;;) {
      const rec = await withTransaction(pool, async (tx) => {
        const max = await lockEventsForRange(tx, log.staging);
        if (upTo === undefined) upTo = max;
        if (upTo === null) return null;
        const range = await nextEventRange(tx, log.staging, { maxRows: opts.flushRows, upTo });
        return range ? beginEventFlush(tx, log.staging.kind, range.firstSeq, range.lastSeq) : null;
      });
      if (!rec) break;
      const r = await runEventRecord(pool, ctx, rec, opts);
      out.files += r.files;
      out.rows += r.rows;
    }
  }
  return out;
}
