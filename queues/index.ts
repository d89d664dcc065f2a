import { type JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { ValidationError } from '../src/errors/index.ts';
import { createRedis, type RedisTarget } from '../src/redis.ts';
import {
  defaultJobOptions,
  type Payload,
  payloadSchemas,
  QUEUE_NAMES,
  type QueueName,
} from './definitions.ts';
import { isPlainTrackerPayload } from './plain-tracker-payload.ts';

export * from './definitions.ts';

export interface QueueSet {
  prefix: string;
  connection: Redis;
  get<Q extends QueueName>(name: Q): Queue;
  all(): Queue[];
  close(): Promise<void>;
}

/** One BullMQ Queue per name, sharing one producer connection, under the configured key prefix. */
/** `redisUrl`: a URL (one node) or a whole target (Cluster, Sentinel: src/redis.ts). */
export function createQueues(opts: {
  redisUrl: string | RedisTarget;
  prefix: string;
  connection?: Redis;
}): QueueSet {
  const connection = opts.connection ?? createRedis(opts.redisUrl, 'client');
  const queues = new Map<QueueName, Queue>();
  for (const name of QUEUE_NAMES) {
    const queue = new Queue(name, {
      connection,
      prefix: opts.prefix,
      defaultJobOptions: defaultJobOptions[name],
    });
    // Connection errors surface through the commands that fail; without a listener BullMQ prints each
    // reconnection attempt's error to stderr, outside the logs, for as long as Redis is away.
    queue.on('error', () => {});
    queues.set(name, queue);
  }
  return {
    prefix: opts.prefix,
    connection,
    get: (name) => queues.get(name)!,
    all: () => [...queues.values()],
    async close() {
      await Promise.all([...queues.values()].map((q) => q.close()));
      if (!opts.connection) connection.disconnect();
    },
  };
}

/** Validates `data` against the queue's schema, then adds the job. Invalid data is never enqueued. */
export function parsePayload<Q extends QueueName>(name: Q, data: unknown): Payload<Q> {
  // The tracker's payload (every job of the busiest queue) is checked without zod when it is plain.
  if (name === 'tracker' && isPlainTrackerPayload(data)) return data as Payload<Q>;
  const r = payloadSchemas[name].safeParse(data);
  if (!r.success)
    throw new ValidationError(
      r.error.issues.map((i) => ({ field: i.path.length ? i.path.join('.') : name, message: i.message })),
    );
  return r.data as Payload<Q>;
}

export async function enqueue<Q extends QueueName>(
  queues: QueueSet,
  name: Q,
  data: Payload<Q>,
  opts: JobsOptions = {},
): Promise<string | undefined> {
  const payload = parsePayload(name, data);
  const job = await queues.get(name).add(name, payload, opts);
  return job.id;
}

export async function enqueueBulk<Q extends QueueName>(
  queues: QueueSet,
  name: Q,
  jobs: { data: Payload<Q>; opts?: JobsOptions }[],
): Promise<number> {
  if (jobs.length === 0) return 0;
  const checked = jobs.map((j) => ({ name, data: parsePayload(name, j.data), opts: j.opts ?? {} }));
  await queues.get(name).addBulk(checked);
  return checked.length;
}
