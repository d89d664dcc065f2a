import type { SimulatorStats } from '@pleiades/youtube-simulator';
import type { QuotaBucket } from '@pleiades/youtube-simulator/quota-costs';
import { createContext } from '../app/context.ts';
import { loadConfig } from '../src/config/index.ts';
import { AllKeysExhaustedError } from '../src/errors/index.ts';
import { silentLogger } from '../src/log.ts';
import { benchDatabase } from './db.ts';
import type { Figure } from './figures.ts';
import { benchRedis } from './procs.ts';

const KEYS = [
  'AIzaQuotaKey-aaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  'AIzaQuotaKey-bbbbbbbbbbbbbbbbbbbbbbbbbbbb',
  'AIzaQuotaKey-cccccccccccccccccccccccccccc',
];

/** quotaExceeded answers per key fingerprint, summed over the days in the stats. */
const exceeded = (s: SimulatorStats): Map<string, number> =>
  new Map(
    Object.entries(s.keys).map(([fp, days]) => [
      fp,
      Object.values(days).reduce((a, d) => a + (d.errors.quotaExceeded ?? 0), 0),
    ]),
  );

/**
 * A pool of three keys with small quotas driven to exhaustion through Hydra by 16 concurrent callers
 * per bucket (videos.list for the units bucket, search.list for its own), until Hydra refuses with
 * AllKeysExhaustedError. Twice: when Hydra's count is the only use of the keys, and when YouTube's
 * count runs ahead (a third of each key already spent elsewhere, unknown to Hydra). The figure is the
 * worst key and bucket: how many calls met quotaExceeded.
 */
export async function benchQuota(opts: { unitsQuota: number; searchQuota: number }): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const scenario of ['own count', 'count ahead'] as const) {
    const db = await benchDatabase('pleiades_bench_quota');
    const redis = await benchRedis();
    const config = loadConfig(
      {
        DATABASE_URL: db.url,
        REDIS_URL: redis.url,
        REDIS_PREFIX: redis.prefix,
        YOUTUBE_API_KEY_POOL_JSON: JSON.stringify(KEYS),
        HYDRA_UNITS_QUOTA: String(opts.unitsQuota),
        HYDRA_SEARCH_QUOTA: String(opts.searchQuota),
        HYDRA_KEY_RPS: '100000',
        LOG_LEVEL: 'silent',
      },
      { dotenvPath: false },
    );
    const ctx = await createContext(config, silentLogger, {
      events: false,
      simulator: { keys: KEYS, unitsQuota: opts.unitsQuota, searchQuota: opts.searchQuota },
    });
    const sim = ctx.simulator!;
    const yt = ctx.deps.youtube;
    const ids = sim.world.videoIdsPublishedBetween(Date.now() - 86_400_000, Date.now(), 50);
    try {
      if (scenario === 'count ahead')
        for (const key of KEYS) {
          for (let i = 0; i < Math.floor(opts.unitsQuota / 3); i++)
            await yt.videosList(key, ids, ['statistics']);
          for (let i = 0; i < Math.floor(opts.searchQuota / 3); i++) await yt.searchList(key, { q: 'music' });
        }
      const worst: Record<QuotaBucket, number> = { units: 0, search: 0 };
      let calls = 0;
      for (const bucket of ['units', 'search'] as QuotaBucket[]) {
        const before = exceeded(sim.stats());
        await Promise.all(
          Array.from({ length: 16 }, async () => {
            for (;;) {
              try {
                await ctx.hydra.call<unknown>(
                  { pool: 'tracking', method: bucket === 'units' ? 'videos.list' : 'search.list' },
                  (key) =>
                    bucket === 'units'
                      ? yt.videosList(key, ids, ['statistics'])
                      : yt.searchList(key, { q: 'music' }),
                );
                calls++;
              } catch (err) {
                if (err instanceof AllKeysExhaustedError) return;
                // quotaExceeded that Hydra retried on another key does not reach here; anything else counts
                calls++;
              }
            }
          }),
        );
        const after = exceeded(sim.stats());
        for (const [fp, n] of after) worst[bucket] = Math.max(worst[bucket], n - (before.get(fp) ?? 0));
      }
      const value = Math.max(worst.units, worst.search);
      const own = scenario === 'own count';
      figures.push({
        name: own
          ? 'quotaExceeded per key and bucket per day'
          : 'quotaExceeded per key and bucket, YouTube count ahead',
        value,
        unit: 'calls',
        // When Hydra is not the keys' only user, the calls already in flight on a key when YouTube
        // says it is spent all meet quotaExceeded: at most the callers sharing that key.
        goal: own ? '<= 1' : '<= calls in flight on the key (16 callers / 3 keys)',
        ok: own ? value <= 1 : value <= Math.ceil(16 / 3) + 1,
        how: `3 keys × ${opts.unitsQuota} units / ${opts.searchQuota} searches, 16 concurrent callers per bucket through Hydra until AllKeysExhaustedError (${calls} calls); ${own ? 'Hydra is the keys only user' : 'a third of each key spent beforehand outside Hydra'}; worst key: units ${worst.units}, search ${worst.search} (simulator's error log)`,
      });
    } finally {
      await ctx.close();
      await redis.drop();
      await db.drop();
    }
  }
  return figures;
}
