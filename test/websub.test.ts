import { buildFeed, signBody } from '@pleiades/youtube-simulator/websub-feed';
import { topicForChannel } from '@pleiades/youtube-simulator/websub-topic';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardDeps } from '../app/system.ts';
import { type RunningDashboard, startDashboard } from '../dashboard/server.ts';
import { enqueue } from '../queues/index.ts';
import { scheduleEvery } from '../queues/schedulers.ts';
import { MINUTE_MS, pacificDay } from '../src/clock.ts';
import { loadConfig } from '../src/config/index.ts';
import { discoveryOnDay } from '../src/dao/discovery-daily.ts';
import { followChannels, getFollowedChannels } from '../src/dao/followed-channels.ts';
import { pollIntervalS } from '../src/discovery/interval.ts';
import { ConfigError } from '../src/errors/index.ts';
import { videoIdToBigInt } from '../src/video-id.ts';
import { dispatchChannels } from '../workers/channel-dispatch.ts';
import { subscribeChannels } from '../workers/websub.ts';
import { drain, failedJobs } from './helpers/queues.ts';
import { freePort } from './helpers/reliability.ts';
import { startTestSystem, type TestSystem } from './helpers/system.ts';

/**
 * WebSub end to end: the simulator's hub (the test hub) and the dashboard's callback talk real HTTP on
 * 127.0.0.1; subscriptions, verification, signed Atom notifications, the inbox and its ingest, all on
 * the shared ManualClock.
 */
const KEY = 'AIzaSy-websub-test-the-only-key-000000';
const SECRET = 'websub-test-secret-0123456789abcdef';
const LEASE_S = 3600;
const START = Date.UTC(2026, 10, 25, 9);

let s: TestSystem;
let dash: RunningDashboard;
let callback: string;
let followed: string[];
const q = (sql: string, params: unknown[] = []) => s.db.pool.query(sql, params);
const hub = () => s.ctx.simulator!.hub!;

beforeAll(async () => {
  const [simPort, dashPort] = [await freePort(), await freePort()];
  callback = `http://127.0.0.1:${dashPort}/websub`;
  s = await startTestSystem({
    start: START,
    queues: ['websub-ingest', 'channel-poll'],
    env: {
      YOUTUBE_API_KEY_POOL_JSON: JSON.stringify([KEY]),
      HYDRA_KEY_RPS: '100000',
      WEBSUB_BATCH_WAIT_S: '0', // every push ingested at once (the batching has its own test)
      WEBSUB_CALLBACK_URL: callback,
      WEBSUB_SECRET: SECRET,
      WEBSUB_HUB_URL: `http://127.0.0.1:${simPort}/websub/hub`,
      WEBSUB_LEASE_S: String(LEASE_S),
      WEBSUB_RENEW_BEFORE_S: '600',
    },
    simulator: {
      port: simPort,
      keys: [KEY],
      hub: { deliverEveryMs: 0, maxLeaseSeconds: LEASE_S, realism: 'perfect' },
      world: { channels: 40, videosPerDay: 2000, historyDays: 5, deletedFraction: 0, privateFraction: 0 },
    },
  });
  dash = await startDashboard(dashboardDeps(s.ctx, s.config, s.ctx.deps.log), {
    port: dashPort,
    host: '127.0.0.1',
  });
  followed = s.ctx.simulator!.world.channelIds().slice(0, 3).sort();
  await followChannels(s.db.pool, followed, new Date(START));
});
afterAll(async () => {
  await dash?.close();
  await s?.close();
});

/** Everything a refused notification must leave as it was. */
async function state() {
  const r = await q(
    `SELECT (SELECT count(*) FROM discovery_inbox)::int AS inbox, (SELECT count(*) FROM videos)::int AS videos,
            (SELECT count(*) FROM watchlist)::int AS watchlist,
            (SELECT string_agg(channel_id || websub_state || coalesce(websub_expires_at::text, ''), ',' ORDER BY 1)
               FROM followed_channels) AS channels`,
  );
  return r.rows[0];
}

const post = (body: string, headers: Record<string, string>) =>
  fetch(callback, { method: 'POST', headers: { 'content-type': 'application/atom+xml', ...headers }, body });

