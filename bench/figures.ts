/** One benchmark figure: printed in the table and written to bench/results.json. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  goal: string;
  /** Whether the goal is met; absent for figures that are only reported. */
  ok?: boolean;
  how: string;
}

export function printTable(figures: Figure[]): void {
  const rows = figures.map((f) => [
    f.name,
    `${f.value.toLocaleString('en-US')} ${f.unit}`,
    f.goal,
    f.ok === undefined ? '' : f.ok ? 'met' : 'MISSED',
    f.how,
  ]);
  const head = ['figure', 'value', 'goal', '', 'how it was measured'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  process.stdout.write(
    `${line(head)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n${rows.map(line).join('\n')}\n`,
  );
}
