import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { withDiscoveryTable } from './discovery-table.ts';
import { type Figure, formatValue } from './figures.ts';
import { type BenchRecord, RECORD_PATH, type RunRecord, readRecord } from './record.ts';

/**
 * The README's and the docs' figures, generated from the committed record between markers:
 *
 *   <!-- bench:table headline -->…<!-- /bench:table -->   the headline figures (README)
 *   <!-- bench:table all -->…<!-- /bench:table -->        every figure with how it was measured
 *   <!-- bench:table quick -->…<!-- /bench:table -->      the quick run (the gate's baseline)
 *   <!-- bench:table machine -->…<!-- /bench:table -->    where and when the record was made
 *   <!-- bench:value NAME -->…<!-- /bench:value -->       one figure's value and unit, inline
 *   <!-- bench:value full: NAME -->…                      the same from the full (or quick) run only
 *
 * `npm run bench:tables` (and the end of `npm run bench`) rewrites them; test/bench-record.test.ts
 * fails when a file and the record disagree, or when a file quotes a figure the record lacks.
 */

/** The README's headline figures, in order; figures marked `headline: true` follow. */
export const HEADLINES = [
  'tracker end-to-end, shipped defaults, YouTube latency',
  'tracker end-to-end, shipped defaults, no latency',
  'tracker end-to-end, shipped defaults, 2 workers, no latency',
  'tracker end-to-end, tuned (best)',
  'tracker / Postgres ceiling, shipped defaults',
  'tracker / Postgres ceiling, Postgres CPU only, shipped defaults',
  'worker VmHWM, shipped defaults, 2 workers',
  'ids per videos.list unit, full watchlist',
  'ids per unit, 5,000 new videos/day, last full hour',
  'ids per unit, 100,000 new videos/day, last full hour',
  'ids per unit, full watchlist, last full hour',
  'p99 poll shift from its unaligned time, 100,000 new videos/day',
  'snapshots per key per day at saturation',
  'capacity planner error, daily need vs units charged',
  'quotaExceeded per key and bucket per day',
  'janitor deletions while the tracker runs',
  'watchlist bytes/video after a round of schedule updates',
  'database size at target scale',
  'worker RSS under load, shipped defaults',
  'p99 schedule lag, shipped defaults, YouTube latency',
  'p99 schedule lag, shipped defaults, no latency',
  'vault flush (staging → Parquet → published → deleted)',
  'discovery coverage: followed uploads found within 1 h',
  'discovery coverage: followed uploads found within 24 h',
  'discovery coverage: units per fresh video',
  'explorer: video page, p95 server time (footers cached)',
  'bench: run duration',
];

/** The files whose markers are generated. */
export function documentFiles(root = new URL('..', import.meta.url)): URL[] {
  const docs = readdirSync(new URL('docs/', root))
    .filter((f) => f.endsWith('.md'))
    .map((f) => new URL(`docs/${f}`, root));
  return [new URL('README.md', root), ...docs];
}

