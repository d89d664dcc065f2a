import { readFileSync } from 'node:fs';
import { World } from '@pleiades/youtube-simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../src/clock.ts';
import { envSchema } from '../src/config/schema.ts';
import { beginEventFlush } from '../src/dao/dataset-flushes.ts';
import { LIFECYCLE_STAGING, lockEventsForRange, nextEventRange } from '../src/dao/event-logs.ts';
import { GAP_REASONS, stagedGaps } from '../src/dao/gaps.ts';
import { insertLifecycleEvents } from '../src/dao/lifecycle.ts';
import { ingestVideoMetadata } from '../src/dao/videos.ts';
import { addToWatchlist, claimDueBatches, getWatchlistEntries } from '../src/dao/watchlist.ts';
import { COUNTING_NOTES } from '../src/dataset/notes.ts';
import { withTransaction } from '../src/db/pool.ts';
import { lateReason } from '../src/observations/gaps.ts';
import { LIFECYCLE_EVENTS } from '../src/observations/lifecycle.ts';
import {
  decodeObservation,
  encodeObservation,
  observe,
  viewsGained,
} from '../src/observations/observation.ts';
import { titleCheckDue } from '../src/observations/titles.ts';
import { DEFAULT_VELOCITY, Tier, type TierCode, tierFor } from '../src/tiers.ts';
import { EVENT_LOGS } from '../src/vault/logs.ts';
import { readParquetRows } from '../src/vault/parquet.ts';
import { KAGGLE_TABLE, METRICS_TABLE, TIDY_TABLE, VIDEOS_TABLE } from '../src/vault/schema.ts';
import { videoIdToBigInt } from '../src/video-id.ts';
import { track } from '../workers/tracker.ts';
import { packJobs } from '../workers/tracker-dispatch.ts';
import { startTestSystem, type TestSystem } from './helpers/system.ts';

/**
 * Three simulated weeks of tracking with velocity-aware tiers on: a late-viral video comes back to
 * HOURLY, dormant ones drop to WEEKLY early, snapshots stay within 1.5 intervals of each other, and
 * lifecycle changes made in the simulator are logged once, at the poll that first saw them.
 */
const START = Date.UTC(2026, 10, 25, 12);
const WORLD = {
  videosPerDay: 2000,
  historyDays: 60,
  lateViralFraction: 0.05,
  deletedFraction: 0,
  privateFraction: 0,
  likesHiddenFraction: 0,
  commentsDisabledFraction: 0,
};
const policy = {
  hourlyUntilMs: 48 * HOUR_MS,
  dailyUntilMs: 30 * DAY_MS,
  velocity: { ...DEFAULT_VELOCITY, enabled: true },
};

