import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type Figure, gateHint } from '../bench/figures.ts';
import { gate, gateReport, readRecord } from '../bench/record.ts';
import { documentFiles, HEADLINES, renderDocument, updateDocuments } from '../bench/tables.ts';

/**
 * The committed benchmark record (bench/results.json) and what quotes it: the README's and docs'
 * generated figures must match it, and the quick bench's regression gate must fail a figure worse
 * than the record by more than its margin while passing an honest run on a slower machine.
 */

const record = readRecord();
const quick = record.quick!;

describe('the committed record', () => {
  it('has a quick run (the gate baseline) and the headline figures by name', () => {
    expect(quick).toBeDefined();
    const run = record.full ?? quick;
    const names = new Set(run.figures.map((f) => f.name));
    expect(HEADLINES.filter((n) => !names.has(n))).toEqual([]);
    expect(run.machine.cores).toBeGreaterThan(0);
    expect(run.machine.postgres.version).not.toBe('');
    expect(run.commit).toMatch(/^[0-9a-f]{7,40}$/);
    // Every figure says what it is and how it was measured.
    for (const f of run.figures) {
      expect(f.unit + f.goal, f.name).not.toBe('');
      expect(f.how, f.name).not.toBe('');
    }
  });

  it('agrees with the README and the docs (regenerate with `npm run bench:tables`)', () => {
    expect(updateDocuments(record, { check: true })).toEqual([]);
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain('<!-- bench:table headline -->');
    expect(documentFiles().length).toBeGreaterThan(1);
  });

  it('refuses a document quoting a figure the record lacks, naming it', () => {
    const text = 'x <!-- bench:value no such figure -->1 s<!-- /bench:value --> y';
    expect(() => renderDocument(text, record, 'README.md')).toThrow(/"no such figure" is not in the record/);
  });

  it('fills a value marker with the recorded figure', () => {
    const f = (record.full ?? quick).figures[0]!;
    const out = renderDocument(`<!-- bench:value ${f.name} -->?<!-- /bench:value -->`, record);
    expect(out).toContain(`${f.value.toLocaleString('en-US')} ${f.unit}`);
  });
});

const fig = (
  name: string,
  value: number,
  unit: string,
  goal = 'reported',
  extra: Partial<Figure> = {},
): Figure => ({
  name,
  value,
  unit,
  goal,
  how: 'crafted',
  ...extra,
});

describe('the regression gate', () => {
  const recorded = [
    fig('ceiling: BullMQ no-op worker', 20_000, 'jobs/s'),
    fig('ceiling: Postgres staging inserts', 100_000, 'rows/s'),
    fig('tracker end-to-end, shipped defaults, YouTube latency', 5_000, 'videos/s', '>= 10,000'),
    fig('watchlist bytes/video after a round of schedule updates', 90, 'B', '≤ 100'),
    fig('p99 schedule lag, shipped defaults, YouTube latency', 12, 's', '<= 60 s', {
      gate: { scale: 'fixed', slack: 10 },
    }),
    fig('discovery: search alone, new videos/day', 1_800, 'videos', '≤ 5,000 (100 calls × 50)'),
  ];

  it('passes an honest run, and the same run on a machine half as fast', () => {
    expect(gate(recorded, recorded).regressed).toEqual([]);
    const slower = recorded.map((f) => (f.unit.endsWith('/s') ? { ...f, value: f.value / 2 } : f));
    const g = gate(recorded, slower);
    expect(g.speed).toBeCloseTo(0.5);
    expect(g.regressed).toEqual([]);
  });

  it('fails a throughput 40% worse than the record on the same machine, naming it', () => {
    const tampered = recorded.map((f) => (f.name.startsWith('tracker') ? { ...f, value: f.value * 0.6 } : f));
    const g = gate(recorded, tampered);
    expect(g.regressed.map((r) => r.name)).toEqual(['tracker end-to-end, shipped defaults, YouTube latency']);
    expect(gateReport(g)).toMatch(
      /REGRESSED: tracker end-to-end, shipped defaults, YouTube latency: 3,000 videos\/s/,
    );
  });

  it('passes a figure within the margin and fails one beyond it, both directions', () => {
    const within = recorded.map((f) => (f.unit === 'B' ? { ...f, value: 90 * 1.25 } : f));
    expect(gate(recorded, within).regressed).toEqual([]);
    const beyond = recorded.map((f) => (f.unit === 'B' ? { ...f, value: 90 * 1.35 } : f));
    expect(gate(recorded, beyond).regressed.map((r) => r.name)).toEqual([
      'watchlist bytes/video after a round of schedule updates',
    ]);
    // A lag within its slack passes; far beyond it fails.
    const lagged = (v: number) => recorded.map((f) => (f.unit === 's' ? { ...f, value: v } : f));
    expect(gate(recorded, lagged(20)).regressed).toEqual([]);
    expect(gate(recorded, lagged(40)).regressed.map((r) => r.name)).toEqual([
      'p99 schedule lag, shipped defaults, YouTube latency',
    ]);
  });

  it('does not let a faster machine hide a regression', () => {
    // Ceilings twice as fast: the tracker is expected at 10,000; 6,000 is a regression.
    const faster = recorded.map((f) =>
      f.name.startsWith('ceiling')
        ? { ...f, value: f.value * 2 }
        : f.name.startsWith('tracker')
          ? { ...f, value: 6_000 }
          : f,
    );
    expect(gate(recorded, faster).regressed.map((r) => r.name)).toEqual([
      'tracker end-to-end, shipped defaults, YouTube latency',
    ]);
  });

  it('reports missing and new figures without failing', () => {
    const g = gate(recorded, [...recorded.slice(1), fig('a new bench', 1, 'videos/s')]);
    expect(g.regressed).toEqual([]);
    expect(g.rows.find((r) => r.name === 'a new bench')?.verdict).toBe('new');
    expect(g.rows.find((r) => r.name === recorded[0]!.name)?.verdict).toBe('missing');
  });

  it('gates the committed quick run against itself as passing', () => {
    expect(gate(quick.figures, quick.figures).regressed).toEqual([]);
  });

  it('reads direction and scale from goal and unit', () => {
    expect(gateHint(fig('x', 1, 'videos/s'))).toMatchObject({ better: 'higher', scale: 'rate' });
    expect(gateHint(fig('x', 1, 'MB', '<= 150 MB'))).toMatchObject({ better: 'lower', scale: 'fixed' });
    expect(gateHint(fig('x', 1, 'ids/unit', '>= 49.5'))).toMatchObject({ better: 'higher', scale: 'fixed' });
    expect(gateHint(fig('x', 1, 's'))).toMatchObject({ better: 'lower', scale: 'time' });
    expect(gateHint(fig('x', 1, 'videos'))).toMatchObject({ better: 'none' });
    expect(gateHint(fig('x', 1, 'min', 'reported', { gate: { better: 'none' } }))).toMatchObject({
      better: 'none',
    });
  });
});
