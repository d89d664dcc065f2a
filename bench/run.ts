import { writeFileSync } from 'node:fs';
import { compileCacheDir, warmCompileCache } from '../app/cli/compile-cache.ts';
import { benchCeilings } from './ceilings.ts';
import { benchCycle } from './cycle.ts';
import { benchDiscovery } from './discovery.ts';
import { benchExplorer } from './explorer.ts';
import { type Figure, printTable } from './figures.ts';
import { benchHydra } from './hydra.ts';
import { benchLag } from './lag.ts';
import { benchQuota } from './quota.ts';
import {
  type BenchRecord,
  commitOf,
  describeMachine,
  GATE_MARGIN,
  gate,
  gateReport,
  LAST_RUN_PATH,
  type RunRecord,
  readRecord,
  shippedSettings,
  writeRecord,
} from './record.ts';
import { benchSaturation } from './saturation.ts';
import { benchScale } from './scale.ts';
import { benchSimulator } from './simulator.ts';
import { updateDocuments } from './tables.ts';
import { benchTracker } from './tracker.ts';
import { benchVault } from './vault.ts';
import { benchWatchlist } from './watchlist.ts';

/**
 * `npm run bench` measures every performance goal at target scale, then runs the quick benches too
 * (the regression gate's baseline), writes both to bench/results.json (committed) and regenerates the
 * README's and docs' figures from it: one command for the whole record. `npm run bench -- --quick`
 * runs the small version and gates it against the record's quick run (exit 1 when a figure is more
 * than 30% worse after the machine's speed; CI runs it); it writes bench/last-run.json, and the
 * record only with `--record`. `--only=tracker,lag` picks benches (never recorded). Figures go to
 * stdout, progress to stderr.
 */
const args = process.argv.slice(2);
const quickOnly = args.includes('--quick');
const record = args.includes('--record');
const only = args.find((a) => a.startsWith('--only='))?.slice(7);
const margin = Number(args.find((a) => a.startsWith('--margin='))?.slice(9) ?? GATE_MARGIN);
if (only && record) throw new Error('--record needs every bench: leave out --only');

type Bench = { name: string; run: () => Promise<Figure[]> };

const ceilings = (quick: boolean) =>
  benchCeilings(quick ? { jobs: 5_000, rows: 20_000 } : { jobs: 50_000, rows: 200_000 });

/** The benches at one scale. Any Figure a bench returns is recorded, gated and tabulated by name. */
function benches(quick: boolean): Bench[] {
  return [
    { name: 'ceilings', run: () => ceilings(quick) },
    {
      name: 'tracker',
      run: async () => (await benchTracker({ videos: quick ? 20_000 : 150_000, tuned: !quick })).figures,
    },
    {
      name: 'cycle',
      run: async () =>
        quick
          ? benchCycle({ hours: 1.5 })
          : [
              ...(await benchCycle({ hours: 4 })),
              // The same with a slower scheduler: more due videos packed per dispatch, more lag.
              ...(await benchCycle({ hours: 4, dispatchEveryS: 60 })),
            ],
    },
    {
      name: 'quota',
      run: () =>
        benchQuota(quick ? { unitsQuota: 200, searchQuota: 20 } : { unitsQuota: 1000, searchQuota: 50 }),
    },
    {
      name: 'scale',
      run: () =>
        benchScale(
          quick
            ? { watchlist: 300_000, hot: 70_000, staged: 10_000, expired: 100_000, tracked: 40_000 }
            : { watchlist: 3_000_000, hot: 700_000, staged: 100_000, expired: 1_000_000, tracked: 400_000 },
        ),
    },
    { name: 'watchlist', run: () => benchWatchlist({ rows: quick ? 50_000 : 1_000_000 }) },
    {
      name: 'lag',
      // Shipped defaults (1 worker × 16, dispatch every 10 s): with YouTube's latency, then without.
      run: async () => [
        ...(await benchLag(quick ? { perSecond: 200, minutes: 1 } : { perSecond: 2_000, minutes: 10 })),
        ...(await benchLag(
          quick
            ? { perSecond: 200, minutes: 1, latency: 'off' }
            : { perSecond: 2_000, minutes: 10, latency: 'off' },
        )),
      ],
    },
    // 60,000 rows in the quick run: each writer then runs about a second. At 20,000 (0.2–0.6 s each)
    // the same commit's @dsnp/parquetjs GZIP read 97,113 rows/s in the record's quick pass and
    // 32,791 in a gate run, a swing no margin absorbs.
    { name: 'vault', run: () => benchVault({ rows: quick ? 60_000 : 200_000 }) },
    { name: 'discovery', run: () => benchDiscovery({ quick }) },
    {
      name: 'explorer',
      // 100 pages in both: the p95 of 20 was the slowest page, one GC pause or scheduler stall (the
      // same commit measured 86 and 264 ms), which the gate took for a regression.
      run: () =>
        benchExplorer(
          quick ? { videos: 2_000, days: 30, samples: 100 } : { videos: 27_400, days: 365, samples: 100 },
        ),
    },
    // Issue 16: ids per unit at the shipped defaults per arrival rate (a young watchlist: 2 days of
    // arrivals) and on a full one (all tiers), with the p99 poll shift; one key at saturation.
    {
      name: 'cycle-regimes',
      run: async () => {
        const out: Figure[] = [];
        for (const rate of quick ? [5_000] : [5_000, 20_000, 100_000])
          out.push(...(await benchCycle({ hours: quick ? 1.2 : 3, videosPerDay: rate, seedDays: 2 })));
        out.push(
          ...(await benchCycle({
            hours: quick ? 1.2 : 3,
            videosPerDay: 5_000,
            seedDays: quick ? 40 : 120,
            label: 'full watchlist',
          })),
        );
        return out;
      },
    },
    // The simulator's own capacity and the client's, quoted in docs/simulator.md.
    {
      name: 'simulator',
      run: () => benchSimulator({ seconds: quick ? 2 : 5, concurrency: 32 }),
    },
    // Hydra's Redis CPU per call as the pool grows (acquire.lua reads every key of the pool).
    {
      name: 'hydra',
      run: () =>
        benchHydra(quick ? { pools: [8, 1_000], calls: 200 } : { pools: [8, 100, 1_000, 2_000], calls: 500 }),
    },
    {
      name: 'saturation',
      run: () => benchSaturation(quick ? { unitsQuota: 300, days: 2 } : { unitsQuota: 10_000, days: 2 }),
    },
  ];
}