describe('velocity-aware tiers (pure)', () => {
  const growth = (viewsPerHour: number | null, previousTier: TierCode = Tier.WEEKLY) => ({
    viewsPerHour,
    previousTier,
  });
  it('follow age without a rate or with the rules off', () => {
    expect(tierFor(40 * DAY_MS, growth(null), policy)).toBe(Tier.WEEKLY);
    expect(tierFor(40 * DAY_MS, growth(50_000), { ...policy, velocity: DEFAULT_VELOCITY })).toBe(Tier.WEEKLY);
    expect(tierFor(HOUR_MS, undefined, policy)).toBe(Tier.HOURLY);
  });
  it('promote growing videos, demote dormant ones after the minimum age, with hysteresis', () => {
    expect(tierFor(40 * DAY_MS, growth(1000), policy)).toBe(Tier.HOURLY);
    expect(tierFor(40 * DAY_MS, growth(999), policy)).toBe(Tier.DAILY);
    expect(tierFor(40 * DAY_MS, growth(600, Tier.HOURLY), policy)).toBe(Tier.HOURLY); // keeps it down to 500
    expect(tierFor(40 * DAY_MS, growth(499, Tier.HOURLY), policy)).toBe(Tier.DAILY);
    expect(tierFor(40 * DAY_MS, growth(30), policy)).toBe(Tier.WEEKLY);
    expect(tierFor(40 * DAY_MS, growth(30, Tier.DAILY), policy)).toBe(Tier.DAILY);
    expect(tierFor(40 * DAY_MS, growth(20, Tier.DAILY), policy)).toBe(Tier.WEEKLY);
    expect(tierFor(5 * DAY_MS, growth(0.5, Tier.DAILY), policy)).toBe(Tier.WEEKLY);
    expect(tierFor(2.5 * DAY_MS, growth(0.5, Tier.DAILY), policy)).toBe(Tier.DAILY); // under 72 h
    expect(tierFor(10 * HOUR_MS, growth(0, Tier.HOURLY), policy)).toBe(Tier.HOURLY);
  });
  it('observations keep flags and views gained exactly (removals included) in 4 bytes', () => {
    const o = observe({ views: 123_456_789_012n, likes: null, comments: 5n });
    expect(decodeObservation(encodeObservation(o))).toEqual(o);
    expect(o).toMatchObject({ seen: true, likesHidden: true, commentsDisabled: false });
    expect(viewsGained(o.viewsLow!, 123_456_789_012n + 250_000_000n)).toBe(250_000_000);
    expect(viewsGained(o.viewsLow!, 123_456_789_012n - 5000n)).toBe(-5000);
  });
  it('labels a late poll with the incident overlapping its wait the most', () => {
    const q = { reason: 'quota' as const, startedAt: 10, endedAt: 100, failures: 1 };
    const o = { reason: 'outage' as const, startedAt: 100, endedAt: 130, failures: 3 };
    expect(lateReason(0, 200, [])).toBe('late');
    expect(lateReason(0, 200, [q, o])).toBe('quota');
    expect(lateReason(95, 200, [q, o])).toBe('outage');
    expect(lateReason(140, 200, [q, o])).toBe('late');
  });
  it('reads titles at the first poll of each period, while the hot row exists', () => {
    const opts = { periodMs: DAY_MS, withinMs: 7 * DAY_MS };
    const min = (ms: number) => ms / MINUTE_MS;
    const v = { publishedMin: min(START - DAY_MS), lastTrackedMin: min(START) };
    expect(titleCheckDue(v, START + HOUR_MS, opts)).toBe(false); // same UTC day
    expect(titleCheckDue(v, START + 12 * HOUR_MS, opts)).toBe(true); // past midnight
    expect(titleCheckDue({ ...v, lastTrackedMin: 0 }, START + 12 * HOUR_MS, opts)).toBe(false);
    expect(titleCheckDue({ ...v, publishedMin: min(START - 8 * DAY_MS) }, START + 12 * HOUR_MS, opts)).toBe(
      false,
    );
  });
});

describe('docs/dataset.md', () => {
  const docs = readFileSync(new URL('../docs/dataset.md', import.meta.url), 'utf8');
  it('documents every column of every vault table and export', () => {
    // Every event log of the vault (the tracker signals' and ranks: src/vault/logs.ts) included.
    const logs = EVENT_LOGS.map((l) => l.table);
    for (const t of [METRICS_TABLE, VIDEOS_TABLE, ...logs, KAGGLE_TABLE])
      for (const c of t.columns) expect(docs, `${t.name}.${c.name}`).toContain(`| \`${c.name}\``);
    for (const t of logs) expect(docs).toContain(`### \`${t.name}/\``);
    for (const c of TIDY_TABLE.columns) expect(docs, `tidy.${c.name}`).toContain(`\`${c.name}\``);
    for (const t of [METRICS_TABLE, VIDEOS_TABLE, ...logs, KAGGLE_TABLE, TIDY_TABLE])
      expect(docs).toContain(`\`${t.name}/${t.version}\``);
  });
  it('documents every lifecycle event, gap reason, view-counting note and setting', () => {
    for (const e of LIFECYCLE_EVENTS) expect(docs).toContain(`| \`${e}\``);
    for (const r of GAP_REASONS) expect(docs).toContain(`| \`${r}\``);
    // Table cells may be padded by a formatter.
    for (const n of COUNTING_NOTES)
      expect(docs).toMatch(new RegExp(`\\|\\s*${n.date}\\s*\\|\\s*${n.subject}\\s*\\|`));
    for (const n of COUNTING_NOTES) expect(docs).toContain(n.note);
    for (const v of Object.keys(envSchema.shape).filter((k) =>
      /^TIER_VELOCITY_|^TRACKER_TITLE_CHECK/.test(k),
    ))
      expect(docs).toContain(`\`${v}`);
  });
});

