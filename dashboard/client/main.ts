import {
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  type ChartType,
  DoughnutController,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  type Plugin,
  PointElement,
  Tooltip,
} from 'chart.js';
import type { CapacityView } from '../capacity.ts';
import type { DiscoveryView } from '../discovery.ts';
import type { HealthReport } from '../health.ts';
import type { Stats } from '../stats.ts';
import { renderCapacity } from './capacity.ts';
import { renderDiscovery } from './discovery.ts';
import { chartMarker } from './marker.ts';

/**
 * The overview page: fetches /api/stats, /api/queues and /api/health, draws them, and does it again
 * every few seconds (`?refresh=N` seconds; paused while the tab is hidden). All text from the server
 * goes through textContent, never innerHTML.
 */

Chart.register(
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  DoughnutController,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
);

interface QueueInfo {
  name: string;
  paused: boolean;
  counts: Record<string, number>;
  /** Job schedulers of the queue: each keeps its next run as one delayed job. */
  scheduled?: number;
}

const COLORS = {
  accent: '#8ab4ff',
  violet: '#a78bfa',
  green: '#34d399',
  amber: '#fbbf24',
  red: '#f87171',
  slate: '#64748b',
  grid: 'rgba(140, 151, 178, 0.15)',
  text: '#8c97b2',
};
const TIER_COLORS = [COLORS.accent, COLORS.violet, COLORS.green, COLORS.slate];

Chart.defaults.color = COLORS.text;
Chart.defaults.borderColor = COLORS.grid;
Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
Chart.defaults.maintainAspectRatio = false;
Chart.defaults.animation = false;

const nf = new Intl.NumberFormat('en');
const byId = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing`);
  return el as T;
};

function makeChart<T extends ChartType>(id: string, config: ChartConfiguration<T>): Chart<T> {
  return new Chart(byId<HTMLCanvasElement>(id), { ...config, plugins: [chartMarker as Plugin<T>] });
}

const hourLabel = (iso: string): string =>
  new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

function formatBytes(n: number | null): string {
  if (n === null) return '–';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(v >= 100 || i === 0 ? 0 : 1)} ${units[i]}`;
}

function formatDuration(s: number): string {
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86400) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86400).toFixed(1)} d`;
}

const charts = {
  discovery: makeChart('chart-discovery', {
    type: 'bar',
    data: {
      labels: [],
      datasets: [{ label: 'videos', data: [], backgroundColor: COLORS.accent, borderRadius: 4 }],
    },
    options: {
      plugins: { legend: { display: false } },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
    },
  }),
  snapshots: makeChart('chart-snapshots', {
    type: 'line',
    data: {
      labels: [],
      datasets: [
        {
          label: 'snapshots',
          data: [],
          borderColor: COLORS.green,
          backgroundColor: 'rgba(52, 211, 153, 0.15)',
          fill: true,
          // Straight segments through a dot per hour: each point is an exact hourly count, and nothing
          // is drawn between hours that was not measured.
          tension: 0,
          pointRadius: 2,
          pointHitRadius: 8,
        },
      ],
    },
    options: {
      plugins: { legend: { display: false } },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
    },
  }),
  tiers: makeChart('chart-tiers', {
    type: 'doughnut',
    data: {
      labels: ['HOURLY', 'DAILY', 'WEEKLY', 'GONE'],
      datasets: [{ data: [], backgroundColor: TIER_COLORS, borderColor: '#121a2e', borderWidth: 2 }],
    },
    options: { cutout: '62%', plugins: { legend: { position: 'right' } } },
  }),
  quota: makeChart('chart-quota', {
    type: 'bar',
    data: {
      labels: [],
      datasets: [
        { label: 'units %', data: [], backgroundColor: COLORS.violet, borderRadius: 4 },
        { label: 'search calls %', data: [], backgroundColor: COLORS.amber, borderRadius: 4 },
      ],
    },
    options: {
      scales: { y: { beginAtZero: true, max: 100, ticks: { callback: (v) => `${v}%` } } },
      plugins: {
        tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${Number(c.raw).toFixed(1)}` } },
      },
    },
  }),
  queues: makeChart('chart-queues', {
    type: 'bar',
    data: {
      labels: [],
      datasets: [
        { label: 'waiting', data: [], backgroundColor: COLORS.accent },
        { label: 'active', data: [], backgroundColor: COLORS.green },
        { label: 'delayed', data: [], backgroundColor: COLORS.amber },
        { label: 'failed', data: [], backgroundColor: COLORS.red },
      ],
    },
    options: {
      indexAxis: 'y',
      scales: { x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } }, y: { stacked: true } },
      plugins: { legend: { position: 'bottom', labels: { boxWidth: 10 } } },
    },
  }),
};

