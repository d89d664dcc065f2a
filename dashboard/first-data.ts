import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { queuesView, statsOf } from './api.ts';
import { capacityView } from './capacity.ts';
import type { DashboardDeps } from './deps.ts';
import { discoveryView } from './discovery.ts';
import { checkHealth } from './health.ts';

/** Where the overview page's script finds the data of its first render. */
export const FIRST_DATA_ID = 'first-data';
const MARKER = '<!-- first-data -->';

/**
 * The overview page with its first data in it: the answers of /api/stats, /api/queues, /api/health,
 * /api/discovery and /api/capacity as one JSON island, so the page draws figures and charts as soon
 * as its script runs, never an empty frame of dashes while it fetches. A part that fails is left out
 * (the script fetches it as on every refresh), so the page never fails because of one figure.
 */
export async function overviewHtml(deps: DashboardDeps, publicDir: string): Promise<string> {
  const [html, stats, queues, health, discovery, capacity] = await Promise.all([
    readFile(join(publicDir, 'index.html'), 'utf8'),
    ...[statsOf(deps)(), queuesView(deps), checkHealth(deps), discoveryView(deps), capacityView(deps)].map(
      (p) =>
        (p as Promise<unknown>).catch((err: Error) => {
          deps.log.warn({ err: err.message }, 'overview: first data incomplete; the page fetches it');
          return undefined;
        }),
    ),
  ]);
  const data = { stats, queues, health, discovery, capacity };
  // A title can hold "</script>": with every "<" escaped the island cannot be closed early. The
  // island is JSON (type application/json), never run, so the CSP's script-src 'self' still holds.
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  const island = `<script type="application/json" id="${FIRST_DATA_ID}">${json}</script>`;
  return (html as string).replace(MARKER, island);
}
