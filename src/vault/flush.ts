import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { HOUR_MS } from '../clock.ts';
import {
  deleteStagedRange,
  hasStagedAtLeast,
  lockStagingForRange,
  nextStagedRange,
  oldestStagedAt,
  readStagedRange,
  type StagedRow,
} from '../dao/staging.ts';
import {
  beginMetricsFlush,
  beginVideosFlush,
  type FlushRecord,
  finishFlush,
  pendingFlushes,
  releaseVaultLock,
  tryVaultLock,
  waitVaultLock,
} from '../dao/vault-flushes.ts';
import { markVideosVaulted, readVideosForVault, videosToVault } from '../dao/vault-videos.ts';
import { type Pool, withTransaction } from '../db/pool.ts';
import { finishPendingEventFlushes, flushEventLogs } from './events.ts';
import { writeTable } from './parquet.ts';
import { type FlushOptions, type FlushResult, partName, utcDay, type VaultContext } from './parts.ts';
import { METRICS_TABLE, tierLabel, VIDEOS_TABLE } from './schema.ts';
import { keysInPartition, rowKey } from './vaulted-keys.ts';

/** The metrics table's exactly-once key: one snapshot per video and planned time. */
export const METRICS_KEY = ['video_id', 'due_at'] as const;

/**
 * Runs `fn` holding the vault lock; null when another process holds it. The lock lives on one
 * dedicated connection for the whole run.
 */
export async function withVaultLock<T>(
  pool: Pool,
  fn: () => Promise<T>,
  /** How long to wait for a flush or compaction in progress (0: give up at once). */
  waitMs = 0,
): Promise<T | null> {
  const client = await pool.connect();
  try {
    if (!(await (waitMs > 0 ? waitVaultLock(client, waitMs) : tryVaultLock(client)))) return null;
    try {
      return await fn();
    } finally {
      await releaseVaultLock(client).catch(() => {});
    }
  } finally {
    client.release();
  }
}

const metricsRow = (r: StagedRow): Record<string, unknown> => ({
  video_id: r.videoId,
  taken_at: r.takenAt,
  due_at: r.dueAt,
  views: r.views,
  likes: r.likes,
  comments: r.comments,
  tier: tierLabel(r.tier),
});

interface Written {
  adds: { key: string; path: string }[];
  rows: number;
  bytes: number;
}

/** Writes the files of one recorded flush into the work directory; the names follow from the record. */
async function writeRecord(
  pool: Pool,
  ctx: VaultContext,
  rec: FlushRecord,
): Promise<Written & { videoIds: bigint[] }> {
  const dir = ctx.provider.workDir;
  await mkdir(dir, { recursive: true });
  const out: Written & { videoIds: bigint[] } = { adds: [], rows: 0, bytes: 0, videoIds: [] };
  const emit = async (
    key: string,
    table: typeof METRICS_TABLE,
    rows: Record<string, unknown>[],
    range: string,
  ) => {
    const path = join(dir, `${key.replaceAll('/', '_')}.tmp`);
    await writeTable(ctx.engine, path, table, rows, {
      codec: ctx.codec,
      metadata: { 'pleiades.range': range },
    });
    out.adds.push({ key, path });
    out.rows += rows.length;
    out.bytes += (await stat(path)).size;
  };
  if (rec.kind === 'metrics') {
    const byDay = new Map<string, Record<string, unknown>[]>();
    for (const r of await readStagedRange(pool, rec.firstSeq, rec.lastSeq)) {
      const day = utcDay(r.takenAt);
      const list = byDay.get(day) ?? [];
      byDay.set(day, list);
      list.push(metricsRow(r));
    }
    const name = partName(rec.firstSeq, rec.lastSeq);
    for (const day of [...byDay.keys()].sort()) {
      const key = `metrics/dt=${day}/${name}`;
      // A snapshot the vault already holds (in another file of its day) is not published again.
      const held = await keysInPartition(ctx.provider, `metrics/dt=${day}/`, METRICS_KEY, key);
      const rows = byDay.get(day)!.filter((r) => !held.has(rowKey(r, METRICS_KEY)));
      const refused = byDay.get(day)!.length - rows.length;
      if (refused)
        ctx.log.warn(
          { day, refused, file: key },
          'vault flush: rows already in the vault were not published again',
        );
      if (rows.length) await emit(key, METRICS_TABLE, rows, `${rec.firstSeq}-${rec.lastSeq}`);
    }
  } else {
    const videos = await readVideosForVault(pool, rec.videoIds);
    out.videoIds = rec.videoIds;
    if (videos.length)
      await emit(
        `videos/dt=${rec.day}/${partName(rec.id, rec.id)}`,
        VIDEOS_TABLE,
        videos.map((v) => ({
          video_id: v.videoId,
          channel_id: v.channelId,
          channel_title: v.channelTitle,
          title: v.title,
          description: v.description,
          tags: v.tags,
          category_id: v.categoryId,
          category_name: v.categoryName,
          duration_s: v.durationS,
          published_at: v.publishedAt.getTime(),
          discovered_at: v.discoveredAt.getTime(),
          channel_subscribers: v.channelSubscribers,
          channel_video_count: v.channelVideoCount,
          channel_country: v.channelCountry,
          enriched_at: v.enrichedAt?.getTime() ?? null,
        })),
        `${rec.id}-${rec.id}`,
      );
  }
  return out;
}

