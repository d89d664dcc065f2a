/**
 * One benchmark figure: printed in the table, written to the committed record (bench/results.json)
 * under its name, compared by the regression gate with the record's figure of the same name, and
 * quoted by name in the README and docs (bench/tables.ts). A bench only returns Figures: nothing
 * else needs to change for a new one to be recorded, gated and tabulated.
 */
export interface Figure {
  /** Unique in a run, and the same in the quick and the full run (the scale goes in `how`). */
  name: string;
  value: number;
  unit: string;
  goal: string;
  /** Whether the goal is met; absent for figures that are only reported. */
  ok?: boolean;
  how: string;
  /** Listed in the README's figures table (besides the names bench/tables.ts lists). */
  headline?: boolean;
  /** How the regression gate reads the figure; inferred from `goal` and `unit` when absent. */
  gate?: GateHint;
}

export interface GateHint {
  /** Which way is better; 'none': not gated (a count of the world, a duration that grows with benches). */
  better?: 'higher' | 'lower' | 'none';
  /**
   * How the figure follows the machine's speed: 'rate' (per second: proportional to it), 'time'
   * (inversely), 'fixed' (bytes, counts, ratios, lags set by a schedule: not at all).
   */
  scale?: 'rate' | 'time' | 'fixed';
  /** Absolute tolerance added to the relative margin (in the figure's unit), for small noisy values. */
  slack?: number;
}

const RATE_UNIT = /\/(s|min|h)$|×$/;
const TIME_UNIT = /^(ms|s|min)$/;
const SIZE_UNIT = /^(B|KB|MB|GB)$/;

/** The gate's reading of a figure: its own hint, else one inferred from the goal and the unit. */
export function gateHint(f: Figure): Required<GateHint> {
  const goal = f.goal.trim();
  let better: GateHint['better'] = 'none';
  if (/^(>=|≥|>)/.test(goal)) better = 'higher';
  else if (/^(<=|≤|<)/.test(goal) || /^0\b/.test(goal)) better = 'lower';
  else if (RATE_UNIT.test(f.unit)) better = 'higher';
  else if (TIME_UNIT.test(f.unit) || SIZE_UNIT.test(f.unit)) better = 'lower';
  const scale = /\/(s|min|h)$/.test(f.unit) ? 'rate' : TIME_UNIT.test(f.unit) ? 'time' : 'fixed';
  return { better, scale, slack: 0, ...f.gate };
}

/** A figure's value as the tables print it: grouped thousands, then the unit. */
export const formatValue = (f: Pick<Figure, 'value' | 'unit'>): string =>
  `${f.value.toLocaleString('en-US')}${f.unit ? ` ${f.unit}` : ''}`;

export function printTable(figures: Figure[]): void {
  const rows = figures.map((f) => [
    f.name,
    formatValue(f),
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
