import { DAY_MS, MINUTE_MS } from '../src/clock.ts';
import { addToWatchlist, claimDueBatches, completeBatches } from '../src/dao/watchlist.ts';
import { nextTrack, Tier } from '../src/tiers.ts';
import { videoIdFromBits } from '../src/video-id.ts';
import { benchDatabase } from './db.ts';
import type { Figure } from './figures.ts';

async function relationBytes(
  pool: import('../src/db/pool.ts').Pool,
): Promise<{ total: number; heap: number; indexes: number }> {
  const r = await pool.query<{ total: string; heap: string; idx: string }>(
    `SELECT sum(pg_total_relation_size(t)) AS total, sum(pg_relation_size(t)) AS heap, sum(pg_indexes_size(t)) AS idx
     FROM unnest(ARRAY['watchlist', 'watchlist_schedule']::regclass[]) AS t`,
  );
  const x = r.rows[0]!;
  return { total: Number(x.total), heap: Number(x.heap), indexes: Number(x.idx) };
}

/**
 * Watchlist bytes per video (both tables, heap + indexes + TOAST: pg_total_relation_size) at `rows` rows: fresh, then after
 * a round of schedule updates through the DAO — every row claimed (lease) and written back (next
 * track time), as the tracker does — and a plain VACUUM, as autovacuum would do with the table's settings.
 */
export async function benchWatchlist(opts: { rows: number }): Promise<Figure[]> {
  const db = await benchDatabase('pleiades_bench_watchlist');
  try {
    const now = Date.UTC(2026, 10, 25, 12);
    const chunk = 10_000;
    let seed = 0x2545f4914f6cdd1dn;
    for (let i = 0; i < opts.rows; i += chunk) {
      const videos = [];
      for (let j = 0; j < Math.min(chunk, opts.rows - i); j++) {
        seed = BigInt.asUintN(64, seed * 6364136223846793005n + 1442695040888963407n);
        // Published over the past 60 days: a mix of HOURLY, DAILY and WEEKLY rows.
        videos.push({
          id: videoIdFromBits(seed),
          publishedAt: now - Number(seed % 60n) * DAY_MS - Number(seed % 1440n) * MINUTE_MS,
        });
      }
      await addToWatchlist(db.pool, videos, now);
    }
    await db.pool.query('VACUUM ANALYZE watchlist');
    const fresh = await relationBytes(db.pool);
    const t0 = performance.now();
    let updated = 0;
    // One full round: every schedule batch claimed and completed, as the tracker does.
    const at = now + 5 * MINUTE_MS;
    // A real round takes hours (HOURLY) to a week (WEEKLY), and autovacuum visits the schedule table
    // every minute or so (its scale factor is 0.01). Compressed into seconds here, that is emulated by
    // a plain VACUUM of the schedule after each 5% of the batches.
    const batchesTotal = Number(
      (await db.pool.query('SELECT count(*) AS n FROM watchlist_schedule')).rows[0].n,
    );
    const vacuumEvery = Math.max(1, Math.floor(batchesTotal / 20));
    let sinceVacuum = 0;
    for (const tier of [Tier.HOURLY, Tier.DAILY, Tier.WEEKLY]) {
      for (;;) {
        const claimed = await claimDueBatches(db.pool, { tier, limit: 200, now, leaseMs: 15 * MINUTE_MS });
        if (claimed.length === 0) break;
        for (const b of claimed) {
          await completeBatches(
            db.pool,
            [b.batchId],
            b.leaseMin,
            b.videos.map((v) => {
              const n = nextTrack(v.publishedMin * MINUTE_MS, at);
              return {
                videoId: v.id,
                tier: n.tier,
                nextTrackAt: n.nextAt,
                trackedAt: at,
                lastTrackedMin: v.lastTrackedMin,
                misses: 0,
                previousTier: v.tier,
                previousMisses: v.misses,
              };
            }),
          );
          updated += b.videos.length;
          if (++sinceVacuum >= vacuumEvery) {
            sinceVacuum = 0;
            await db.pool.query('VACUUM watchlist_schedule');
          }
        }
      }
    }
    const updateS = (performance.now() - t0) / 1000;
    const beforeVacuum = await relationBytes(db.pool);
    await db.pool.query('VACUUM watchlist');
    const after = await relationBytes(db.pool);
    const per = (b: number) => Math.round((b / opts.rows) * 10) / 10;
    return [
      {
        name: 'watchlist bytes/video, fresh',
        value: per(fresh.total),
        unit: 'B',
        goal: '≤ 100',
        how: `${opts.rows} rows, heap ${per(fresh.heap)} + indexes ${per(fresh.indexes)}`,
      },
      {
        name: 'watchlist bytes/video after a round of schedule updates',
        value: per(after.total),
        unit: 'B',
        goal: '≤ 100',
        ok: per(after.total) <= 100,
        how: `every schedule batch claimed and completed through the DAO (VACUUM of the schedule after each 5%, as autovacuum over a real round), then VACUUM: heap ${per(after.heap)} + indexes ${per(after.indexes)}; before VACUUM ${per(beforeVacuum.total)}`,
      },
      {
        name: 'watchlist schedule round, videos/s (1 client)',
        value: Math.round(updated / updateS),
        unit: 'rows/s',
        goal: 'report',
        how: 'claimDueBatches + completeBatches per 50-video batch, 1 client',
      },
    ];
  } finally {
    await db.drop();
  }
}