// biome-ignore lint/suspicious/noExplicitAny: one helper for charts of every type
function setSeries(chart: Chart<any>, labels: string[], ...series: number[][]): void {
  chart.data.labels = labels;
  series.forEach((s, i) => {
    const ds = chart.data.datasets[i];
    if (ds) ds.data = s;
  });
  chart.update('none');
}

function cell(text: string, className?: string): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function fillTable(id: string, rows: HTMLTableRowElement[], emptyText: string, columns: number): void {
  const body = byId<HTMLTableElement>(id).tBodies[0]!;
  if (rows.length === 0) {
    const tr = document.createElement('tr');
    const td = cell(emptyText, 'muted');
    td.colSpan = columns;
    tr.append(td);
    body.replaceChildren(tr);
  } else body.replaceChildren(...rows);
}

/** In the demo, which speed the clock runs at and what its (simulated) date is. */
function renderDemo(s: Stats): void {
  const badge = byId('demo');
  badge.hidden = s.speed === 1;
  if (s.speed === 1) return;
  const at = new Date(s.generatedAt);
  badge.textContent = `demo: simulated time ×${nf.format(s.speed)} · ${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function renderStats(s: Stats): void {
  renderDemo(s);
  byId('kpi-hot').textContent = nf.format(s.videos.hot);
  byId('kpi-discovered').textContent = nf.format(s.videos.discoveredLast24h);
  byId('kpi-watchlist').textContent = nf.format(s.watchlist.total);
  byId('kpi-snapshots').textContent = nf.format(s.snapshots.today);
  byId('kpi-staged').textContent = nf.format(s.vault.stagedRows);
  byId('kpi-vault').textContent = formatBytes(s.vault.sizeBytes);
  byId('kpi-lag').textContent = formatDuration(s.watchlist.scheduleLagSeconds);

  setSeries(
    charts.discovery,
    s.discovery.perHour.map((p) => hourLabel(p.hour)),
    s.discovery.perHour.map((p) => p.count),
  );
  setSeries(
    charts.snapshots,
    s.snapshots.perHour.map((p) => hourLabel(p.hour)),
    s.snapshots.perHour.map((p) => p.count),
  );
  const t = s.watchlist.byTier;
  setSeries(charts.tiers, ['HOURLY', 'DAILY', 'WEEKLY', 'GONE'], [t.HOURLY, t.DAILY, t.WEEKLY, t.GONE]);
  const quota = s.quota ?? [];
  byId('quota-empty').hidden = s.quota !== null;
  const pct = (used: number, total: number) => (total > 0 ? (100 * used) / total : 0);
  setSeries(
    charts.quota,
    quota.map(
      (p) =>
        `${p.pool}: ${nf.format(p.unitsUsed)}/${nf.format(p.unitsQuota)} units, ${p.searchUsed}/${p.searchQuota} searches`,
    ),
    quota.map((p) => pct(p.unitsUsed, p.unitsQuota)),
    quota.map((p) => pct(p.searchUsed, p.searchQuota)),
  );

  fillTable(
    'growing',
    s.fastestGrowing.map((g) => {
      const tr = document.createElement('tr');
      const video = document.createElement('td');
      const a = document.createElement('a');
      a.href = `https://www.youtube.com/watch?v=${encodeURIComponent(g.videoId)}`;
      a.rel = 'noopener noreferrer';
      a.target = '_blank';
      a.textContent = g.title || g.videoId;
      const sub = document.createElement('span');
      sub.className = 'sub';
      sub.textContent = g.videoId;
      video.append(a, sub);
      tr.append(
        video,
        cell(g.channelTitle || '–'),
        cell(nf.format(Number(g.views)), 'num'),
        cell(nf.format(Math.round(g.viewsPerHour)), 'num'),
        cell(new Date(g.publishedAt).toLocaleString()),
      );
      return tr;
    }),
    'No video has two snapshots in its first day yet.',
    5,
  );
  fillTable(
    'queries',
    s.searchQueries.recent.map((q) => {
      const tr = document.createElement('tr');
      tr.dataset.query = q.query;
      const state = document.createElement('td');
      const badge = document.createElement('span');
      badge.className = `state state-${q.state}`;
      badge.textContent = q.state;
      state.append(badge);
      const query = cell(q.query);
      const origin = document.createElement('span');
      origin.className = 'sub';
      origin.textContent = q.origin;
      query.append(origin);
      tr.append(query, state, cell(nf.format(q.resultsFound), 'num'), cell(String(q.priority), 'num'));
      return tr;
    }),
    'No queries yet.',
    4,
  );
}