let s: TestSystem;
const q = (sql: string, params: unknown[] = []) => s.db.pool.query(sql, params);

/** One dispatcher round without BullMQ: claim what is due (young tiers first), pack, track. */
async function cycle(): Promise<void> {
  const now = s.clock.now();
  const claimed = [];
  for (const tier of [Tier.HOURLY, Tier.DAILY, Tier.WEEKLY] as TierCode[])
    claimed.push(...(await claimDueBatches(s.db.pool, { tier, limit: 1000, now, leaseMs: 15 * MINUTE_MS })));
  for (const job of packJobs(claimed)) await track(s.ctx.deps, job);
}

// Chosen from the same world the simulator builds (seed 42, these options, this start).
const world = new World(42, WORLD, START);
const views = (i: number, t: number) => world.statistics(i, t).viewCount;
const young = world.videoIdsPublishedBetween(START - 6 * HOUR_MS, START, 40);
const dailyAge = world.videoIdsPublishedBetween(START - 10 * DAY_MS, START - 4 * DAY_MS, 400);
const dormant = dailyAge
  .filter((id) => views(world.indexOf(id), START + DAY_MS) - views(world.indexOf(id), START) < 6)
  .slice(0, 15);
// Growing 2 to 400 views an hour on the first day: neither dormant nor HOURLY.
const active = dailyAge
  .filter((id) => {
    const vph = (views(world.indexOf(id), START + DAY_MS) - views(world.indexOf(id), START)) / 24;
    return vph >= 2 && vph < 400;
  })
  .slice(0, 5);
const weeklyAge = world.videoIdsPublishedBetween(START - 50 * DAY_MS, START - 31 * DAY_MS, 40_000);
// Quiet before the test, a surge in its first week: its weekly re-poll sees ≥ 2× the HOURLY threshold.
const lateViral = weeklyAge
  .filter((id) => {
    const i = world.indexOf(id);
    const before = (views(i, START) - views(i, START - 7 * DAY_MS)) / 168;
    const during = (views(i, START + 7 * DAY_MS) - views(i, START)) / 168;
    return before < 20 && during > 2 * DEFAULT_VELOCITY.hourlyVph;
  })
  .slice(0, 3);
const quietWeekly = weeklyAge
  .filter((id) => {
    const i = world.indexOf(id);
    return views(i, START + 21 * DAY_MS) - views(i, START) < 21 * 24; // under 1 view an hour
  })
  .slice(0, 10);
const [deleted, madePrivate, likesHidden, commentsOff, retitled, hiddenFromStart] = young as [
  string,
  string,
  string,
  string,
  string,
  string,
];

