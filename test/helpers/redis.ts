import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { createRedis, deleteKeysWithPrefix } from '../../src/redis.ts';
import { testRedisUrl } from './env.ts';

export interface TestRedis {
  url: string;
  /** A key prefix of the test's own, in braces like the product's. */
  prefix: string;
  redis: Redis;
  cleanup(): Promise<void>;
}

export async function createTestRedis(): Promise<TestRedis> {
  const prefix = `{pt-${randomBytes(4).toString('hex')}}`;
  const url = testRedisUrl();
  const redis = createRedis(url);
  return {
    url,
    prefix,
    redis,
    async cleanup() {
      await deleteKeysWithPrefix(redis, prefix);
      redis.disconnect();
    },
  };
}
