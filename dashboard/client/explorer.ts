import {
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  type Plugin,
  PointElement,
  ScatterController,
  Tooltip,
} from 'chart.js';
import type {
  ChannelView,
  ExplorerLists,
  ListItem,
  SearchResult,
  VideoHistory,
  VideoMeta,
} from '../explorer-data.ts';

/**
 * The explorer pages (/videos/:id, /channels/:id, /search): one script that reads the path, fetches
 * the JSON API and draws. Server text goes through textContent only, never innerHTML.
 */

Chart.register(
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  ScatterController,
  Tooltip,
);
Chart.defaults.color = '#8c97b2';
Chart.defaults.borderColor = 'rgba(140, 151, 178, 0.15)';
Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
Chart.defaults.maintainAspectRatio = false;
Chart.defaults.animation = false;

const TIER_BAND: Record<string, string> = {
  HOURLY: 'rgba(138, 180, 255, 0.10)',
  DAILY: 'rgba(167, 139, 250, 0.10)',
  WEEKLY: 'rgba(52, 211, 153, 0.10)',
};
const SERIES = [
  { key: 'views', label: 'views', color: '#8ab4ff' },
  { key: 'likes', label: 'likes', color: '#fbbf24' },
  { key: 'comments', label: 'comments', color: '#34d399' },
] as const;

