import type { Figure } from './figures.ts';

/**
 * The README's "Discovery routes" table (between `<!-- bench:discovery -->` and
 * `<!-- /bench:discovery -->`), written from the discovery bench's figures by name, so the table
 * states only what a run measured.
 */

const ROWS: {
  route: string;
  how: string;
  cost: string;
  measured: (f: (name: string) => Figure) => string;
}[] = [
  {
    route: '**search** (`workers/hunter.ts`)',
    how: "`search.list` per page of 50, paced across the Pacific day, then `videos.list` for the ids not known yet (every id on a query's first page, for the snowball)",
    cost: '1 call of the search bucket (100/day a key) + at most 1 unit per page',
    measured: (f) =>
      `${count(f('discovery: search alone, new videos/day'))} new videos; recall on its own queries ${n(f('discovery coverage: search recall on its queries'))}`,
  },
  {
    route: '**channel polling** (`workers/channel-poll.ts`)',
    how: 'each followed channel read from its newest upload down to the uploads already seen: through its public Atom feed (`/feeds/videos.xml`, 15 entries) while it has a live WebSub subscription and the feed reaches back that far, else its uploads playlist with `playlistItems.list`; `videos.list` for the new ids only',
    cost: 'the feed is free; 1 unit per page of 50 uploads, 1 unit per 50 new videos, 1 unit per 50 channels the first time',
    measured: (f) =>
      `${count(f('discovery: channel polling, new videos/day'))} new videos (${count(f('discovery: channel polling, fresh videos/day'))} published that day); ${n(f('discovery: channel polling, units per new video'))} per new video; first within 1 h for ${n(f('discovery coverage: channel share within 1 h'))} of followed uploads`,
  },
  {
    route: '**WebSub push** (`dashboard/websub.ts`, `workers/websub.ts`)',
    how: "YouTube's hub POSTs a signed Atom feed to `WEBSUB_CALLBACK_URL` when a followed channel publishes (late, sometimes twice, sometimes never); the ids are fetched with `videos.list` in batches of 50 (a partial batch waits up to `WEBSUB_BATCH_WAIT_S`)",
    cost: 'the push is free; 1 unit per 50 new videos',
    measured: (f) =>
      `${count(f('discovery: WebSub, new videos/day'))} new videos; ${n(f('discovery: WebSub, units per new video'))} per new video; first within 1 h for ${n(f('discovery coverage: websub share within 1 h'))} of followed uploads`,
  },
];

/** Where the day's units went (figures of records since the feed safety net; absent from older ones). */
function unitsByRoute(byName: Map<string, Figure>): string {
  const parts = (
    [
      ['search', 'search'],
      ['channel', 'channel polling'],
      ['websub', 'WebSub'],
    ] as const
  ).map(([r, label]) => {
    const x = byName.get(`discovery coverage: ${r} units`);
    return x ? `${label} ${count(x)}` : null;
  });
  return parts.every((p) => p !== null) ? ` (units by route: ${parts.join(', ')})` : '';
}

/** A count of videos where the sentence names them. */
const count = (f: Figure): string => f.value.toLocaleString('en-US');

const n = (f: Figure): string => `${f.value.toLocaleString('en-US')}${f.unit === '%' ? '%' : ` ${f.unit}`}`;

export function discoveryTable(figures: Figure[]): string {
  const byName = new Map(figures.map((x) => [x.name, x]));
  const f = (name: string): Figure => {
    const x = byName.get(name);
    if (!x) throw new Error(`the discovery table needs the figure "${name}"`);
    return x;
  };
  const lines = [
    '| route | how | quota cost (2026 buckets) | measured, 1 key, 1 simulated day (`npm run bench`) |',
    '| --- | --- | --- | --- |',
    ...ROWS.map((r) => `| ${r.route} | ${r.how} | ${r.cost} | ${r.measured(f)} |`),
    '',
    `With every channel followed (all routes, realistic search and hub): ${n(f('discovery coverage: followed uploads found within 1 h'))} of the day's uploads found within 1 h (goal ≥ 95%), ${n(f('discovery coverage: followed uploads found within 24 h'))} within 24 h (goal ≥ 99%), at ${n(f('discovery coverage: units per fresh video'))} per fresh video (goal ≤ 0.03)${unitsByRoute(byName)}; backfill apart: ${n(f('discovery coverage: backfill videos'))}.`,
  ];
  return lines.join('\n');
}

/** Replaces what stands between the markers in `text` with the table. */
export function withDiscoveryTable(text: string, figures: Figure[]): string {
  const re = /(<!-- bench:discovery -->\n)[\s\S]*?(\n<!-- \/bench:discovery -->)/;
  if (!re.test(text)) throw new Error('no <!-- bench:discovery --> markers');
  return text.replace(re, (_, a: string, b: string) => `${a}${discoveryTable(figures)}${b}`);
}
