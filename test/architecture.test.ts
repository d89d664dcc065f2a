import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { boundaryViolations, collectImports, importCycles } from './helpers/architecture.ts';

/**
 * The layers point one way and nothing imports in a circle (test/helpers/architecture.ts states the
 * rules; docs/architecture.md draws them). The checker itself is shown to catch planted violations.
 */

const ROOT = resolve(import.meta.dirname, '..');
const CHECKED = [
  'src',
  'queues',
  'workers',
  'dashboard',
  'app',
  'bin',
  'deploy',
  'packages/youtube-simulator',
];

describe('architecture', () => {
  const imports = collectImports(ROOT, CHECKED);

  it('reads the imports of every layer', () => {
    const from = new Set(imports.map((i) => i.from.split('/')[0]));
    for (const d of ['src', 'queues', 'workers', 'dashboard', 'app', 'packages']) expect(from).toContain(d);
  });

  it('no import crosses a layer boundary the wrong way', () => {
    expect(boundaryViolations(imports)).toEqual([]);
  });

  it('no import cycle', () => {
    expect(importCycles(imports)).toEqual([]);
  });

  it('catches a planted wrong-way import, a simulator import of the product, an eager simulator load and a cycle', () => {
    const root = mkdtempSync(join(tmpdir(), 'pleiades-arch-'));
    const put = (path: string, text: string) => {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    };
    put(
      'src/a.ts',
      "import { b } from './b.ts';\nimport type { W } from '../workers/w.ts';\nexport const a = 1;\n",
    );
    put('src/b.ts', "import { a } from './a.ts';\nexport const b = a;\n");
    put('workers/w.ts', "import { start } from '../app/system.ts';\nexport type W = 1;\n");
    put(
      'app/system.ts',
      "import { startSimulator } from '@pleiades/youtube-simulator';\nexport const start = 1;\n",
    );
    put('app/lazy.ts', "export const s = () => import('@pleiades/youtube-simulator');\n");
    put('dashboard/d.ts', "import { World } from '@pleiades/youtube-simulator/world';\n");
    put('packages/youtube-simulator/src/x.ts', "import { a } from '../../../src/a.ts';\n");
    const planted = collectImports(root, [
      'src',
      'workers',
      'app',
      'dashboard',
      'packages/youtube-simulator',
    ]);
    expect(boundaryViolations(planted).sort()).toEqual([
      'app/system.ts imports @pleiades/youtube-simulator: only app/ loads the simulator, lazily (await import), when it runs',
      'dashboard/d.ts imports @pleiades/youtube-simulator/world: only app/ loads the simulator, lazily (await import), when it runs',
      'packages/youtube-simulator/src/x.ts imports ../../../src/a.ts: the simulator package imports nothing of Pleiades',
      'src/a.ts imports ../workers/w.ts: src/ must not import workers/',
      'workers/w.ts imports ../app/system.ts: workers/ must not import app/',
    ]);
    expect(importCycles(planted)).toEqual([['src/a.ts', 'src/b.ts']]);
  });
});

describe('tracker signals', () => {
  it('docs/dataset.md lists every signal of the registry, with its entry', async () => {
    const { TRACKER_SIGNALS } = await import('../src/tracker/registry.ts');
    const doc = readFileSync(join(ROOT, 'docs/dataset.md'), 'utf8');
    const table = /<!-- signals:begin -->([\s\S]*?)<!-- signals:end -->/.exec(doc)![1]!;
    const rows = table
      .trim()
      .split('\n')
      .slice(2)
      .map((l) =>
        l
          .split(/(?<!\\)\|/)
          .slice(1, -1)
          .map((c) => c.trim()),
      );
    expect(rows).toEqual(TRACKER_SIGNALS.map((s) => [`\`${s.name}\``, s.docs]));
    expect(new Set(TRACKER_SIGNALS.map((s) => s.name)).size).toBe(TRACKER_SIGNALS.length);
  });
});
