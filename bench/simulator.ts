/**
 * Throughput of the YouTube simulator: videos.list with 50 ids a request, the tracker's call.
 * The simulator runs alone in a child process (one core: Node serves on one thread); this process
 * loads it over keep-alive HTTP, first raw (the simulator's own capacity), then through Pleiades'
 * client with its answer checks (what the tracker sees), and through Google's own client (`googleapis`)
 * with the same checks: the client CPU per call of each is what src/youtube/http-get.ts was built for.
 *
 * `npm run bench` runs it as the `simulator` bench (figures recorded and quoted in docs/simulator.md);
 * alone it prints the same figures:
 *
 *   node bench/simulator.ts [--seconds 5] [--concurrency 32]
 */
import { fork } from 'node:child_process';
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';
import { startSimulator } from '@pleiades/youtube-simulator';
import { World } from '@pleiades/youtube-simulator/world';
import { google } from 'googleapis';
import { DAY_MS, ManualClock } from '../src/clock.ts';
import { createYouTubeClient } from '../src/youtube/client.ts';
import { plainVideoList } from '../src/youtube/plain-video-list.ts';
import { videoListResponseSchema } from '../src/youtube/schemas.ts';
import type { Figure } from './figures.ts';

const KEY = 'AIzaBenchKey-0000000000000000000000000';
const SEED = 42;
const NOW = Date.parse('2026-06-15T12:00:00Z');
const ORIGIN = Math.floor(NOW / DAY_MS) * DAY_MS;

const SERVE = '--serve-simulator';

if (process.argv.includes(SERVE)) {
  const sim = await startSimulator({
    seed: SEED,
    clock: new ManualClock(NOW),
    keys: [KEY],
    unitsQuota: 1e12,
    world: { originMs: ORIGIN },
  });
  process.send?.({ url: sim.url });
  process.on('disconnect', () => void sim.close().then(() => process.exit(0)));
} else if (process.argv[1] === new URL(import.meta.url).pathname) {
  const { values } = parseArgs({
    options: { seconds: { type: 'string', default: '5' }, concurrency: { type: 'string', default: '32' } },
  });
  const figures = await benchSimulator({
    seconds: Number(values.seconds),
    concurrency: Number(values.concurrency),
  });
  for (const f of figures) console.log(`${f.name.padEnd(72)} ${f.value.toLocaleString('en-US')} ${f.unit}`);
}

/** The simulator's own capacity (raw HTTP) and what the tracker's client gets from it. */
export async function benchSimulator(opts: { seconds: number; concurrency: number }): Promise<Figure[]> {
  const { seconds, concurrency } = opts;
  const child = fork(new URL(import.meta.url).pathname, [SERVE], { execArgv: process.execArgv });
  const url = await new Promise<string>((resolve) =>
    child.once('message', (m) => resolve((m as { url: string }).url)),
  );

  // a watchlist of a year of videos, as the tracker would hold it: a million distinct ids (fewer quick)
  const world = new World(SEED, { originMs: ORIGIN }, NOW);
  const ids = world.videoIdsPublishedBetween(NOW - 365 * DAY_MS, NOW, seconds < 5 ? 100_000 : 1_000_000);
  let cursor = 0;
  const batch = () => {
    const b = ids.slice(cursor, cursor + 50);
    cursor = (cursor + 50) % (ids.length - 50);
    return b;
  };

  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const raw = (path: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request(`${url}${path}`, { agent }, (res) => {
        let n = 0;
        res.on('data', (c: Buffer) => {
          n += c.length;
        });
        res.on('end', () =>
          res.statusCode === 200 ? resolve(n) : reject(new Error(`HTTP ${res.statusCode}`)),
        );
      });
      req.on('error', reject);
      req.end();
    });

  const how = `bench/simulator.ts: the simulator alone in a child process, ${concurrency} concurrent keep-alive requests for ${seconds} s, 50 ids a call from ${ids.length.toLocaleString('en-US')} distinct ids`;
  const figures: Figure[] = [];
  /** Requests/s and videos/s of one kind of call, as two figures. */
  async function run(label: string, one: () => Promise<number>, gated = true): Promise<void> {
    let done = 0;
    let items = 0;
    const until = performance.now() + seconds * 1000;
    const start = performance.now();
    const cpu0 = process.cpuUsage();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < until) {
          const n = await one();
          items += n;
          done++;
        }
      }),
    );
    const s = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpu0);
    // The raw figures are the simulator's capacity, not the product's: reported, never gated.
    const gate = gated ? undefined : { better: 'none' as const };
    figures.push(
      {
        name: `simulator: ${label}, requests/s`,
        value: Math.round(done / s),
        unit: 'req/s',
        goal: 'reported',
        how,
        gate,
      },
      {
        name: `simulator: ${label}, videos/s`,
        value: Math.round(items / s),
        unit: 'videos/s',
        goal: 'reported',
        how,
        gate,
      },
      {
        name: `simulator: ${label}, client CPU per call`,
        value: Math.round((cpu.user + cpu.system) / Math.max(1, done)),
        unit: 'µs',
        goal: 'reported',
        how: `CPU (user + system) of this process, the client's side alone, over the calls made; ${how}`,
        gate: { better: 'none' as const },
      },
    );
  }

  const videosPath = (parts: string) => `/youtube/v3/videos?part=${parts}&id=${batch().join(',')}&key=${KEY}`;
  try {
    // warm up the JIT of both processes
    for (let i = 0; i < 300; i++) await raw(videosPath('statistics'));
    const visible = async (parts: string) => {
      await raw(videosPath(parts));
      return 50;
    };
    await run('raw HTTP videos.list statistics', () => visible('statistics'), false);
    await run(
      'raw HTTP videos.list snippet,statistics,contentDetails',
      () => visible('snippet,statistics,contentDetails'),
      false,
    );
    const client = createYouTubeClient({ rootUrl: url, timeoutMs: 10_000 });
    await run('Pleiades client videos.list statistics', async () => {
      const r = await client.videosList(KEY, batch(), ['statistics']);
      return r.items.length;
    });
    await run('Pleiades client batchGetStats', async () => {
      const r = await client.batchGetStats(KEY, batch());
      return r.items.length;
    });
    // The client the tracker used until it had its own (src/youtube/http-get.ts), with the same checks.
    const theirs = google.youtube({ version: 'v3', rootUrl: `${url}/`, retry: false, timeout: 10_000 });
    await run(
      "Google's googleapis client videos.list statistics",
      async () => {
        const r = await theirs.videos.list({ key: KEY, part: ['statistics'], id: [batch().join(',')] });
        return (plainVideoList(r.data) ?? videoListResponseSchema.parse(r.data)).items.length;
      },
      false,
    );
  } finally {
    agent.destroy();
    child.disconnect();
  }
  return figures;
}