const nf = new Intl.NumberFormat('en');
const byId = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing`);
  return el as T;
};
const when = (ms: number | null): string =>
  ms === null ? '–' : new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
const num = (v: number | null): string => (v === null ? '–' : nf.format(v));

async function getJson<T>(url: string): Promise<T> {
  const r = await fetch(url, { headers: { accept: 'application/json' } });
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return (await r.json()) as T;
}

function cell(text: string, cls?: string): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}
function link(href: string, text: string): HTMLAnchorElement {
  const a = document.createElement('a');
  a.href = href;
  a.textContent = text;
  return a;
}
function fill(tbody: HTMLElement, rows: HTMLTableRowElement[], empty: string, cols: number): void {
  tbody.replaceChildren();
  if (rows.length === 0) {
    const tr = document.createElement('tr');
    const td = cell(empty, 'muted');
    td.colSpan = cols;
    tr.append(td);
    tbody.append(tr);
  } else tbody.append(...rows);
}

/**
 * Draws behind the curves (tier bands) and over them (lifecycle events, gaps), and marks the canvas
 * with what it drew so a person or a test can tell.
 */
function overlays(h: VideoHistory): Plugin<'line'> {
  return {
    id: 'explorerOverlays',
    beforeDatasetsDraw(chart) {
      const { ctx, chartArea: a, scales } = chart;
      const x = scales.x!;
      ctx.save();
      let bands = 0;
      for (const b of h.tierBands) {
        const x0 = Math.max(a.left, x.getPixelForValue(b.from));
        const x1 = Math.min(a.right, x.getPixelForValue(b.to));
        ctx.fillStyle = TIER_BAND[b.tier] ?? 'rgba(100, 116, 139, 0.1)';
        ctx.fillRect(x0, a.top, Math.max(1, x1 - x0), a.bottom - a.top);
        bands++;
      }
      ctx.restore();
      chart.canvas.dataset.bands = String(bands);
    },
    afterDatasetsDraw(chart) {
      const { ctx, chartArea: a, scales } = chart;
      const x = scales.x!;
      ctx.save();
      let gaps = 0;
      for (const g of h.gaps) {
        const x0 = x.getPixelForValue(g.dueAt);
        const x1 = x.getPixelForValue(g.polledAt);
        ctx.fillStyle = 'rgba(248, 113, 113, 0.25)';
        ctx.fillRect(x0, a.bottom - 10, Math.max(2, x1 - x0), 10);
        gaps++;
      }
      let markers = 0;
      ctx.strokeStyle = '#f472b6';
      ctx.fillStyle = '#f472b6';
      ctx.font = '11px system-ui';
      ctx.setLineDash([4, 3]);
      for (const e of h.lifecycle) {
        const px = x.getPixelForValue(e.seenAt);
        if (px < a.left - 1 || px > a.right + 1) continue;
        ctx.beginPath();
        ctx.moveTo(px, a.top);
        ctx.lineTo(px, a.bottom);
        ctx.stroke();
        ctx.fillText(e.event.replace('_', ' '), px + 3, a.top + 12 + (markers % 3) * 12);
        markers++;
      }
      ctx.restore();
      chart.canvas.dataset.markers = String(markers);
      chart.canvas.dataset.gaps = String(gaps);
      chart.canvas.dataset.points = String(
        chart.data.datasets.reduce((s, d) => s + (d.data as unknown[]).length, 0),
      );
      chart.canvas.dataset.rendered = 'true';
    },
  };
}

function historyChart(h: VideoHistory, log: boolean): Chart<'line'> {
  const datasets = SERIES.map((s) => ({
    label: s.label,
    borderColor: s.color,
    backgroundColor: s.color,
    pointRadius: 2,
    borderWidth: 1.5,
    spanGaps: false,
    data: h.snapshots
      .filter((p) => p[s.key] !== null && (!log || (p[s.key] as number) > 0))
      .map((p) => ({ x: p.takenAt, y: p[s.key] as number })),
  }));
  // The x axis spans the events too: a video that went missing has events after its last snapshot.
  const times = [
    ...h.snapshots.map((p) => p.takenAt),
    ...h.lifecycle.map((e) => e.seenAt),
    ...h.gaps.flatMap((g) => [g.dueAt, g.polledAt]),
  ];
  return new Chart(byId<HTMLCanvasElement>('chart-history'), {
    type: 'line',
    data: { datasets },
    options: {
      parsing: false,
      interaction: { mode: 'nearest', intersect: false },
      scales: {
        x: {
          type: 'linear',
          ...(times.length ? { min: Math.min(...times), max: Math.max(...times) } : {}),
          ticks: { callback: (v) => when(Number(v)).slice(5, 16), maxTicksLimit: 8 },
        },
        y: { type: log ? 'logarithmic' : 'linear' },
      },
      plugins: {
        tooltip: { callbacks: { title: (items) => when(items[0]?.parsed.x ?? null) } },
      },
    },
    plugins: [overlays(h)],
  });
}

function pollChart(h: VideoHistory): void {
  new Chart(byId<HTMLCanvasElement>('chart-polls'), {
    type: 'scatter',
    data: {
      datasets: [
        {
          label: 'minutes after planned',
          backgroundColor: '#a78bfa',
          pointRadius: 2,
          data: h.snapshots.map((s) => ({ x: s.dueAt, y: Math.round((s.takenAt - s.dueAt) / 6000) / 10 })),
        },
      ],
    },
    options: {
      scales: {
        x: { type: 'linear', ticks: { callback: (v) => when(Number(v)).slice(5, 16), maxTicksLimit: 8 } },
      },
      plugins: { legend: { display: false } },
    },
  });
}

async function videoPage(id: string): Promise<void> {
  const enc = encodeURIComponent(id);
  const [{ video }, h] = await Promise.all([
    getJson<{ video: VideoMeta }>(`/api/videos/${enc}`),
    getJson<VideoHistory>(`/api/videos/${enc}/history`),
  ]);
  document.title = `Pleiades · ${video.title}`;
  byId('video-title').textContent = video.title;
  const ch = byId<HTMLAnchorElement>('video-channel');
  ch.href = `/channels/${encodeURIComponent(video.channelId)}`;
  ch.textContent = video.channelTitle || video.channelId;
  byId('video-facts').textContent =
    `${video.videoId} · published ${when(video.publishedAt)} · discovered ${when(video.discoveredAt)} · ` +
    (video.tier ? `tier ${video.tier}, next poll ${when(video.nextPollAt)}` : 'no longer polled');
  byId<HTMLAnchorElement>('download-csv').href = `/api/videos/${enc}/history?format=csv`;
  byId<HTMLAnchorElement>('download-parquet').href = `/api/videos/${enc}/history?format=parquet`;

  const legend = byId('tier-legend');
  legend.replaceChildren(
    ...[...new Set(h.tierBands.map((b) => b.tier))].map((t) => {
      const li = document.createElement('li');
      li.textContent = t;
      li.style.setProperty('--swatch', (TIER_BAND[t] ?? '').replace('0.10', '0.6'));
      return li;
    }),
  );
  const logBox = byId<HTMLInputElement>('log-axis');
  let chart = historyChart(h, logBox.checked);
  logBox.addEventListener('change', () => {
    chart.destroy();
    chart = historyChart(h, logBox.checked);
  });
  pollChart(h);

  fill(
    byId('lifecycle').querySelector('tbody')!,
    h.lifecycle.map((e) => {
      const tr = document.createElement('tr');
      tr.append(
        cell(when(e.seenAt)),
        cell(e.initial ? `${e.event} (at first sight)` : e.event),
        cell(e.detail ?? ''),
      );
      return tr;
    }),
    'No lifecycle events.',
    3,
  );
  fill(
    byId('gaps').querySelector('tbody')!,
    h.gaps.map((g) => {
      const tr = document.createElement('tr');
      tr.append(cell(when(g.dueAt)), cell(when(g.polledAt)), cell(g.reason), cell(g.tier));
      return tr;
    }),
    'No gaps: every poll ran on time.',
    4,
  );
  byId('snapshot-count').textContent = `${nf.format(h.snapshots.length)} snapshots`;
  fill(
    byId('snapshots').querySelector('tbody')!,
    [...h.snapshots].reverse().map((s) => {
      const tr = document.createElement('tr');
      tr.append(
        cell(when(s.takenAt)),
        cell(when(s.dueAt)),
        cell(num(s.views), 'num'),
        cell(num(s.likes), 'num'),
        cell(num(s.comments), 'num'),
        cell(s.tier),
        cell(s.source),
      );
      return tr;
    }),
    'No snapshots yet.',
    7,
  );
  byId('video-page').hidden = false;
}

function sparkline(values: number[]): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.className = 'spark';
  c.width = 120;
  c.height = 28;
  c.dataset.points = String(values.length);
  const ctx = c.getContext('2d');
  if (ctx && values.length > 1) {
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    ctx.strokeStyle = '#8ab4ff';
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    values.forEach((v, i) => {
      const x = (i / (values.length - 1)) * 118 + 1;
      const y = 27 - ((v - lo) / Math.max(1, hi - lo)) * 26;
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    });
    ctx.stroke();
  }
  return c;
}

async function channelPage(id: string): Promise<void> {
  const { channel } = await getJson<{ channel: ChannelView }>(`/api/channels/${encodeURIComponent(id)}`);
  document.title = `Pleiades · ${channel.channelTitle || id}`;
  byId('channel-title').textContent = channel.channelTitle || id;
  const f = channel.follow;
  byId('channel-follow').textContent = f
    ? `${id} · followed (${f.state}, by ${f.origin}) · ${f.polls} polls found ${f.videosFound} videos · ` +
      `last poll ${when(f.lastPolledAt)}, next ${when(f.nextPollAt)} (every ${Math.round(f.pollEveryS / 60)} min)`
    : `${id} · not followed: its videos came from search`;
  const sortBox = byId<HTMLSelectElement>('channel-sort');
  const draw = () => {
    const key = sortBox.value;
    const rows = [...channel.videos].sort((a, b) =>
      key === 'age'
        ? b.publishedAt - a.publishedAt
        : key === 'velocity'
          ? (b.viewsPerHour ?? -1) - (a.viewsPerHour ?? -1)
          : (b.views ?? -1) - (a.views ?? -1),
    );
    fill(
      byId('channel-videos').querySelector('tbody')!,
      rows.map((v) => {
        const tr = document.createElement('tr');
        const title = document.createElement('td');
        title.append(link(`/videos/${encodeURIComponent(v.videoId)}`, v.title || v.videoId));
        const spark = document.createElement('td');
        spark.append(sparkline(v.spark));
        tr.append(
          title,
          cell(num(v.views), 'num'),
          cell(num(v.likes), 'num'),
          cell(num(v.comments), 'num'),
          cell(v.viewsPerHour === null ? '–' : nf.format(v.viewsPerHour), 'num'),
          cell(when(v.publishedAt)),
          spark,
        );
        return tr;
      }),
      'No tracked videos of this channel.',
      7,
    );
  };
  sortBox.addEventListener('change', draw);
  draw();
  byId('channel-page').hidden = false;
}

function listItems(el: HTMLElement, items: ListItem[], value: (i: ListItem) => string): void {
  el.replaceChildren(
    ...items.map((i) => {
      const li = document.createElement('li');
      li.append(link(`/videos/${encodeURIComponent(i.videoId)}`, i.title || i.videoId));
      const small = document.createElement('small');
      small.textContent = ` ${i.channelTitle} · ${value(i)}`;
      li.append(small);
      return li;
    }),
  );
  if (items.length === 0) {
    const li = document.createElement('li');
    li.className = 'muted';
    li.textContent = 'Nothing yet.';
    el.append(li);
  }
}

async function searchPage(q: string): Promise<void> {
  byId<HTMLInputElement>('search-input').value = q;
  const lists = getJson<ExplorerLists>('/api/explore/lists');
  if (q.trim()) {
    byId('search-for').textContent = `for “${q}”`;
    const { results } = await getJson<{ results: SearchResult[] }>(`/api/search?q=${encodeURIComponent(q)}`);
    const ul = byId('search-results');
    ul.replaceChildren(
      ...results.map((r) => {
        const li = document.createElement('li');
        li.append(
          link(`/${r.kind === 'video' ? 'videos' : 'channels'}/${encodeURIComponent(r.id)}`, r.title || r.id),
        );
        const small = document.createElement('small');
        small.textContent = ` ${r.kind} · ${r.detail}`;
        li.append(small);
        return li;
      }),
    );
    if (results.length === 0) {
      const li = document.createElement('li');
      li.className = 'muted';
      li.textContent = 'Nothing tracked matches.';
      ul.append(li);
    }
  } else byId('search-results').closest('.card')?.setAttribute('hidden', '');
  const l = await lists;
  listItems(byId('list-recent'), l.recentlyDiscovered, (i) => when(i.value));
  listItems(byId('list-growing'), l.fastestGrowing, (i) => `${nf.format(i.value)} / h`);
  listItems(byId('list-viral'), l.justWentViral, (i) => `×${i.value}`);
  byId('search-page').hidden = false;
}

async function main(): Promise<void> {
  const path = location.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  try {
    if (path[0] === 'videos' && path[1]) await videoPage(path[1]);
    else if (path[0] === 'channels' && path[1]) await channelPage(path[1]);
    else await searchPage(new URLSearchParams(location.search).get('q') ?? '');
    byId('loading').hidden = true;
    document.body.dataset.ready = 'true';
  } catch (err) {
    byId('loading').textContent = `Could not load: ${(err as Error).message}`;
    document.body.dataset.ready = 'error';
  }
}

void main();
