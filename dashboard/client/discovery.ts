import { Chart, type Plugin } from 'chart.js';
import type { DiscoveryView } from '../discovery.ts';
import { chartMarker } from './marker.ts';

/**
 * The overview page's discovery card: today's budget split (planned and spent units per route) and
 * what each route found, from /api/discovery. Text goes through textContent only.
 */

const nf = new Intl.NumberFormat('en');
const el = <T extends HTMLElement>(id: string): T | null => document.getElementById(id) as T | null;

let chart: Chart<'bar'> | null = null;

function budgetChart(canvas: HTMLCanvasElement): Chart<'bar'> {
  if (chart) return chart;
  chart = new Chart<'bar'>(canvas, {
    type: 'bar',
    data: {
      labels: [],
      datasets: [
        { label: 'planned', data: [], backgroundColor: 'rgba(138, 180, 255, 0.35)', borderRadius: 4 },
        { label: 'spent', data: [], backgroundColor: '#a78bfa', borderRadius: 4 },
      ],
    },
    options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    plugins: [chartMarker as Plugin<'bar'>],
  });
  return chart;
}

const ROUTE_LABELS: Record<string, string> = {
  search: 'search',
  channel: 'channel polling',
  websub: 'WebSub',
};

export function renderDiscovery(v: DiscoveryView): void {
  const canvas = el<HTMLCanvasElement>('chart-budget');
  const empty = el('budget-empty');
  if (canvas) {
    const c = budgetChart(canvas);
    const routes = v.budget ? Object.values(v.budget.routes) : [];
    c.data.labels = routes.map((r) => `${r.route} (${Math.round(r.share * 100)}% of ${r.pool})`);
    c.data.datasets[0]!.data = routes.map((r) => r.plannedUnits);
    c.data.datasets[1]!.data = routes.map((r) => r.spentUnits);
    c.update('none');
  }
  if (empty) empty.hidden = v.budget !== null;
  const body = el<HTMLTableElement>('routes')?.tBodies[0];
  if (body) {
    const rows = v.routes.map((r) => {
      const tr = document.createElement('tr');
      tr.dataset.route = r.route;
      const cells = [
        ROUTE_LABELS[r.route] ?? r.route,
        nf.format(r.newVideos),
        r.route === 'search'
          ? `${nf.format(r.units)} + ${nf.format(r.searchCalls)} searches`
          : nf.format(r.units),
        r.unitsPerNewVideo === null ? '–' : r.unitsPerNewVideo.toFixed(3),
      ];
      cells.forEach((text, i) => {
        const td = document.createElement('td');
        td.textContent = text;
        if (i > 0) td.className = 'num';
        tr.append(td);
      });
      return tr;
    });
    body.replaceChildren(...rows);
  }
  const summary = el('discovery-channels');
  if (summary) {
    const ws = v.websub.enabled
      ? `WebSub: ${nf.format(v.websub.verified)} live subscriptions, ${nf.format(v.websub.inbox)} announced videos waiting`
      : 'WebSub: off (no callback URL)';
    summary.textContent = `Followed channels: ${nf.format(v.channels.active)} (${nf.format(v.channels.candidate)} candidates). ${ws}.`;
  }
}