beforeAll(async () => {
  expect(lateViral.length).toBeGreaterThan(0);
  expect(dormant.length).toBeGreaterThan(5);
  expect(active.length).toBeGreaterThan(0);
  s = await startTestSystem({
    start: START,
    env: {
      TIER_VELOCITY_ENABLED: 'true',
      TRACKER_TITLE_CHECK_H: '24',
      TRACKER_MISSES_BEFORE_GONE: '3',
      // Vault flushes run only when this test asks.
      VAULT_FLUSH_INTERVAL_S: '100000000',
    },
    simulator: { world: WORLD },
    queues: [],
  });
  const all = [...young, ...dormant, ...active, ...lateViral, ...quietWeekly];
  await addToWatchlist(
    s.db.pool,
    all.map((id) => ({ id, publishedAt: world.publishedAt(world.indexOf(id)) })),
    START,
    s.ctx.deps.policy,
  );
  // Hot rows for the young videos (the Hunter's work); one with a title YouTube no longer shows.
  await ingestVideoMetadata(
    s.db.pool,
    young.map((id) => {
      const d = world.details(world.indexOf(id));
      return {
        id,
        channelId: d.channel.id,
        channelTitle: d.channel.title,
        title: id === retitled ? 'The title before the change' : d.title,
        description: d.description,
        tags: d.tags,
        categoryId: Number(d.categoryId),
        durationS: d.durationS,
        publishedAt: new Date(d.publishedAt),
        sourceQueryId: null,
      };
    }),
    new Date(START),
  );
  s.ctx.simulator!.setVideoState(hiddenFromStart, 'likesHidden');
}, 60_000);
afterAll(async () => {
  await s?.close();
});

