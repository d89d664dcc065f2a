/**
 * How one-shot commands answer: a table or a sentence for people, JSON with `--json` for machines.
 * Sizes and durations in human units.
 */

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];

/** 1234567 → "1.2 MB" (powers of 1000, as disks and clouds bill). */
export function humanBytes(n: number): string {
  let v = n;
  let u = 0;
  while (v >= 1000 && u < UNITS.length - 1) {
    v /= 1000;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${UNITS[u]}`;
}

/** Columns padded to their widest cell, two spaces apart. */
export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [head, ...rows]
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Prints `data` as JSON with `--json`, else what `human` makes of it. */
export function answer<T>(opts: { json?: boolean }, data: T, human: (d: T) => string): void {
  process.stdout.write(opts.json ? `${JSON.stringify(data)}\n` : `${human(data)}\n`);
}

/** 1 → "1 video", 3 → "3 videos". */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** Seconds → "45 s", "12 min", "3 h", "2.5 d" (one unit, the largest that fits). */
export function humanDuration(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return '–';
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86_400) return `${Number((s / 3600).toFixed(1))} h`;
  return `${Number((s / 86_400).toFixed(1))} d`;
}