function feedFor(channelId: string, videoId: string): string {
  return buildFeed(channelId, topicForChannel(channelId), [
    { videoId, title: 'A new upload', channelTitle: 'Somebody', publishedAt: new Date(s.clock.now()) },
  ]);
}

describe('WebSub', () => {
  it('runs only with a callback URL, and then needs a secret', () => {
    expect(scheduleEvery(s.config)).toMatchObject({ 'websub-subscribe': 60_000, 'websub-ingest': 10_000 });
    const off = loadConfig({}, { dotenvPath: false });
    expect(Object.keys(scheduleEvery(off))).not.toContain('websub-subscribe');
    const noSecret = loadConfig({ WEBSUB_CALLBACK_URL: callback }, { dotenvPath: false });
    expect(() => scheduleEvery(noSecret)).toThrow(ConfigError);
  });

  it('subscribes followed channels; the hub verifies intent with a challenge the callback echoes', async () => {
    const r = await subscribeChannels(s.ctx.deps);
    expect(r).toEqual({ requested: 3, failed: 0 });
    await hub().settled();
    expect(hub().stats()).toMatchObject({ subscriptions: 3, verified: 3, refused: 0 });
    const rows = await getFollowedChannels(s.db.pool, followed);
    for (const c of rows) {
      expect(c.websubState).toBe('verified');
      expect(c.websubExpiresAt!.getTime()).toBe(START + LEASE_S * 1000);
    }
    // Nothing is due again until the renewal window.
    expect(await subscribeChannels(s.ctx.deps)).toEqual({ requested: 0, failed: 0 });

    // A subscription nobody asked for (someone else naming our callback) is refused at verification.
    const other = s.ctx.simulator!.world.channelIds()[10]!;
    const asked = await fetch(`${s.ctx.simulator!.url}/websub/hub`, {
      method: 'POST',
      body: new URLSearchParams({
        'hub.mode': 'subscribe',
        'hub.callback': callback,
        'hub.topic': topicForChannel(other),
        'hub.lease_seconds': '600',
      }),
    });
    expect(asked.status).toBe(202);
    await hub().settled();
    expect(hub().stats()).toMatchObject({ subscriptions: 3, refused: 1 });
  });

  it('a signed notification of a new upload leads to an ingested video', async () => {
    s.clock.advance(30 * MINUTE_MS);
    const world = s.ctx.simulator!.world;
    const published = world
      .videoIdsPublishedBetween(START + 1, s.clock.now() + 1, 100_000)
      .filter((id) => followed.includes(world.details(world.indexOf(id)).channel.id));
    expect(published.length).toBeGreaterThan(5);
    const pushed = await hub().deliver();
    expect(pushed).toMatchObject({ entries: published.length, rejected: 0 });
    expect((await state()).inbox).toBe(published.length);

    await enqueue(s.ctx.queues, 'websub-ingest', {});
    await drain(s.ctx.queues, ['websub-ingest']);
    expect(await failedJobs(s.ctx.queues, ['websub-ingest'])).toEqual([]);
    const after = await state();
    expect(after.inbox).toBe(0);
    const ingested = await q(
      'SELECT count(*)::int AS n FROM videos v JOIN watchlist w ON w.video_id = v.id WHERE v.id = ANY($1::bigint[])',
      [published.map(videoIdToBigInt)],
    );
    expect(ingested.rows[0].n).toBe(published.length);
    const day = await discoveryOnDay(s.db.pool, pacificDay(s.clock.now()));
    expect(day.websub).toMatchObject({
      newVideos: published.length,
      units: Math.ceil(published.length / 50),
    });
    // The same notification again adds nothing: the videos are known.
    expect(await hub().deliver()).toMatchObject({ entries: 0 });
  });

  it('refuses a bad signature, an unsigned or malformed feed and an unknown topic with 4xx, changing nothing', async () => {
    const world = s.ctx.simulator!.world;
    const upcoming = world.videoIdsPublishedBetween(
      s.clock.now() + 60 * MINUTE_MS,
      s.clock.now() + 90 * MINUTE_MS,
      1,
    )[0]!;
    const body = feedFor(followed[0]!, upcoming);
    const before = await state();

    const wrong = await post(body, { 'x-hub-signature': signBody('not-the-secret-at-all', body) });
    expect(wrong.status).toBe(403);
    const unsigned = await post(body, {});
    expect(unsigned.status).toBe(403);
    const tampered = await post(body.replace('A new upload', 'Another title'), {
      'x-hub-signature': signBody(SECRET, body),
    });
    expect(tampered.status).toBe(403);

    for (const bad of [
      '<feed><entry>',
      body.replace(`<yt:videoId>${upcoming}`, '<yt:videoId>nope'),
      body.replace(/<link rel="self"[^>]*>/, ''),
      `<!DOCTYPE feed [<!ENTITY x "y">]>${body.replace(/^<\?xml[^>]*>/, '')}`,
    ]) {
      const r = await post(bad, { 'x-hub-signature': signBody(SECRET, bad) });
      expect(r.status, bad.slice(0, 60)).toBe(400);
      expect(((await r.json()) as { error: string }).error).toBe('rejected');
    }

    const stranger = world.channelIds()[20]!;
    const unknownTopic = feedFor(stranger, upcoming);
    const r404 = await post(unknownTopic, { 'x-hub-signature': signBody(SECRET, unknownTopic, 'sha256') });
    expect(r404.status).toBe(404);
    const verify404 = await fetch(
      `${callback}?hub.mode=subscribe&hub.topic=${encodeURIComponent(topicForChannel(stranger))}&hub.challenge=abc&hub.lease_seconds=60`,
    );
    expect(verify404.status).toBe(404);
    expect(await state()).toEqual(before);

    // The same feed correctly signed (sha1, as YouTube's hub signs) is taken.
    const good = await post(body, { 'x-hub-signature': signBody(SECRET, body) });
    expect(good.status).toBe(202);
    expect(await good.json()).toEqual({ entries: 1, new: 1, titles: 0, deletions: 0 });
    expect((await state()).inbox).toBe(before.inbox + 1);
    await q('DELETE FROM discovery_inbox');
  });

  it('renews subscriptions before they lapse, and the hub keeps delivering', async () => {
    // 40 minutes after subscribing: 20 minutes before the renewal window opens.
    s.clock.set(START + 40 * MINUTE_MS);
    expect(await subscribeChannels(s.ctx.deps)).toEqual({ requested: 0, failed: 0 });
    s.clock.set(START + 52 * MINUTE_MS);
    expect(await subscribeChannels(s.ctx.deps)).toEqual({ requested: 3, failed: 0 });
    await hub().settled();
    const renewed = START + 52 * MINUTE_MS + LEASE_S * 1000;
    for (const c of await getFollowedChannels(s.db.pool, followed)) {
      expect(c.websubState).toBe('verified');
      expect(c.websubExpiresAt!.getTime()).toBe(renewed);
    }
    expect(
      hub()
        .subscriptions()
        .map((x) => x.expiresAt),
    ).toEqual([renewed, renewed, renewed]);
    // Past the first lease: still subscribed, still delivered.
    s.clock.set(START + 70 * MINUTE_MS);
    const pushed = await hub().deliver();
    expect(pushed.entries).toBeGreaterThan(0);
    expect(pushed.rejected).toBe(0);
  });

  it('polls a channel with a live subscription at the normal cadence: the safety net is its free feed', async () => {
    await dispatchChannels(s.ctx.deps);
    await drain(s.ctx.queues, ['channel-poll']);
    expect(await failedJobs(s.ctx.queues, ['channel-poll'])).toEqual([]);
    const policy = {
      targetVideos: s.config.CHANNEL_POLL_TARGET_VIDEOS,
      minS: s.config.CHANNEL_POLL_MIN_S,
      maxS: s.config.CHANNEL_POLL_MAX_S,
      websubFactor: s.config.WEBSUB_POLL_FACTOR,
    };
    for (const c of await getFollowedChannels(s.db.pool, followed)) {
      expect(c.polls).toBe(1);
      // The next polls read the channel's public feed (no units), so they need not be spaced out by
      // WEBSUB_POLL_FACTOR as playlist polls are with CHANNEL_FEED_POLL=false.
      expect(s.config.CHANNEL_FEED_POLL).toBe(true);
      expect(c.pollEveryS).toBe(pollIntervalS(c.uploadsPerDay!, policy, false));
      expect(c.pollEveryS).toBeLessThan(pollIntervalS(c.uploadsPerDay!, policy, true));
    }
  });
});
