import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { seedOverview, startTestDashboard, type TestDashboard } from './helpers/dashboard.ts';

/**
 * What operators get in deploy/: Prometheus alerting rules that promtool accepts, and a Grafana
 * dashboard whose every panel queries metrics the dashboard's /metrics really exposes.
 */

let t: TestDashboard;
beforeAll(async () => {
  t = await startTestDashboard();
  await seedOverview(t);
});
afterAll(async () => {
  await t?.close();
});

/** Metric names a PromQL expression reads (pleiades_*, histogram suffixes folded to the family). */
const metricNames = (expr: string): string[] =>
  [...expr.matchAll(/\bpleiades_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ''));

describe('deploy/prometheus and deploy/grafana', () => {
  it('the alerting rules pass `promtool check rules`', () => {
    const r = spawnSync('promtool', ['check', 'rules', 'deploy/prometheus/alerts.yml'], { encoding: 'utf8' });
    expect(r.error, "promtool is missing: install Debian's prometheus package").toBeUndefined();
    expect(`${r.stdout}${r.stderr}`).toContain('SUCCESS');
    expect(r.status).toBe(0);
    const rules = (
      parseYaml(readFileSync('deploy/prometheus/alerts.yml', 'utf8')) as {
        groups: { rules: { alert: string }[] }[];
      }
    ).groups.flatMap((g) => g.rules.map((x) => x.alert));
    expect(rules).toEqual(
      expect.arrayContaining([
        'PleiadesPoolSpent',
        'PleiadesQuotaLow',
        'PleiadesScheduleLag',
        'PleiadesJobsFailing',
        'PleiadesVaultFlushFailing',
        'PleiadesCapacityShort',
      ]),
    );
  });

  it('every Grafana panel queries metrics that /metrics exposes', async () => {
    const text = await (await fetch(`${t.url}/metrics`)).text();
    const exposed = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
    const board = JSON.parse(readFileSync('deploy/grafana/pleiades.json', 'utf8')) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    expect(board.panels.length).toBeGreaterThan(10);
    const missing: string[] = [];
    for (const p of board.panels) {
      const names = p.targets.flatMap((x) => metricNames(x.expr));
      expect(names.length, p.title).toBeGreaterThan(0);
      for (const n of names) if (!exposed.has(n)) missing.push(`${p.title}: ${n}`);
    }
    expect(missing).toEqual([]);
  });
});