const minutes = (ms: number) => Math.round(ms / 6_000) / 10;

async function runAll(quick: boolean, startedAt: number): Promise<{ figures: Figure[]; seconds: number }> {
  const figures: Figure[] = [];
  const t0 = performance.now();
  for (const b of benches(quick)) {
    if (only && !only.split(',').includes(b.name)) continue;
    process.stderr.write(`bench: ${b.name}${quick ? ' (quick)' : ''}…\n`);
    const t = performance.now();
    figures.push(...(await b.run()));
    process.stderr.write(`bench: ${b.name} took ${((performance.now() - t) / 1000).toFixed(0)} s\n`);
  }
  // The machine again at the end, so that its speed for the gate is that of the whole run, not of
  // its first seconds (a shared machine's load moves): each ceiling is the geometric mean of both.
  if (!only || only.split(',').includes('ceilings')) {
    process.stderr.write('bench: ceilings again…\n');
    const again = new Map((await ceilings(quick)).map((f) => [f.name, f.value]));
    for (const f of figures) {
      const v = again.get(f.name);
      if (v === undefined) continue;
      f.how += `; geometric mean of ${f.value.toLocaleString('en-US')} at the start and ${v.toLocaleString('en-US')} at the end of the run`;
      f.value = Math.round(Math.sqrt(f.value * v));
    }
  }
  // The run's own length: a full run's counts the quick pass after it too (the whole `npm run bench`).
  const seconds = (performance.now() - t0) / 1000;
  figures.push({
    name: 'bench: run duration',
    value: minutes(performance.now() - startedAt),
    unit: 'min',
    goal: 'reported',
    how: quick
      ? '`npm run bench -- --quick`, wall time'
      : '`npm run bench`, wall time: the full benches, then the quick pass that records the gate’s baseline',
    gate: { better: 'none' },
  });
  return { figures, seconds };
}

async function runRecord(
  kind: 'full' | 'quick',
  r: { figures: Figure[]; seconds: number },
): Promise<RunRecord> {
  return {
    kind,
    ...(process.env.BENCH_NOTE ? { note: process.env.BENCH_NOTE } : {}),
    ...commitOf(),
    date: new Date().toISOString(),
    seconds: Math.round(r.seconds),
    machine: await describeMachine(),
    settings: shippedSettings(),
    figures: r.figures,
  };
}

const started = performance.now();
// The CLI processes the benches start read Node's compile cache (app/cli/heap.ts): warm it as the
// image's build does, so that no worker loads the TypeScript stripper (~18 MB) for a file it missed.
const cacheDir = compileCacheDir(process.env);
if (cacheDir) warmCompileCache(cacheDir);
const previous = readRecord();
const machineAtStart = await describeMachine();
process.stderr.write(
  `bench: ${machineAtStart.cores} cores, ${machineAtStart.memoryGB} GB, load ${machineAtStart.loadAtStart}\n`,
);
let status = 0;
if (quickOnly) {
  const quick = await runAll(true, started);
  printTable(quick.figures);
  const run = { ...(await runRecord('quick', quick)), machine: machineAtStart };
  writeFileSync(LAST_RUN_PATH, `${JSON.stringify(run, null, 2)}\n`);
  if (previous.quick) {
    const g = gate(previous.quick.figures, quick.figures, margin);
    process.stderr.write(`${gateReport(g)}\n`);
    if (g.regressed.length) status = 1;
  } else process.stderr.write('gate: bench/results.json has no quick run to compare with\n');
  if (record) {
    const next: BenchRecord = { ...previous, quick: run };
    writeRecord(next);
    process.stderr.write(`bench: recorded; ${updateDocuments(next).join(', ') || 'docs up to date'}\n`);
  }
} else {
  const full = await runAll(false, started);
  printTable(full.figures);
  const fullRun = { ...(await runRecord('full', full)), machine: machineAtStart };
  if (only) {
    process.stderr.write('bench: --only: nothing recorded\n');
  } else {
    process.stderr.write('bench: the quick pass (the regression gate’s baseline)…\n');
    const quickStarted = performance.now();
    const quick = await runAll(true, quickStarted);
    const quickRun = await runRecord('quick', quick);
    // The full run's duration covers the quick pass too: that is how long `npm run bench` takes.
    const duration = fullRun.figures.find((f) => f.name === 'bench: run duration')!;
    duration.value = minutes(performance.now() - started);
    fullRun.seconds = Math.round((performance.now() - started) / 1000);
    if (previous.quick)
      process.stderr.write(`${gateReport(gate(previous.quick.figures, quick.figures, margin))}\n`);
    const next: BenchRecord = { full: fullRun, quick: quickRun };
    writeRecord(next);
    process.stderr.write(`bench: recorded; ${updateDocuments(next).join(', ') || 'docs up to date'}\n`);
  }
}
process.stderr.write(`bench: ${Math.round((performance.now() - started) / 1000)} s in all\n`);
// Client libraries (pg-boss, BullMQ, keep-alive agents) may keep timers; the run is over.
process.exit(status);