/** The section the docs quote: the full run when there is one, else the quick run. */
function source(record: BenchRecord): RunRecord {
  const run = record.full ?? record.quick;
  if (!run) throw new Error('bench/results.json has no run: `npm run bench` records one');
  return run;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function markdownTable(head: string[], rows: string[][]): string {
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}

const met = (f: Figure) => (f.ok === undefined ? '' : f.ok ? 'met' : '**missed**');

function find(run: RunRecord, name: string, where: string): Figure {
  const f = run.figures.find((x) => x.name === name);
  if (!f) throw new Error(`${where}: figure "${name}" is not in the record's ${run.kind} run`);
  return f;
}

function caption(run: RunRecord): string {
  const m = run.machine;
  const kind =
    run.kind === 'full'
      ? 'A full run (`npm run bench`)'
      : 'A **quick** run (`npm run bench -- --quick --record`, small scale: a full `npm run bench` replaces it)';
  return `${kind}${run.note ? ` (${run.note})` : ''} of commit \`${run.commit}\`${run.dirty ? ' with local changes' : ''} on ${run.date.slice(0, 10)}, ${Math.round(run.seconds / 60)} min: ${m.cores} cores (${m.cpu}), ${m.memoryGB} GB, ${m.os}, Node ${m.node}, Redis ${m.redis.version}, PostgreSQL ${m.postgres.version}; load average ${m.loadAtStart} at the start.`;
}

function table(record: BenchRecord, name: string, where: string): string {
  if (name === 'machine') {
    const run = source(record);
    const m = run.machine;
    const settings = Object.entries(run.settings)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    return markdownTable(
      ['', ''],
      [
        ['run', caption(run)],
        ['Redis persistence', m.redis.persistence],
        ['PostgreSQL settings', m.postgres.persistence],
        ['shipped settings of the headline figures', settings],
      ],
    );
  }
  if (name === 'headline') {
    const run = source(record);
    const names = [
      ...HEADLINES,
      ...run.figures.filter((f) => f.headline && !HEADLINES.includes(f.name)).map((f) => f.name),
    ];
    const rows = names.map((n) => {
      const f = find(run, n, where);
      return [f.name, formatValue(f), f.goal, met(f)];
    });
    return `${caption(run)}\n\n${markdownTable(['figure', 'value', 'goal', ''], rows)}`;
  }
  if (name === 'all' || name === 'quick') {
    const run = name === 'quick' ? record.quick : source(record);
    if (!run) throw new Error(`${where}: the record has no quick run`);
    const rows = run.figures.map((f) => [f.name, formatValue(f), f.goal, met(f), f.how]);
    return `${caption(run)}\n\n${markdownTable(['figure', 'value', 'goal', '', 'how it was measured'], rows)}`;
  }
  throw new Error(`${where}: unknown table "${name}" (headline, all, quick, machine)`);
}

const TABLE = /(<!-- bench:table ([\w-]+) -->)[\s\S]*?(<!-- \/bench:table -->)/g;
const DISCOVERY = /<!-- bench:discovery -->/;
const VALUE = /(<!-- bench:value (.+?) -->)[\s\S]*?(<!-- \/bench:value -->)/g;

/** A document with its markers filled from the record. */
export function renderDocument(text: string, record: BenchRecord, where = 'document'): string {
  const withDiscovery = DISCOVERY.test(text) ? withDiscoveryTable(text, source(record).figures) : text;
  return withDiscovery
    .replace(TABLE, (_, open: string, name: string, close: string) => {
      return `${open}\n\n${table(record, name, where)}\n\n${close}`;
    })
    .replace(VALUE, (_, open: string, spec: string, close: string) => {
      const m = /^(full|quick):\s*(.+)$/.exec(spec.trim());
      if (!m) return `${open}${formatValue(find(source(record), spec.trim(), where))}${close}`;
      const run = record[m[1] as 'full' | 'quick'];
      return `${open}${run ? formatValue(find(run, m[2]!, where)) : `(no ${m[1]} run recorded yet)`}${close}`;
    });
}

const ROOT = new URL('..', import.meta.url);

/**
 * The document as the project's formatter leaves it (Biome pads Markdown tables): generated text is
 * formatted before it is written or compared, so `biome check` and the record test agree.
 */
export function formatMarkdown(text: string, path: string): string {
  return execFileSync(
    new URL('node_modules/.bin/biome', ROOT).pathname,
    ['format', `--stdin-file-path=${path}`],
    {
      cwd: ROOT,
      input: text,
      encoding: 'utf8',
      maxBuffer: 64 * 2 ** 20,
    },
  );
}

/** Rewrites (or, with `check`, only compares) every document; returns those that differ. */
export function updateDocuments(
  record: BenchRecord,
  opts: { check?: boolean; files?: URL[] } = {},
): string[] {
  const stale: string[] = [];
  for (const file of opts.files ?? documentFiles()) {
    const text = readFileSync(file, 'utf8');
    const where = file.pathname.replace(ROOT.pathname, '');
    const rendered = renderDocument(text, record, where);
    const next = rendered === text ? text : formatMarkdown(rendered, where);
    if (next === text) continue;
    stale.push(where);
    if (!opts.check) writeFileSync(file, next);
  }
  return stale;
}

if (import.meta.main) {
  const check = process.argv.includes('--check');
  const stale = updateDocuments(readRecord(RECORD_PATH), { check });
  if (check && stale.length) {
    process.stderr.write(`bench:tables: out of date with bench/results.json: ${stale.join(', ')}\n`);
    process.exit(1);
  }
  process.stdout.write(
    stale.length ? `bench:tables: wrote ${stale.join(', ')}\n` : 'bench:tables: up to date\n',
  );
}
