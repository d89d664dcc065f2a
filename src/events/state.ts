import type { PgBoss } from 'pg-boss';

/**
 * Small durable state for consumers of the bus (alert rules: a moving average, a failure streak),
 * kept in Postgres so that a restart loses nothing, without a table of its own: each key is one
 * pg-boss job of a queue no worker reads, deferred far into the future so it is never ready,
 * never counted as backlog and never expired, and updated in place with `upsert` by singleton key.
 * One row per key, whatever the number of updates.
 *
 * Read-modify-write is not atomic across processes: callers that update a key from several
 * processes at once make their handlers idempotent and run them on a `singleton` group queue.
 */
export const STATE_QUEUE = 'pleiades.state';
const NEVER = new Date('2999-01-01T00:00:00Z');
const KEY_RE = /^[\w.\-/]{1,200}$/;

export interface StateStore {
  get<T>(key: string): Promise<T | undefined>;
  set<T>(key: string, value: T): Promise<void>;
}

export async function createStateStore(boss: PgBoss): Promise<StateStore> {
  await boss.createQueue(STATE_QUEUE, {
    retentionSeconds: 2_000_000_000,
    deleteAfterSeconds: 0,
    retryLimit: 0,
  });
  const check = (key: string) => {
    if (!KEY_RE.test(key))
      throw new RangeError(`a state key is letters, digits, _ . - /: ${JSON.stringify(key)}`);
  };
  return {
    async get<T>(key: string) {
      check(key);
      const rows = await boss.findJobs<{ value: T }>(STATE_QUEUE, { key, queued: true, limit: 10 });
      // Two processes inserting the first value at once can leave two rows: the newest wins.
      const newest = rows.sort((a, b) => b.createdOn.getTime() - a.createdOn.getTime())[0];
      return newest?.data.value;
    },
    async set<T>(key: string, value: T) {
      check(key);
      await boss.upsert(STATE_QUEUE, { value }, { singletonKey: key, startAfter: NEVER });
    },
  };
}
