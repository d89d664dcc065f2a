import type { Redis } from 'ioredis';

/**
 * Job durations of every worker process, aggregated in Redis so that a scrape of any one process (the
 * dashboard's /metrics) reports all of them. Each queue has one hash of non-cumulative bucket counts
 * plus a sum (the count is the +Inf bucket): HINCRBY is atomic, so concurrent workers never lose an observation.
 */

/** Upper bounds in seconds, as Prometheus `le` labels; the last bucket (+Inf) is implicit. */
export const JOB_DURATION_BUCKETS_S = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600,
] as const;

const INF_FIELD = 'inf';
const SUM_FIELD = 'sum_ms';

export const jobDurationKey = (prefix: string, queue: string): string =>
  `${prefix}:metrics:job-duration:${queue}`;

const bucketField = (ms: number): string => {
  const s = ms / 1000;
  const le = JOB_DURATION_BUCKETS_S.find((b) => s <= b);
  return le === undefined ? INF_FIELD : String(le);
};

/** Records one finished job. Call it from a worker's 'completed' (and, if wanted, 'failed') event. */
export async function recordJobDuration(
  redis: Redis,
  prefix: string,
  queue: string,
  ms: number,
): Promise<void> {
  if (!Number.isFinite(ms) || ms < 0) return;
  const key = jobDurationKey(prefix, queue);
  await redis.multi().hincrby(key, bucketField(ms), 1).hincrbyfloat(key, SUM_FIELD, ms).exec();
}

/**
 * Durations of a worker process, summed in memory and written every `flushMs` in one round trip for
 * all its queues, rather than one MULTI per job: at thousands of jobs a second the histogram is one
 * Redis call a second per process. `close()` writes what is left.
 */
export function durationRecorder(
  redis: Redis,
  prefix: string,
  flushMs = 1000,
): { record(queue: string, ms: number): void; flush(): Promise<void>; close(): Promise<void> } {
  let pending = new Map<string, Map<string, number>>();
  const flush = async () => {
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    const m = redis.multi();
    for (const [queue, fields] of batch) {
      const key = jobDurationKey(prefix, queue);
      for (const [field, n] of fields)
        if (field === SUM_FIELD) m.hincrbyfloat(key, field, n);
        else m.hincrby(key, field, n);
    }
    await m.exec();
  };
  const timer = setInterval(() => flush().catch(() => {}), flushMs);
  timer.unref();
  return {
    record(queue, ms) {
      if (!Number.isFinite(ms) || ms < 0) return;
      const fields = pending.get(queue) ?? new Map<string, number>();
      pending.set(queue, fields);
      const b = bucketField(ms);
      fields.set(b, (fields.get(b) ?? 0) + 1);
      fields.set(SUM_FIELD, (fields.get(SUM_FIELD) ?? 0) + ms);
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush().catch(() => {});
    },
  };
}

export interface DurationHistogram {
  /** Cumulative counts per upper bound (seconds), in bucket order, ending with +Inf. */
  buckets: { le: number; count: number }[];
  sumSeconds: number;
  count: number;
}

/** The histogram of each queue, read in one round trip. Queues never recorded have all-zero counts. */
export async function readJobDurations(
  redis: Redis,
  prefix: string,
  queues: readonly string[],
): Promise<Record<string, DurationHistogram>> {
  const pipe = redis.pipeline();
  for (const q of queues) pipe.hgetall(jobDurationKey(prefix, q));
  const replies = (await pipe.exec()) ?? [];
  const out: Record<string, DurationHistogram> = {};
  queues.forEach((q, i) => {
    const [err, raw] = replies[i] ?? [null, {}];
    if (err) throw err;
    const h = (raw ?? {}) as Record<string, string>;
    let running = 0;
    const buckets: { le: number; count: number }[] = JOB_DURATION_BUCKETS_S.map((le) => {
      running += Number(h[String(le)] ?? 0);
      return { le, count: running };
    });
    running += Number(h[INF_FIELD] ?? 0);
    buckets.push({ le: Number.POSITIVE_INFINITY, count: running });
    out[q] = { buckets, sumSeconds: Number(h[SUM_FIELD] ?? 0) / 1000, count: running };
  });
  return out;
}
