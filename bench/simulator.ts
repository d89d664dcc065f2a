/**
 * Throughput of the YouTube simulator: videos.list with 50 ids a request, the tracker's call.
 * The simulator runs alone in a child process (one core: Node serves on one thread); this process
 * loads it over keep-alive HTTP, first raw (the simulator's own capacity), then through the real
 * googleapis-based client with zod validation (what the tracker sees).
 *
 *   node bench/simulator.ts [--seconds 5] [--concurrency 32]
 */
import { fork } from 'node:child_process';
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';
import { startSimulator } from '@pleiades/youtube-simulator';
import { World } from '@pleiades/youtube-simulator/world';
import { DAY_MS, ManualClock } from '../src/clock.ts';
import { createYouTubeClient } from '../src/youtube/client.ts';

const KEY = 'AIzaBenchKey-0000000000000000000000000';
const SEED = 42;
const NOW = Date.parse('2026-06-15T12:00:00Z');
const ORIGIN = Math.floor(NOW / DAY_MS) * DAY_MS;

if (process.argv.includes('--serve')) {
  const sim = await startSimulator({
    seed: SEED,
    clock: new ManualClock(NOW),
    keys: [KEY],
    unitsQuota: 1e12,
    world: { originMs: ORIGIN },
  });
  process.send?.({ url: sim.url });
  process.on('disconnect', () => void sim.close().then(() => process.exit(0)));
} else {
  const { values } = parseArgs({
    options: { seconds: { type: 'string', default: '5' }, concurrency: { type: 'string', default: '32' } },
  });
  const seconds = Number(values.seconds);
  const concurrency = Number(values.concurrency);
  const child = fork(new URL(import.meta.url).pathname, ['--serve'], { execArgv: process.execArgv });
  const url = await new Promise<string>((resolve) =>
    child.once('message', (m) => resolve((m as { url: string }).url)),
  );

  // a watchlist of a year of videos, as the tracker would hold it: a million distinct ids
  const world = new World(SEED, { originMs: ORIGIN }, NOW);
  let t = performance.now();
  const ids = world.videoIdsPublishedBetween(NOW - 365 * DAY_MS, NOW, 1_000_000);
  console.log(
    `watchlist: ${ids.length.toLocaleString()} distinct ids in ${(performance.now() - t).toFixed(0)} ms`,
  );
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

  async function run(label: string, one: () => Promise<number>): Promise<void> {
    let done = 0;
    let items = 0;
    const until = performance.now() + seconds * 1000;
    const start = performance.now();
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
    console.log(
      `${label.padEnd(58)} ${(done / s).toFixed(0).padStart(6)} requests/s  ${(items / s).toFixed(0).padStart(7)} videos/s`,
    );
  }

  const videosPath = (parts: string) => `/youtube/v3/videos?part=${parts}&id=${batch().join(',')}&key=${KEY}`;
  // warm up the JIT of both processes
  for (let i = 0; i < 300; i++) await raw(videosPath('statistics'));
  t = performance.now();
  console.log(`simulator: ${url}, ${concurrency} concurrent requests, ${seconds} s per figure`);
  const visible = async (parts: string) => {
    await raw(videosPath(parts));
    return 50;
  };
  await run('raw HTTP videos.list part=statistics (50 ids)', () => visible('statistics'));
  await run('raw HTTP videos.list part=snippet,statistics,contentDetails', () =>
    visible('snippet,statistics,contentDetails'),
  );
  const client = createYouTubeClient({ rootUrl: url, timeoutMs: 10_000 });
  await run('googleapis client videosList statistics (zod-validated)', async () => {
    const r = await client.videosList(KEY, batch(), ['statistics']);
    return r.items.length;
  });
  await run('googleapis client batchGetStats (zod-validated)', async () => {
    const r = await client.batchGetStats(KEY, batch());
    return r.items.length;
  });
  console.log('(videos/s counts ids asked for on raw HTTP, items returned through the client)');
  agent.destroy();
  child.disconnect();
}