describe('three simulated weeks of tracking', () => {
  it('runs hour by hour, with lifecycle changes made along the way', async () => {
    const changes = new Map<
      number,
      [string, 'deleted' | 'private' | 'public' | 'likesHidden' | 'commentsDisabled'][]
    >([
      [5, [[deleted, 'deleted']]],
      [10, [[madePrivate, 'private']]],
      [12, [[madePrivate, 'public']]],
      [20, [[likesHidden, 'likesHidden']]],
      [30, [[likesHidden, 'public']]],
      [40, [[commentsOff, 'commentsDisabled']]],
    ]);
    await cycle();
    for (let h = 1; h <= 21 * 24; h++) {
      // Changes happen half-way between two polls.
      s.clock.advance(30 * MINUTE_MS);
      for (const [id, state] of changes.get(h - 1) ?? []) s.ctx.simulator!.setVideoState(id, state);
      s.clock.advance(30 * MINUTE_MS);
      await cycle();
    }
    const n = await q('SELECT count(*)::int AS n FROM staging');
    expect(n.rows[0].n).toBeGreaterThan(2000);
  }, 120_000);

  it('logs each lifecycle change once, at the first poll after it', async () => {
    const r = await q(
      `SELECT video_id, event, seen_at, previous_at, initial, detail FROM lifecycle_staging ORDER BY seq`,
    );
    const at = (h: number) => new Date(START + h * HOUR_MS);
    const rows = r.rows.map((x) => ({ ...x, video_id: String(x.video_id) }));
    const id = (v: string) => String(videoIdToBigInt(v));
    const expected = [
      { video_id: id(hiddenFromStart), event: 4, seen_at: at(0), previous_at: null, initial: true },
      { video_id: id(deleted), event: 1, seen_at: at(6), previous_at: at(5), initial: false },
      { video_id: id(deleted), event: 3, seen_at: at(8), previous_at: at(5), initial: false },
      { video_id: id(madePrivate), event: 1, seen_at: at(11), previous_at: at(10), initial: false },
      { video_id: id(madePrivate), event: 2, seen_at: at(13), previous_at: at(10), initial: false },
      { video_id: id(retitled), event: 8, seen_at: at(12), previous_at: at(11), initial: false },
      { video_id: id(likesHidden), event: 4, seen_at: at(21), previous_at: at(20), initial: false },
      { video_id: id(likesHidden), event: 5, seen_at: at(31), previous_at: at(30), initial: false },
      { video_id: id(commentsOff), event: 6, seen_at: at(41), previous_at: at(40), initial: false },
    ];
    const byKey = (x: { video_id: string; event: number }) => `${x.video_id}:${x.event}`;
    expect(rows.map(byKey).sort()).toEqual(expected.map(byKey).sort());
    for (const e of expected) expect(rows.find((x) => byKey(x) === byKey(e))).toMatchObject(e);
    expect(rows.find((x) => x.event === 8)!.detail).toBe(world.title(world.indexOf(retitled)));
    const [gone] = await getWatchlistEntries(s.db.pool, [deleted]);
    expect(gone).toMatchObject({ tier: 'GONE', misses: 3 });
  });

  it('promotes the late-viral videos to HOURLY and demotes dormant ones to WEEKLY early', async () => {
    const tiers = async (ids: string[]) => {
      const r = await q(
        `SELECT video_id, array_agg(tier ORDER BY due_min) AS tiers, array_agg(taken_at ORDER BY due_min) AS at
         FROM staging WHERE video_id = ANY($1::bigint[]) GROUP BY video_id`,
        [ids.map(videoIdToBigInt)],
      );
      expect(r.rows.length).toBe(ids.length);
      return r.rows as { tiers: number[]; at: Date[] }[];
    };
    for (const v of await tiers(lateViral)) {
      // First poll by age (WEEKLY), the weekly re-poll sees the surge: HOURLY from then on, for a while.
      expect(v.tiers[0]).toBe(Tier.WEEKLY);
      expect(v.tiers[1]).toBe(Tier.HOURLY);
      expect(v.at[1]!.getTime()).toBe(START + 7 * DAY_MS);
      expect(v.tiers.filter((t) => t === Tier.HOURLY).length).toBeGreaterThan(12);
    }
    for (const v of await tiers(dormant)) {
      // DAILY by age (4-10 days old), under 1 view an hour: WEEKLY from the second poll.
      expect(v.tiers.slice(0, 2)).toEqual([Tier.DAILY, Tier.WEEKLY]);
      expect(v.at[2]!.getTime() - v.at[1]!.getTime()).toBe(7 * DAY_MS);
    }
    for (const v of await tiers(active)) expect(v.tiers.slice(0, 2)).toEqual([Tier.DAILY, Tier.DAILY]);
    for (const v of await tiers(quietWeekly)) expect(new Set(v.tiers)).toEqual(new Set([Tier.WEEKLY]));
  });

  it('keeps every gap within 1.5 tier intervals, and every missed poll has a reason', async () => {
    const r = await q(
      `SELECT video_id, due_min, taken_at, tier,
              lag(taken_at) OVER w AS prev_at, lag(tier) OVER w AS prev_tier, lag(due_min) OVER w AS prev_due
       FROM staging WINDOW w AS (PARTITION BY video_id ORDER BY due_min)`,
    );
    const gaps = await stagedGaps(s.db.pool);
    expect(gaps.filter((g) => g.taken)).toEqual([]); // nothing was late: quota sufficed
    const missed = new Set(
      gaps.flatMap((g) => g.videoIds.map((v) => `${String(videoIdToBigInt(v))}:${g.dueAt / MINUTE_MS}`)),
    );
    const interval = [HOUR_MS, DAY_MS, 7 * DAY_MS];
    let checked = 0;
    for (const x of r.rows) {
      if (!x.prev_at) continue;
      checked++;
      const gap = x.taken_at.getTime() - x.prev_at.getTime();
      if (gap <= 1.5 * interval[x.prev_tier]!) continue;
      // A longer gap only where polls in between found the video missing, each with its gap row.
      let explained = false;
      for (const k of missed) if (k.startsWith(`${x.video_id}:`)) explained = true;
      expect(explained, `gap of ${gap / HOUR_MS} h for ${x.video_id}`).toBe(true);
    }
    expect(checked).toBeGreaterThan(2000);
    expect(gaps.map((g) => [g.videoIds, g.reason, (g.polledAt - START) / HOUR_MS])).toEqual([
      [[deleted], 'unavailable', 6],
      [[deleted], 'unavailable', 7],
      [[deleted], 'unavailable', 8],
      [[madePrivate], 'unavailable', 11],
      [[madePrivate], 'unavailable', 12],
    ]);
  });
});