function renderQueues(list: QueueInfo[]): void {
  const c = (q: QueueInfo, k: string) => q.counts[k] ?? 0;
  setSeries(
    charts.queues,
    list.map((q) => (q.paused ? `${q.name} (paused)` : q.name)),
    list.map((q) => c(q, 'waiting') + c(q, 'prioritized') + c(q, 'waiting-children')),
    list.map((q) => c(q, 'active')),
    // A scheduler's next run is not work waiting: only retries and delayed jobs beyond it count.
    list.map((q) => Math.max(0, c(q, 'delayed') - (q.scheduled ?? 0))),
    list.map((q) => c(q, 'failed')),
  );
}

function renderHealth(h: HealthReport): void {
  byId('health')
    .querySelectorAll<HTMLLIElement>('li[data-check]')
    .forEach((li) => {
      const check = h.checks[li.dataset.check as keyof HealthReport['checks']];
      if (!check) return;
      li.dataset.status = check.status;
      li.title = `${check.status}: ${check.detail}`;
    });
}

class HttpError extends Error {
  readonly status: number;
  readonly body: unknown;
  constructor(status: number, body: unknown) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function api<T>(path: string, init?: RequestInit): Promise<T> {
  const r = await fetch(path, {
    credentials: 'same-origin',
    ...init,
    headers: { accept: 'application/json', ...(init?.body ? { 'content-type': 'application/json' } : {}) },
  });
  if (r.status === 401) {
    location.href = `/login?next=${encodeURIComponent(location.pathname + location.search)}`;
    throw new HttpError(401, null);
  }
  const body = await r.json().catch(() => null);
  // /api/health answers 503 with a full report when a dependency is down.
  if (!r.ok && !(path === '/api/health' && r.status === 503)) throw new HttpError(r.status, body);
  return body as T;
}

const params = new URLSearchParams(location.search);
const refreshMs = Math.max(1, Number(params.get('refresh')) || 10) * 1000;
let timer: number | undefined;

async function refresh(): Promise<void> {
  clearTimeout(timer);
  const updated = byId('updated');
  try {
    const [stats, queues, health] = await Promise.all([
      api<Stats>('/api/stats'),
      api<{ queues: QueueInfo[] }>('/api/queues'),
      api<HealthReport>('/api/health'),
    ]);
    renderStats(stats);
    renderQueues(queues.queues);
    renderHealth(health);
    renderDiscovery(await api<DiscoveryView>('/api/discovery'));
    renderCapacity(await api<CapacityView>('/api/capacity'));
    updated.textContent = `updated ${new Date().toLocaleTimeString()}`;
    updated.classList.remove('error');
    document.body.dataset.loaded = 'true';
  } catch (err) {
    updated.textContent = `refresh failed (${(err as Error).message}); retrying`;
    updated.classList.add('error');
  } finally {
    timer = window.setTimeout(() => {
      if (document.hidden)
        document.addEventListener('visibilitychange', () => void refresh(), { once: true });
      else void refresh();
    }, refreshMs);
  }
}

function showResult(form: HTMLFormElement, ok: boolean, text: string): void {
  const out = form.querySelector<HTMLElement>('.result')!;
  out.className = `result ${ok ? 'ok' : 'error'}`;
  out.textContent = text;
}

/** Turns the API's `{details: [{field, message}]}` into lines a person can act on. */
function describeError(err: unknown, lineOf: (field: string) => string): string {
  if (err instanceof HttpError) {
    const body = err.body as { error?: string; details?: { field: string; message: string }[] } | null;
    const details = body?.details ?? [];
    if (details.length) return details.map((d) => `${lineOf(d.field)}: ${d.message}`).join('; ');
    return body?.error ?? err.message;
  }
  return (err as Error).message;
}

function nonEmptyLines(text: string): { value: string; line: number }[] {
  return text
    .split('\n')
    .map((value, i) => ({ value: value.trim(), line: i + 1 }))
    .filter((l) => l.value !== '');
}

const lineField = (lines: { line: number }[], prefix: string) => (field: string) => {
  const m = new RegExp(`^${prefix}\\.(\\d+)$`).exec(field);
  return m ? `line ${lines[Number(m[1])]?.line ?? '?'}` : field;
};

function onSubmit(id: string, handler: (form: HTMLFormElement) => Promise<void>): void {
  const form = byId<HTMLFormElement>(id);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const button = form.querySelector('button')!;
    button.disabled = true;
    void handler(form).finally(() => {
      button.disabled = false;
    });
  });
}