/**
 * Carries one recorded flush to the end: write, upload, then (only once the provider confirmed)
 * delete the staged rows or mark the videos vaulted, in the transaction that finishes the record.
 * Idempotent: after a crash at any point, running it again produces the same files.
 */
async function runRecord(
  pool: Pool,
  ctx: VaultContext,
  rec: FlushRecord,
  opts: FlushOptions,
): Promise<FlushResult> {
  const w = await writeRecord(pool, ctx, rec);
  try {
    await opts.onStep?.('written', rec);
    const what = rec.kind === 'metrics' ? `staging ${rec.firstSeq}-${rec.lastSeq}` : `videos flush ${rec.id}`;
    if (w.adds.length) await ctx.provider.commit({ adds: w.adds, deletes: [], message: `vault: ${what}` });
    await opts.onStep?.('uploaded', rec);
    const now = new Date(opts.clock.now());
    await withTransaction(pool, async (tx) => {
      if (rec.kind === 'metrics') await deleteStagedRange(tx, rec.firstSeq, rec.lastSeq);
      else await markVideosVaulted(tx, rec.videoIds, now);
      await finishFlush(tx, rec, { files: w.adds.length, rows: w.rows, bytes: w.bytes }, now);
    });
    await opts.onStep?.('finished', rec);
    ctx.log.info(
      { flush: String(rec.id), kind: rec.kind, files: w.adds.length, rows: w.rows, bytes: w.bytes },
      'vault flush written',
    );
    return rec.kind === 'metrics'
      ? { files: w.adds.length, rows: w.rows, videos: 0 }
      : { files: w.adds.length, rows: 0, videos: w.rows };
  } finally {
    for (const a of w.adds) await rm(a.path, { force: true });
  }
}

const add = (a: FlushResult, b: FlushResult): void => {
  a.files += b.files;
  a.rows += b.rows;
  a.videos += b.videos;
};

const addEvents = (a: FlushResult, b: { files: number; rows: number }): void => {
  if (b.files === 0 && b.rows === 0) return;
  a.eventFiles = (a.eventFiles ?? 0) + b.files;
  a.events = (a.events ?? 0) + b.rows;
};

/** Finishes every flush a crashed run left recorded. Call with the vault lock held. */
export async function finishPendingFlushes(
  pool: Pool,
  ctx: VaultContext,
  opts: FlushOptions,
): Promise<FlushResult> {
  const out: FlushResult = { files: 0, rows: 0, videos: 0 };
  for (const rec of await pendingFlushes(pool)) {
    ctx.log.warn({ flush: String(rec.id), kind: rec.kind }, 'resuming an unfinished vault flush');
    add(out, await runRecord(pool, ctx, rec, opts));
  }
  addEvents(out, await finishPendingEventFlushes(pool, ctx, opts));
  return out;
}

async function metricsDue(pool: Pool, opts: FlushOptions): Promise<boolean> {
  if (await hasStagedAtLeast(pool, opts.flushRows)) return true;
  const oldest = await oldestStagedAt(pool);
  return oldest !== null && opts.clock.now() - oldest >= opts.flushIntervalMs;
}

/**
 * Moves staged snapshots (and ready hot-video metadata) into the vault. Each file range is recorded
 * in vault_flushes before anything is written, so a crash at any point is repaired by the next run
 * with the same file names: every snapshot lands exactly once. A provider failure throws (the job
 * is retried with backoff); staging keeps everything meanwhile.
 */
export async function flushVault(pool: Pool, ctx: VaultContext, opts: FlushOptions): Promise<FlushResult> {
  const result = await withVaultLock(pool, async () => {
    const out = await finishPendingFlushes(pool, ctx, opts);
    const now = opts.clock.now();
    const grace = opts.videoGraceMs ?? HOUR_MS;
    const due = opts.force === true || (await metricsDue(pool, opts));
    if (due) {
      // Drain what is staged now, not what keeps arriving while we write.
      let upTo: bigint | null | undefined;
      for (;;) {
        const rec = await withTransaction(pool, async (tx) => {
          const max = await lockStagingForRange(tx);
          if (upTo === undefined) upTo = max;
          if (upTo === null) return null;
          const range = await nextStagedRange(tx, { maxRows: opts.flushRows, upTo });
          return range ? beginMetricsFlush(tx, range.firstSeq, range.lastSeq) : null;
        });
        if (!rec) break;
        await opts.onStep?.('recorded', rec);
        add(out, await runRecord(pool, ctx, rec, opts));
      }
    }
    const videosDue =
      due ||
      (
        await videosToVault(pool, {
          discoveredBefore: new Date(now - grace - opts.flushIntervalMs),
          limit: 1,
        })
      ).length > 0;
    if (videosDue)
      for (;;) {
        const ids = await videosToVault(pool, {
          discoveredBefore: new Date(now - grace),
          limit: opts.flushRows,
        });
        if (ids.length === 0) break;
        const rec = await beginVideosFlush(pool, ids, utcDay(now));
        await opts.onStep?.('recorded', rec);
        add(out, await runRecord(pool, ctx, rec, opts));
        if (ids.length < opts.flushRows) break;
      }
    addEvents(out, await flushEventLogs(pool, ctx, opts));
    if (!due && !videosDue && out.files === 0 && !out.eventFiles) out.skipped = 'not-due';
    return out;
  });
  return result ?? { files: 0, rows: 0, videos: 0, skipped: 'busy' };
}
