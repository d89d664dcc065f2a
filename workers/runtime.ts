import { type Job, MetricsTime, UnrecoverableError, Worker } from 'bullmq';
import { parsePayload, type QueueName } from '../queues/index.ts';
import { AllKeysExhaustedError, ValidationError } from '../src/errors/index.ts';
import { handleExhaustion } from '../src/hydra/index.ts';
import { durationRecorder } from '../src/metrics/job-durations.ts';
import { createRedis, redisTarget } from '../src/redis.ts';
import type { AgentDeps } from './deps.ts';
import { emitOrLog } from './emit-or-log.ts';
import { defaultConcurrency, processors } from './processors.ts';

export interface WorkerSet {
  workers: Worker[];
  /** Stops taking jobs, lets running ones finish (or return to the queue at the lock's end), closes. */
  close(): Promise<void>;
}

export interface WorkerOptions {
  queues: QueueName[];
  /** Overrides every queue's default concurrency. */
  concurrency?: number;
  /** BullMQ lock duration (ms): a killed worker's jobs are taken over after about this long. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
}

/**
 * One BullMQ Worker per queue in this process. Payloads are validated again on the way in (a job
 * added by an older version, or by hand through Redis, is rejected with the field named, not run).
 * When Hydra says every key of a pool is spent, the queue is rate-limited until the quota resets and
 * the job goes back to waiting without using an attempt: no job fails and none is lost.
 */
export function startWorkers(deps: AgentDeps, opts: WorkerOptions): WorkerSet {
  const workers: Worker[] = [];
  const connections: ReturnType<typeof createRedis>[] = [];
  // Durations go to Redis, so that /metrics of any process reports every worker's (each second, in
  // one round trip: not one per job).
  const durations = durationRecorder(deps.queues.connection, deps.queues.prefix);
  const recordDuration = (job: Job) => {
    if (job.finishedOn && job.processedOn) durations.record(job.queueName, job.finishedOn - job.processedOn);
  };
  for (const name of opts.queues) {
    const connection = createRedis(redisTarget(deps.config), 'worker');
    connections.push(connection);
    const worker: Worker = new Worker(
      name,
      async (job: Job) => {
        try {
          const data = parsePayload(name, job.data);
          return await (processors[name] as (d: AgentDeps, p: unknown) => Promise<unknown>)(deps, data);
        } catch (err) {
          // Bad input does not get better with retries.
          if (err instanceof ValidationError) throw new UnrecoverableError(err.message);
          if (err instanceof AllKeysExhaustedError) {
            // Exits 42 in HYDRA_EXIT_ON_EXHAUSTION mode; otherwise the whole queue (every replica) waits.
            const ms = await handleExhaustion(err, {
              exitOnExhaustion: deps.config.HYDRA_EXIT_ON_EXHAUSTION,
              log: deps.log.child({ queue: name }),
              clock: deps.clock,
            });
            await worker.rateLimit(Math.max(1000, ms));
            throw Worker.RateLimitError();
          }
          throw err;
        }
      },
      {
        connection,
        prefix: deps.queues.prefix,
        concurrency: opts.concurrency ?? defaultConcurrency(name, deps.config.WORKER_CONCURRENCY),
        metrics: { maxDataPoints: MetricsTime.ONE_WEEK },
        lockDuration: opts.lockDurationMs ?? deps.config.WORKER_LOCK_MS,
        stalledInterval: opts.stalledIntervalMs ?? deps.config.WORKER_STALLED_INTERVAL_MS,
        maxStalledCount: 3,
        autorun: true,
      },
    );
    worker.on('failed', (job, err) => {
      if (!job) return;
      const final =
        err instanceof UnrecoverableError ||
        err.name === 'UnrecoverableError' ||
        job.attemptsMade >= (job.opts.attempts ?? 1);
      const log = final ? deps.log.error.bind(deps.log) : deps.log.warn.bind(deps.log);
      log(
        { queue: name, jobId: job.id, attempt: job.attemptsMade, err: err.message },
        final ? 'job failed for good' : 'job failed, will retry',
      );
      if (final)
        void emitOrLog(deps, 'job.failed_permanently', {
          queue: name,
          jobId: String(job.id),
          attempts: job.attemptsMade,
          error: err.message.slice(0, 500),
        });
      recordDuration(job);
    });
    worker.on('completed', (job) => recordDuration(job));
    worker.on('error', (err) => deps.log.error({ queue: name, err: err.message }, 'worker error'));
    workers.push(worker);
  }
  return {
    workers,
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      await durations.close();
      // A connection passed in is not closed by BullMQ: ours are.
      for (const c of connections) c.disconnect();
    },
  };
}
