import { PERFECT_HUB } from '@pleiades/youtube-simulator/hub-realism';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardDeps } from '../app/system.ts';
import { type RunningDashboard, startDashboard } from '../dashboard/server.ts';
import { enqueue } from '../queues/index.ts';
import { MINUTE_MS } from '../src/clock.ts';
import { followChannels } from '../src/dao/followed-channels.ts';
import { stagedLifecycleFor } from '../src/dao/lifecycle.ts';
import { claimDueBatches } from '../src/dao/watchlist.ts';
import { Tier, type TierCode } from '../src/tiers.ts';
import { videoIdToBigInt } from '../src/video-id.ts';
import { parseFeed } from '../src/websub/feed.ts';
import { dispatchChannels } from '../workers/channel-dispatch.ts';
import { track } from '../workers/tracker.ts';
import { packJobs } from '../workers/tracker-dispatch.ts';
import { ingestAnnounced, subscribeChannels } from '../workers/websub.ts';
import { drain, failedJobs } from './helpers/queues.ts';
import { freePort } from './helpers/reliability.ts';
import { startTestSystem, type TestSystem } from './helpers/system.ts';

/**
 * The simulator's hub as imperfect as YouTube's — late, duplicated and dropped notifications, title
 * updates and deletion notices — and what Pleiades makes of each, over real HTTP on a ManualClock.
 */
const KEY = 'AIzaSy-websub-realism-the-only-key-000';
const SECRET = 'websub-realism-secret-0123456789abcd';
const START = Date.UTC(2026, 10, 25, 9);

let s: TestSystem;
let dash: RunningDashboard;
let followed: string[];
const q = (sql: string, params: unknown[] = []) => s.db.pool.query(sql, params);
const sim = () => s.ctx.simulator!;
const hub = () => sim().hub!;
const world = () => sim().world;

/** Uploads of the followed channels published in (from, to]. */
const uploads = (from: number, to: number) =>
  world()
    .videoIdsPublishedBetween(from + 1, to + 1, 100_000)
    .filter((id) => followed.includes(world().details(world().indexOf(id)).channel.id));

const known = async (ids: string[]) =>
  (
    await q('SELECT count(*)::int AS n FROM watchlist WHERE video_id = ANY($1::bigint[])', [
      ids.map(videoIdToBigInt),
    ])
  ).rows[0].n as number;

const callsOf = (method: string) =>
  Object.values(sim().stats().keys)
    .flatMap((d) => Object.values(d))
    .reduce((n, k) => n + (k.calls[method] ?? 0), 0);
const videosListCalls = () => callsOf('videos.list');
const channelFinds = async () =>
  (await q(`SELECT coalesce(sum(new_videos), 0)::int AS n FROM discovery_daily WHERE route = 'channel'`))
    .rows[0].n as number;
const unitsCharged = () =>
  Object.values(sim().stats().keys)
    .flatMap((d) => Object.values(d))
    .reduce((n, k) => n + k.units, 0);

async function ingest() {
  await enqueue(s.ctx.queues, 'websub-ingest', {});
  await drain(s.ctx.queues, ['websub-ingest']);
  expect(await failedJobs(s.ctx.queues, ['websub-ingest'])).toEqual([]);
}

/** One tracker round: every due batch of every tier, claimed and tracked. */
async function pollDue() {
  const claimed = [];
  for (const tier of [Tier.HOURLY, Tier.DAILY, Tier.WEEKLY] as TierCode[])
    claimed.push(
      ...(await claimDueBatches(s.db.pool, {
        tier,
        limit: 1000,
        now: s.clock.now(),
        leaseMs: 15 * MINUTE_MS,
      })),
    );
  for (const job of packJobs(claimed)) await track(s.ctx.deps, job);
  return claimed.flatMap((b) => b.videos.map((v) => v.id));
}

beforeAll(async () => {
  const [simPort, dashPort] = [await freePort(), await freePort()];
  s = await startTestSystem({
    start: START,
    queues: ['websub-ingest', 'channel-poll'],
    env: {
      YOUTUBE_API_KEY_POOL_JSON: JSON.stringify([KEY]),
      HYDRA_KEY_RPS: '100000',
      WEBSUB_BATCH_WAIT_S: '0', // every push ingested at once (the batching has its own test)
      WEBSUB_CALLBACK_URL: `http://127.0.0.1:${dashPort}/websub`,
      WEBSUB_SECRET: SECRET,
      WEBSUB_HUB_URL: `http://127.0.0.1:${simPort}/websub/hub`,
      TRACKER_MISSES_BEFORE_GONE: '3',
    },
    simulator: {
      port: simPort,
      keys: [KEY],
      hub: { deliverEveryMs: 0 },
      world: { channels: 40, videosPerDay: 2000, historyDays: 5, deletedFraction: 0, privateFraction: 0 },
    },
  });
  dash = await startDashboard(dashboardDeps(s.ctx, s.config, s.ctx.deps.log), {
    port: dashPort,
    host: '127.0.0.1',
  });
  followed = world().channelIds().slice(0, 3).sort();
  await followChannels(s.db.pool, followed, new Date(START));
  expect(await subscribeChannels(s.ctx.deps)).toEqual({ requested: 3, failed: 0 });
  await hub().settled();
  expect(hub().stats()).toMatchObject({ subscriptions: 3, verified: 3 });
});
afterAll(async () => {
  await dash?.close();
  await s?.close();
});

