import { createHash } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { MINUTE_MS } from '../src/clock.ts';
import { insertSnapshots, type SnapshotRow } from '../src/dao/staging.ts';
import { createRedis } from '../src/redis.ts';
import { videoIdFromBits } from '../src/video-id.ts';
import { benchDatabase } from './db.ts';
import type { Figure } from './figures.ts';
import { benchRedis, serverCpu, sleep } from './procs.ts';

/**
 * The machine's own ceilings, measured in the same run as the figures they bound: how fast this Redis
 * moves BullMQ jobs that do nothing, and how fast this Postgres takes staging rows in the tracker's
 * statement shape (50 rows a statement, several clients).
 */
export async function benchCeilings(opts: { jobs: number; rows: number }): Promise<Figure[]> {
  return [
    cpuCeiling(Math.min(5, opts.rows / 10_000)),
    ...(await bullmqCeiling(opts.jobs)),
    (await stagingCeiling(opts.rows)).figure,
  ];
}

/**
 * What one core of this machine does with no I/O: SHA-256 in 1 MB pieces for `seconds` (long enough
 * that a shared machine's scheduling evens out).
 */
function cpuCeiling(seconds: number): Figure {
  const piece = Buffer.alloc(2 ** 20, 7);
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    createHash('sha256').update(piece).digest();
    n++;
  }
  const s = (performance.now() - t0) / 1000;
  return {
    name: 'ceiling: CPU (SHA-256, one core)',
    value: Math.round(n / s),
    unit: 'MB/s',
    goal: 'reported',
    how: `${n} MB hashed in ${s.toFixed(1)} s in this process: the speed of one core, for the regression gate`,
  };
}

async function bullmqCeiling(n: number): Promise<Figure[]> {
  const r = await benchRedis();
  const connection = createRedis(r.url, 'worker');
  const queue = new Queue('noop', { connection, prefix: r.prefix });
  try {
    const t0 = performance.now();
    for (let i = 0; i < n; i += 1000)
      await queue.addBulk(
        Array.from({ length: Math.min(1000, n - i) }, (_, j) => ({
          name: 'noop',
          data: { i: i + j },
          opts: { removeOnComplete: true },
        })),
      );
    const addS = (performance.now() - t0) / 1000;
    let done = 0;
    const t1 = performance.now();
    const worker = new Worker(
      'noop',
      async () => {
        done++;
      },
      { connection: createRedis(r.url, 'worker'), prefix: r.prefix, concurrency: 100 },
    );
    while (done < n) await sleep(10);
    const runS = (performance.now() - t1) / 1000;
    await worker.close();
    const how = `${n.toLocaleString('en-US')} jobs, one process, this Redis`;
    return [
      {
        name: 'ceiling: BullMQ addBulk',
        value: Math.round(n / addS),
        unit: 'jobs/s',
        goal: 'reported',
        how: `${how}, addBulk of 1,000`,
      },
      {
        name: 'ceiling: BullMQ no-op worker',
        value: Math.round(n / runS),
        unit: 'jobs/s',
        goal: 'reported',
        how: `${how}, concurrency 100, removeOnComplete (×50 = videos/s if a job is a 50-video batch)`,
      },
    ];
  } finally {
    await queue.close();
    connection.disconnect();
    await r.drop();
  }
}

/**
 * Postgres staging-insert ceiling (rows/s); the tracker bench measures it again beside its own run.
 * Also the Postgres CPU it spent per row (every server process, read before the clients disconnect):
 * the tracker bench sets its own Postgres CPU per video against it.
 */
export async function stagingCeiling(n: number): Promise<{ figure: Figure; postgresUsPerRow: number }> {
  const clients = 8;
  const db = await benchDatabase('pleiades_bench_ceiling', { max: clients });
  try {
    const start = Date.UTC(2026, 10, 25, 12);
    const batch = (k: number): SnapshotRow[] =>
      Array.from({ length: 50 }, (_, j) => {
        const i = k * 50 + j;
        return {
          videoId: videoIdFromBits(BigInt(i) * 0x9e3779b97f4a7c15n + 1n),
          dueAt: start + (i % 60) * MINUTE_MS,
          takenAt: start + i,
          views: BigInt(1000 + i),
          likes: BigInt(i % 97),
          comments: i % 13 ? BigInt(i % 31) : null,
          tier: i % 3,
        };
      });
    const batches = Math.ceil(n / 50);
    let next = 0;
    const pg0 = serverCpu().postgres;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: clients }, async () => {
        for (let k = next++; k < batches; k = next++) await insertSnapshots(db.pool, batch(k));
      }),
    );
    const s = (performance.now() - t0) / 1000;
    const postgresUsPerRow = Math.round(((serverCpu().postgres - pg0) * 1e6) / (batches * 50));
    return {
      figure: {
        name: 'ceiling: Postgres staging inserts',
        value: Math.round((batches * 50) / s),
        unit: 'rows/s',
        goal: 'reported',
        how: `${(batches * 50).toLocaleString('en-US')} rows, insertSnapshots of 50 rows (the tracker's statement), ${clients} clients, autocommit; Postgres CPU ${postgresUsPerRow} µs per row`,
      },
      postgresUsPerRow,
    };
  } finally {
    await db.drop();
  }
}
