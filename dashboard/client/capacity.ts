import type { CapacityView } from '../capacity.ts';

/**
 * The overview page's capacity card (docs/dataset.md, "The capacity card"): needed against available
 * units, headroom, the 7-day projection and the new videos a day still affordable, from /api/capacity.
 * Text goes through textContent only.
 */

const nf = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });

function row(label: string, value: string, cls = ''): HTMLTableRowElement {
  const tr = document.createElement('tr');
  const th = document.createElement('th');
  th.textContent = label;
  const td = document.createElement('td');
  td.className = `num ${cls}`.trim();
  td.textContent = value;
  tr.append(th, td);
  return tr;
}

export function renderCapacity(v: CapacityView): void {
  const table = document.getElementById('capacity-table');
  const note = document.getElementById('capacity-note');
  if (!table || !note) return;
  const body = document.createElement('tbody');
  const p = v.plan;
  if (!p) {
    body.append(row('plan', 'no key pool in this process'));
    table.replaceChildren(body);
    note.textContent = `overload policy: ${v.policy}`;
    return;
  }
  const over = p.headroomUnits < 0;
  body.append(
    row('needed units/day', nf.format(p.neededUnits)),
    row(
      `available units/day (pool ${p.pool.name}, ${p.pool.usableKeys}/${p.pool.keys} keys)`,
      nf.format(p.availableUnits),
    ),
    row('headroom', nf.format(p.headroomUnits), over ? 'error' : ''),
    row('load', p.load === null ? '–' : `${nf.format(p.load * 100)} %`, over ? 'error' : ''),
    row(
      'polls/day HOURLY · DAILY · WEEKLY',
      `${nf.format(p.pollsPerDay.HOURLY)} · ${nf.format(p.pollsPerDay.DAILY)} · ${nf.format(p.pollsPerDay.WEEKLY)}`,
    ),
    row(`polls/day LIVE (${nf.format(p.live?.videos ?? 0)} live)`, nf.format(p.pollsPerDay.LIVE ?? 0)),
    row(`ids per unit${p.idsPerUnitMeasured ? '' : ' (assumed)'}`, nf.format(p.idsPerUnit)),
    row('new videos/day', nf.format(p.arrivalsPerDay)),
    row(
      'need in 1…7 days',
      p.projection
        .slice(1)
        .map((u) => nf.format(u))
        .join(' · '),
    ),
    row(
      'short in',
      p.exceedsInDays === null ? 'not within 7 days' : `${p.exceedsInDays} days`,
      p.exceedsInDays === null ? '' : 'error',
    ),
    row('more new videos/day affordable', nf.format(p.affordableArrivalsPerDay)),
  );
  table.replaceChildren(body);
  note.textContent =
    `overload policy: ${v.policy}` +
    (v.state.demoteBelowVph > 0
      ? `; videos under ${nf.format(v.state.demoteBelowVph)} views/h polled a tier slower`
      : '') +
    (v.state.overloaded ? '; overloaded' : '');
}
