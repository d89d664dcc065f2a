import type { Plugin } from 'chart.js';

/**
 * The one chart plugin of the overview page: it marks each canvas with what it shows (total, points,
 * rendered), so a person (or a test) can tell a chart has real data.
 */
export const chartMarker: Plugin = {
  id: 'pleiadesMarker',
  afterRender(chart) {
    const total = chart.data.datasets.reduce(
      (a, d) => a + (d.data as unknown[]).reduce<number>((b, v) => b + (typeof v === 'number' ? v : 0), 0),
      0,
    );
    chart.canvas.dataset.total = String(total);
    chart.canvas.dataset.points = String(chart.data.labels?.length ?? 0);
    chart.canvas.dataset.rendered = 'true';
  },
};