describe('WebSub realism', () => {
  it('is on by default: late, sometimes twice, sometimes never', () => {
    expect(hub().realism).toMatchObject({ perfect: false });
    expect(hub().realism.dropRate).toBeGreaterThan(0);
    expect(hub().realism.duplicateRate).toBeGreaterThan(0);
    expect(hub().realism.delayMedianS).toBeGreaterThan(0);
  });

  it('a dropped notification: the upload is found by polling the channel', async () => {
    hub().realism = { ...PERFECT_HUB, perfect: false, dropRate: 1 };
    const from = s.clock.now();
    s.clock.advance(20 * MINUTE_MS);
    const dropped = uploads(from, s.clock.now());
    expect(dropped.length).toBeGreaterThan(3);
    expect(await hub().deliver()).toMatchObject({ notifications: 0, entries: 0 });
    expect(await known(dropped)).toBe(0);
    await dispatchChannels(s.ctx.deps);
    await drain(s.ctx.queues, ['channel-poll']);
    expect(await failedJobs(s.ctx.queues, ['channel-poll'])).toEqual([]);
    expect(await known(dropped)).toBe(dropped.length);
  });

  it('a duplicated notification: each video is created once', async () => {
    hub().realism = { ...PERFECT_HUB, perfect: false, duplicateRate: 1 };
    const from = s.clock.now();
    s.clock.advance(20 * MINUTE_MS);
    const fresh = uploads(from, s.clock.now());
    expect(fresh.length).toBeGreaterThan(3);
    const pushed = await hub().deliver();
    expect(pushed).toMatchObject({ entries: 2 * fresh.length, rejected: 0 });
    await ingest();
    const rows = await q('SELECT count(*)::int AS n FROM videos WHERE id = ANY($1::bigint[])', [
      fresh.map(videoIdToBigInt),
    ]);
    expect(rows.rows[0].n).toBe(fresh.length);
    expect(await known(fresh)).toBe(fresh.length);
  });

  it('a late notification: nothing at publication, the upload once its delay has passed', async () => {
    hub().realism = { ...PERFECT_HUB, perfect: false, delayMedianS: 600, maxDelayS: 600 };
    const from = s.clock.now();
    s.clock.advance(5 * MINUTE_MS);
    const fresh = uploads(from, s.clock.now());
    expect(fresh.length).toBeGreaterThan(0);
    await hub().deliver();
    await ingest();
    expect(await known(fresh)).toBe(0);
    s.clock.advance(10 * MINUTE_MS);
    expect((await hub().deliver()).entries).toBeGreaterThanOrEqual(fresh.length);
    await ingest();
    expect(await known(fresh)).toBe(fresh.length);
  });

  it('a title update: a title_changed lifecycle event from the feed, without a videos.list call', async () => {
    hub().realism = PERFECT_HUB;
    const [id] = uploads(START, s.clock.now() - 30 * MINUTE_MS);
    expect(await known([id!])).toBe(1);
    world().setVideoTitle(id!, 'A Completely New Title');
    const calls = videosListCalls();
    s.clock.advance(MINUTE_MS);
    expect((await hub().deliver()).entries).toBeGreaterThan(0);
    const events = (await stagedLifecycleFor(s.db.pool, [id!])).filter((e) => e.event === 'title_changed');
    expect(events).toHaveLength(1);
    expect(events[0]!.detail).toBe('A Completely New Title');
    expect(videosListCalls()).toBe(calls);
    // the same update pushed again is not a second change
    await ingest();
    world().setVideoTitle(id!, 'A Completely New Title');
    s.clock.advance(MINUTE_MS);
    await hub().deliver();
    expect(
      (await stagedLifecycleFor(s.db.pool, [id!])).filter((e) => e.event === 'title_changed'),
    ).toHaveLength(1);
  });

  it('a deletion notice: one unavailable event, and after the confirming poll no further polls', async () => {
    hub().realism = PERFECT_HUB;
    const [, id] = uploads(START, s.clock.now() - 30 * MINUTE_MS);
    expect(await known([id!])).toBe(1);
    world().setVideoState(id!, 'deleted');
    s.clock.advance(MINUTE_MS);
    const pushed = await hub().deliver();
    expect(pushed).toMatchObject({ rejected: 0 });
    expect(pushed.entries).toBeGreaterThan(0);
    const events = async () => (await stagedLifecycleFor(s.db.pool, [id!])).map((e) => e.event);
    expect(await events()).toEqual(['unavailable']);

    // the video's next poll confirms it: gone after ONE poll, not three
    const polled = await pollDue();
    expect(polled).toContain(id);
    expect(await events()).toEqual(['unavailable', 'gone']);
    const row = await q('SELECT tier FROM watchlist WHERE video_id = $1', [videoIdToBigInt(id!)]);
    expect(row.rows[0].tier).toBe(Tier.GONE);
    const scheduled = await q('SELECT count(*)::int AS n FROM watchlist_schedule WHERE $1 = ANY(video_ids)', [
      videoIdToBigInt(id!),
    ]);
    expect(scheduled.rows[0].n).toBe(0);
    s.clock.advance(2 * 24 * 60 * MINUTE_MS);
    expect(await pollDue()).not.toContain(id);
    expect(await events()).toEqual(['unavailable', 'gone']);
  });

  it("a channel's public feed: its newest uploads, 15 minutes late, without key or quota", async () => {
    const units = unitsCharged();
    const now = s.clock.now();
    const r = await fetch(`${sim().url}/feeds/videos.xml?channel_id=${followed[0]}`);
    expect(r.status).toBe(200);
    const feed = parseFeed(await r.text());
    expect(feed.channelId).toBe(followed[0]);
    expect(feed.entries).toHaveLength(15);
    const listed = feed.entries.map((e) => e.videoId);
    const newest = uploads(START, now - 15 * MINUTE_MS).filter(
      (id) => world().details(world().indexOf(id)).channel.id === followed[0],
    );
    expect(listed).toEqual(newest.slice(-15).reverse());
    expect(unitsCharged()).toBe(units);
    const unknown = await fetch(`${sim().url}/feeds/videos.xml?channel_id=UC${'x'.repeat(22)}`);
    expect(unknown.status).toBe(404);
    await unknown.body?.cancel();
  });

  it('a dropped notification after a poll: the free feed finds it, no playlistItems.list', async () => {
    hub().realism = PERFECT_HUB;
    // catch up: the channels are days overdue, beyond what a feed lists, so the playlist reads them
    let playlist = callsOf('playlistItems.list');
    await dispatchChannels(s.ctx.deps);
    await drain(s.ctx.queues, ['channel-poll']);
    expect(await failedJobs(s.ctx.queues, ['channel-poll'])).toEqual([]);
    expect(callsOf('playlistItems.list')).toBeGreaterThan(playlist);
    await hub().deliver();
    await ingest();

    hub().realism = { ...PERFECT_HUB, perfect: false, dropRate: 1 };
    const from = s.clock.now();
    s.clock.advance(60 * MINUTE_MS + 1000); // the channels are due again (hourly: they publish often)
    expect(await hub().deliver()).toMatchObject({ notifications: 0 });
    const dropped = uploads(from, s.clock.now() - 15 * MINUTE_MS); // what the feed lists by now
    expect(dropped.length).toBeGreaterThan(3);
    expect(await known(dropped)).toBe(0);
    playlist = callsOf('playlistItems.list');
    const [units, lists, finds] = [unitsCharged(), videosListCalls(), await channelFinds()];
    const polled = await dispatchChannels(s.ctx.deps);
    expect(polled.channels).toBe(followed.length);
    await drain(s.ctx.queues, ['channel-poll']);
    expect(await failedJobs(s.ctx.queues, ['channel-poll'])).toEqual([]);
    // the feeds' finds join the pushes' inbox: one videos.list batch for them all
    const ingested = await ingestAnnounced(s.ctx.deps, { waitMs: 0 });
    expect(ingested.newVideos).toBeGreaterThanOrEqual(dropped.length);
    expect(await known(dropped)).toBe(dropped.length);
    // ...counted as the channel route's finds
    expect((await channelFinds()) - finds).toBeGreaterThanOrEqual(dropped.length);
    // found through the feeds: no playlist read; the only units are videos.list for the new ids, 50 a unit
    expect(callsOf('playlistItems.list')).toBe(playlist);
    expect(unitsCharged() - units).toBe(videosListCalls() - lists);
    expect(videosListCalls() - lists).toBe(Math.ceil(ingested.claimed / 50));
    expect(ingested.units).toBe(Math.ceil(ingested.claimed / 50));
  });

  it('pushes wait for a full videos.list batch, at most the batch wait', async () => {
    hub().realism = PERFECT_HUB;
    await hub().deliver();
    await ingest();
    const from = s.clock.now();
    s.clock.advance(10 * MINUTE_MS);
    const pushed = uploads(from, s.clock.now());
    expect(pushed.length).toBeGreaterThan(0);
    expect(pushed.length).toBeLessThan(50);
    expect((await hub().deliver()).entries).toBe(pushed.length);
    const lists = videosListCalls();
    const waitMs = 5 * MINUTE_MS;
    expect(await ingestAnnounced(s.ctx.deps, { waitMs })).toMatchObject({ claimed: 0, units: 0 });
    s.clock.advance(waitMs);
    expect(await ingestAnnounced(s.ctx.deps, { waitMs })).toMatchObject({
      claimed: pushed.length,
      newVideos: pushed.length,
      units: 1,
    });
    expect(videosListCalls() - lists).toBe(1);
    expect(await known(pushed)).toBe(pushed.length);
  });
});
