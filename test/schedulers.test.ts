import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueues, type QueueSet } from '../queues/index.ts';
import { installSchedulers, scheduleEvery } from '../queues/schedulers.ts';
import { loadConfig } from '../src/config/index.ts';
import { createTestRedis, type TestRedis } from './helpers/redis.ts';

let r: TestRedis;
let sets: QueueSet[] = [];
beforeAll(async () => {
  r = await createTestRedis();
});
afterAll(async () => {
  for (const s of sets) await s.close();
  await r.cleanup();
});

describe('job schedulers', () => {
  it('ten schedulers starting at once create each schedule once, with the configured interval', async () => {
    const config = loadConfig(
      { REDIS_URL: r.url, REDIS_PREFIX: r.prefix, HUNTER_DISPATCH_EVERY_S: '7' },
      { dotenvPath: false },
    );
    sets = Array.from({ length: 10 }, () => createQueues({ redisUrl: r.url, prefix: r.prefix }));
    await Promise.all(sets.map((s) => installSchedulers(s, config)));
    const every = scheduleEvery(config);
    for (const [name, when] of Object.entries(every)) {
      const schedulers = await sets[0]!.get(name as never).getJobSchedulers();
      expect(
        schedulers.map((x) => x.key),
        name,
      ).toEqual([name]);
      if (typeof when === 'number') expect(Number(schedulers[0]!.every), name).toBe(when);
      else expect(schedulers[0]!.pattern, name).toBe(when);
    }
    expect(every['hunter-dispatch']).toBe(7000);
  });
});
