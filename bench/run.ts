import { writeFileSync } from 'node:fs';
import { type Figure, printTable } from './figures.ts';
import { benchWatchlist } from './watchlist.ts';

/**
 * `npm run bench` measures every performance goal at target scale; `npm run bench -- --quick` runs a
 * small version (CI runs it so the benchmarks never rot). Figures go to stdout and bench/results.json.
 */
const quick = process.argv.includes('--quick');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7);

const benches: { name: string; run: () => Promise<Figure[]> }[] = [
  { name: 'watchlist', run: () => benchWatchlist({ rows: quick ? 50_000 : 1_000_000 }) },
];

const figures: Figure[] = [];
for (const b of benches) {
  if (only && !only.split(',').includes(b.name)) continue;
  process.stderr.write(`bench: ${b.name}${quick ? ' (quick)' : ''}…\n`);
  figures.push(...(await b.run()));
}
printTable(figures);
writeFileSync(
  new URL('./results.json', import.meta.url),
  `${JSON.stringify({ quick, at: new Date().toISOString(), figures }, null, 2)}\n`,
);
