import { createHydra } from '../src/hydra/hydra.ts';
import type { Figure } from './figures.ts';
import { benchRedis } from './procs.ts';

/**
 * Hydra's cost per call as the key pool grows: `acquire.lua` looks at every key of the pool to find
 * the least-used usable one, so its Redis CPU grows with the pool. A pool that spends its quota makes
 * ~0.116 calls a second per key (10,000 units a day each), so the Redis CPU Hydra takes grows with the
 * square of the pool: this figure says where that starts to matter. Redis CPU is read from `INFO cpu`
 * around `calls` sequential calls of a no-op (no HTTP): the script, the charge and the bookkeeping.
 */
export async function benchHydra(opts: { pools: number[]; calls: number }): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const n of opts.pools) {
    const r = await benchRedis();
    try {
      const keys = Array.from({ length: n }, (_, i) => `AIzaBenchHydra${String(i).padStart(25, '0')}`);
      const hydra = createHydra({
        redis: r.redis,
        prefix: r.prefix,
        pools: { tracking: keys },
        unitsQuota: 1e9,
      });
      const call = () => hydra.call({ pool: 'tracking', method: 'videos.list' }, async () => 1);
      for (let i = 0; i < 20; i++) await call();
      const cpu0 = await redisCpuSeconds(r.redis);
      const t0 = performance.now();
      for (let i = 0; i < opts.calls; i++) await call();
      const seconds = (performance.now() - t0) / 1000;
      const us = Math.round((((await redisCpuSeconds(r.redis)) - cpu0) * 1e6) / opts.calls);
      const perDay = n * 10_000;
      figures.push({
        name: `hydra: Redis CPU per call, ${n.toLocaleString('en-US')}-key pool`,
        value: us,
        unit: 'µs',
        goal: 'reported',
        how: `bench/hydra.ts: ${opts.calls} sequential hydra.call of a no-op on a pool of ${n} keys (HYDRA_KEY_RPS lifted) (${((seconds * 1000) / opts.calls).toFixed(2)} ms each), Redis' used_cpu_user + used_cpu_sys before and after; a pool of ${n} keys spends ${perDay.toLocaleString('en-US')} units a day, ${(perDay / 86_400).toFixed(1)} calls/s on average: ${((us * perDay) / 86_400 / 1e4).toFixed(1)}% of a Redis core for Hydra alone`,
        // CPU time: slower on a slower machine, as the gate's speed says.
        gate: { better: 'lower', scale: 'time', slack: 100 },
      });
    } finally {
      await r.drop();
    }
  }
  return figures;
}

async function redisCpuSeconds(redis: import('ioredis').Redis): Promise<number> {
  const info = await redis.info('cpu');
  const read = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return read('used_cpu_user') + read('used_cpu_sys');
}