describe('the event logs in the vault', () => {
  it('flush like metrics: a flush that crashed after recording its range is finished, nothing twice', async () => {
    const staged = async () =>
      (
        await q(
          `SELECT (SELECT count(*) FROM lifecycle_staging)::int AS l,
                  (SELECT coalesce(sum(cardinality(video_ids)), 0) FROM gap_staging)::int AS g`,
        )
      ).rows[0] as { l: number; g: number };
    const before = await staged();
    expect(before).toEqual({ l: 9, g: 5 });
    // A flush that recorded its lifecycle range, then died.
    await withTransaction(s.db.pool, async (tx) => {
      const upTo = (await lockEventsForRange(tx, LIFECYCLE_STAGING))!;
      const range = (await nextEventRange(tx, LIFECYCLE_STAGING, { maxRows: 1000, upTo }))!;
      await beginEventFlush(tx, 'lifecycle', range.firstSeq, range.lastSeq);
    });
    const r = await s.ctx.deps.vault.flush(s.db.pool, { clock: s.clock, force: true });
    expect(r).toMatchObject({ events: before.l + before.g });
    expect(await staged()).toEqual({ l: 0, g: 0 });
    expect((await s.ctx.deps.vault.flush(s.db.pool, { clock: s.clock, force: true })).events).toBeUndefined();
    const rowsOf = async (dataset: string) => {
      const out: Record<string, unknown>[] = [];
      for (const o of await s.ctx.deps.vault.provider.list(`${dataset}/`))
        out.push(...(await readParquetRows(await s.ctx.deps.vault.provider.read(o.key))));
      return out;
    };
    const lifecycle = await rowsOf('lifecycle');
    expect(lifecycle.length).toBe(before.l);
    expect(lifecycle.find((e) => e.video_id === deleted && e.event === 'gone')).toMatchObject({
      seen_at: START + 8 * HOUR_MS,
      due_at: START + 8 * HOUR_MS,
      previous_at: START + 5 * HOUR_MS,
      initial: false,
      detail: null,
    });
    const gaps = await rowsOf('gaps');
    expect(gaps.map((g) => [g.video_id, g.reason, g.taken, g.tier, g.delay_s])).toEqual(
      expect.arrayContaining([[madePrivate, 'unavailable', false, 'HOURLY', 0n]]),
    );
    expect(gaps.length).toBe(before.g);
    const flushes = await q('SELECT kind, finished_at IS NOT NULL AS done FROM dataset_flushes ORDER BY id');
    expect(flushes.rows).toEqual([
      { kind: 'lifecycle', done: true },
      { kind: 'gaps', done: true },
    ]);
    // A second file on the first day, then compaction merges the day like metrics.
    await insertLifecycleEvents(s.db.pool, [
      {
        videoId: young[10]!,
        event: 'comments_disabled',
        dueAt: START + HOUR_MS,
        seenAt: START + HOUR_MS,
        previousAt: START,
        initial: false,
        detail: null,
      },
    ]);
    await s.ctx.deps.vault.flush(s.db.pool, { clock: s.clock, force: true });
    const day = `lifecycle/dt=${new Date(START).toISOString().slice(0, 10)}/`;
    expect((await s.ctx.deps.vault.provider.list(day)).length).toBe(2);
    const merged = await s.ctx.deps.vault.compact(s.db.pool, { clock: s.clock });
    expect(merged.filter((m) => m.dataset === 'lifecycle').map((m) => [m.inputs, m.rows])).toEqual([[2, 5]]); // 0, 6, 8, 11 h and this one
    expect((await s.ctx.deps.vault.provider.list(day)).length).toBe(1);
    expect((await rowsOf('lifecycle')).length).toBe(before.l + 1);
  });
});
