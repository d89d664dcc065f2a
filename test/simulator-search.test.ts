import { type Simulator, type SimulatorOptions, startSimulator } from '@pleiades/youtube-simulator';
import { indexedAt, REALISTIC_SEARCH } from '@pleiades/youtube-simulator/search-realism';
import { VOCABULARY } from '@pleiades/youtube-simulator/words';
import { afterAll, describe, expect, it } from 'vitest';
import { HOUR_MS, ManualClock, MINUTE_MS } from '../src/clock.ts';
import { createYouTubeClient } from '../src/youtube/client.ts';

/**
 * search.list as imperfect as YouTube's (docs/simulator.md), over real HTTP through the client: new
 * uploads are listed late or never, relevance does not need every word, totals are estimates,
 * untyped searches mix in channels and playlists; `search: 'perfect'` turns all of it off.
 */
const T0 = Date.parse('2026-03-10T19:00:00Z');
const K = 'AIzaSyTest-search-realism-abcdefghijklmn';
const sims: Simulator[] = [];
afterAll(() => Promise.all(sims.map((s) => s.close())));

async function sim(opts: SimulatorOptions = {}) {
  const clock = new ManualClock(T0);
  const s = await startSimulator({ clock, keys: [K], hub: false, ...opts });
  sims.push(s);
  return Object.assign(s, { clockM: clock, yt: createYouTubeClient({ rootUrl: s.url }) });
}

async function raw(s: Simulator, params: Record<string, string | number>) {
  const qs = new URLSearchParams(
    Object.entries({ part: 'snippet', key: K, ...params }).map(([k, v]) => [k, String(v)]),
  );
  const r = await fetch(`${s.url}/youtube/v3/search?${qs}`);
  expect(r.status).toBe(200);
  return (await r.json()) as {
    pageInfo: { totalResults: number };
    items: { id: { kind: string; videoId?: string; channelId?: string; playlistId?: string } }[];
  };
}

/** The video's own words: a query that finds it, in a window of a second around its publication. */
function exactQuery(s: Simulator, i: number) {
  const w = s.world;
  const at = w.publishedAt(i);
  return {
    q: w.details(i).channel.topic.name,
    publishedAfter: new Date(at - 1000).toISOString(),
    publishedBefore: new Date(at + 1000).toISOString(),
    order: 'date' as const,
  };
}

describe('search realism (on by default)', async () => {
  const s = await sim();
  const w = s.world;

  it('a video published now is absent from search until its indexing delay has passed', async () => {
    const r = REALISTIC_SEARCH;
    let i = w.publishedCount(T0) - 1;
    while (!Number.isFinite(indexedAt(w, r, i)) || indexedAt(w, r, i) - w.publishedAt(i) < 5 * MINUTE_MS) i--;
    const id = w.videoIdAt(i);
    s.clockM.set(w.publishedAt(i) + MINUTE_MS);
    const before = await raw(s, { ...exactQuery(s, i), type: 'video', maxResults: 50 });
    expect(before.items.map((x) => x.id.videoId)).not.toContain(id);
    // videos.list has it at once: only search lags
    expect((await s.yt.videosList(K, [id], ['snippet'])).items).toHaveLength(1);
    s.clockM.set(indexedAt(w, r, i) + 1000);
    const after = await raw(s, { ...exactQuery(s, i), type: 'video', maxResults: 50 });
    expect(after.items.map((x) => x.id.videoId)).toContain(id);
    s.clockM.set(T0);
  });

  it('a share of uploads is never listed, however long one waits', async () => {
    const from = w.firstIndexAtOrAfter(T0 - 3 * HOUR_MS);
    let i = from;
    while (Number.isFinite(indexedAt(w, REALISTIC_SEARCH, i))) i++;
    s.clockM.set(T0 + 7 * 24 * HOUR_MS);
    const page = await raw(s, { ...exactQuery(s, i), type: 'video', maxResults: 50 });
    expect(page.items.map((x) => x.id.videoId)).not.toContain(w.videoIdAt(i));
    let never = 0;
    for (let k = from; k < from + 10_000; k++)
      if (!Number.isFinite(indexedAt(w, REALISTIC_SEARCH, k))) never++;
    expect(never / 10_000).toBeCloseTo(REALISTIC_SEARCH.neverIndexedFraction, 2);
    s.clockM.set(T0);
  });

  it('an untyped search returns channels and playlists among the videos; type narrows it', async () => {
    const kinds = (p: Awaited<ReturnType<typeof raw>>) => new Set(p.items.map((x) => x.id.kind));
    const untyped = await raw(s, { q: 'cooking', maxResults: 50 });
    expect(kinds(untyped)).toEqual(new Set(['youtube#video', 'youtube#channel', 'youtube#playlist']));
    const channel = untyped.items.find((x) => x.id.kind === 'youtube#channel')!;
    expect(w.findChannel(channel.id.channelId!)).toBeDefined();
    expect(untyped.items.find((x) => x.id.kind === 'youtube#playlist')!.id.playlistId).toMatch(
      /^PL[\w-]{32}$/,
    );
    expect(kinds(await raw(s, { q: 'cooking', type: 'channel', maxResults: 50 }))).toEqual(
      new Set(['youtube#channel']),
    );
    expect(kinds(await raw(s, { q: 'cooking', type: 'video', maxResults: 50 }))).toEqual(
      new Set(['youtube#video']),
    );
  });

  it('totalResults is an estimate rounded to two significant digits', async () => {
    const p = await raw(s, {
      q: 'music',
      type: 'video',
      publishedAfter: new Date(T0 - 2 * HOUR_MS).toISOString(),
    });
    const t = p.pageInfo.totalResults;
    expect(t).toBeGreaterThan(10);
    expect(t % 10 ** (Math.floor(Math.log10(t)) - 1)).toBe(0);
  });

  it('order=relevance finds videos without every word; order=date only those with all of them', async () => {
    // two words of one recent video: some videos carry both, many only one
    const [a, b] = w.wordIds(w.publishedCount(T0) - 1).map((x) => VOCABULARY[x]!);
    const q = `${a} ${b}`;
    const ids = async (order: 'date' | 'relevance') =>
      (await s.yt.searchList(K, { q, order, maxResults: 50 })).items.map((x) => x.id.videoId!);
    const words = async (list: string[]) =>
      (await s.yt.videosList(K, list, ['snippet'])).items.map((v) => [
        ...v.snippet!.title.toLowerCase().split(/[^a-z0-9]+/),
        ...(v.snippet!.tags ?? []),
      ]);
    const both = (ws: string[]) => ws.includes(a!) && ws.includes(b!);
    const byDate = await words(await ids('date'));
    expect(byDate.length).toBeGreaterThan(0);
    expect(byDate.every(both)).toBe(true);
    const byRelevance = await words(await ids('relevance'));
    expect(byRelevance.some((ws) => !both(ws))).toBe(true);
    expect(byRelevance.every((ws) => ws.includes(a!) || ws.includes(b!))).toBe(true);
  });
});

describe("search: 'perfect' (unit tests)", async () => {
  const s = await sim({ search: 'perfect' });

  it('lists a video the moment it is published, with exact totals and videos only', async () => {
    const i = s.world.publishedCount(T0) - 1;
    const page = await raw(s, { ...exactQuery(s, i), maxResults: 50 });
    expect(page.items.map((x) => x.id.videoId)).toContain(s.world.videoIdAt(i));
    expect(page.pageInfo.totalResults).toBe(page.items.length);
    expect(new Set(page.items.map((x) => x.id.kind))).toEqual(new Set(['youtube#video']));
  });
});