onSubmit('form-queries', async (form) => {
  const lines = nonEmptyLines(byId<HTMLTextAreaElement>('queries-input').value);
  const priority = Number(byId<HTMLInputElement>('priority-input').value);
  try {
    const r = await api<{ added: unknown[]; alreadyQueued: string[] }>('/api/search-queries', {
      method: 'POST',
      body: JSON.stringify({ queries: lines.map((l) => l.value), priority }),
    });
    const dup = r.alreadyQueued.length ? ` (${r.alreadyQueued.length} already queued)` : '';
    showResult(form, true, `Queued ${r.added.length} ${r.added.length === 1 ? 'query' : 'queries'}${dup}.`);
    byId<HTMLTextAreaElement>('queries-input').value = '';
    await refresh();
  } catch (err) {
    showResult(form, false, describeError(err, lineField(lines, 'queries')));
  }
});

/** Accepts bare ids and the usual YouTube links; anything else goes to the server as typed, to be named. */
const VIDEO_LINK = /(?:[?&]v=|youtu\.be\/|\/shorts\/|\/embed\/|\/live\/)([A-Za-z0-9_-]{11})(?![A-Za-z0-9_-])/;

onSubmit('form-track', async (form) => {
  const lines = nonEmptyLines(byId<HTMLTextAreaElement>('track-input').value);
  const ids = lines.map((l) => VIDEO_LINK.exec(l.value)?.[1] ?? l.value);
  try {
    const r = await api<{ added: number; alreadyTracked: number }>('/api/track', {
      method: 'POST',
      body: JSON.stringify({ videoIds: ids }),
    });
    const dup = r.alreadyTracked ? ` (${r.alreadyTracked} already tracked)` : '';
    showResult(form, true, `Tracking ${r.added} new ${r.added === 1 ? 'video' : 'videos'}${dup}.`);
    byId<HTMLTextAreaElement>('track-input').value = '';
    await refresh();
  } catch (err) {
    showResult(form, false, describeError(err, lineField(lines, 'videoIds')));
  }
});

/** Draws the data the server put in the page, if any: figures show at once, without a first fetch. */
function renderFirstData(): boolean {
  const island = document.getElementById('first-data');
  if (!island?.textContent) return false;
  try {
    const d = JSON.parse(island.textContent) as {
      stats?: Stats;
      queues?: { queues: QueueInfo[] };
      health?: HealthReport;
      discovery?: DiscoveryView;
      capacity?: CapacityView;
    };
    if (!d.stats || !d.queues || !d.health || !d.discovery || !d.capacity) return false;
    renderStats(d.stats);
    renderQueues(d.queues.queues);
    renderHealth(d.health);
    renderDiscovery(d.discovery);
    renderCapacity(d.capacity);
    byId('updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
    document.body.dataset.loaded = 'true';
    return true;
  } catch {
    return false; // a refresh fetches everything
  }
}

if (renderFirstData()) timer = window.setTimeout(() => void refresh(), refreshMs);
else void refresh();
