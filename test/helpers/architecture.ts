import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/**
 * The import rules of the code base, checked over every import (static, dynamic and type-only: a type
 * import is still a dependency a reader must follow). docs/architecture.md draws the picture:
 *
 *   packages/youtube-simulator   imports nothing of Pleiades (it is installable on its own)
 *   src/        the library      imports nothing above it (workers, queues, dashboard, app)
 *   queues/                      src only
 *   workers/    the agents       src and queues, never dashboard or app
 *   dashboard/  the HTTP side    src, queues, workers (read models), never app
 *   app/        composition root anything
 *
 * The product's runtime layers may import only the dependency-free "YouTube facts" of the simulator
 * package (clock, quota costs, key fingerprint, WebSub topic URLs); the simulator itself is loaded
 * by app/ only, with a dynamic import, when it runs. And no import cycle anywhere.
 */

export const LAYERS = ['src', 'queues', 'workers', 'dashboard', 'app'] as const;
type Layer = (typeof LAYERS)[number] | 'simulator' | 'other';

/** What each layer may import, besides itself and npm packages. */
const ALLOWED: Record<Layer, readonly Layer[]> = {
  simulator: [],
  src: [],
  queues: ['src'],
  workers: ['src', 'queues'],
  dashboard: ['src', 'queues', 'workers'],
  app: ['src', 'queues', 'workers', 'dashboard'],
  other: ['src', 'queues', 'workers', 'dashboard', 'app'],
};

const SIMULATOR = '@pleiades/youtube-simulator';
/** The simulator package's modules the product's runtime may load (dependency-free facts). */
export const SHARED_FACTS = ['clock', 'quota-costs', 'fingerprint', 'websub-topic'].map(
  (m) => `${SIMULATOR}/${m}`,
);

export interface Import {
  from: string;
  to: string;
  /** The specifier as written. */
  spec: string;
  dynamic: boolean;
  typeOnly: boolean;
}

function layerOf(file: string): Layer {
  if (file.startsWith('packages/youtube-simulator/')) return 'simulator';
  const top = file.split('/')[0]!;
  return (LAYERS as readonly string[]).includes(top) ? (top as Layer) : 'other';
}

function sourceFiles(root: string, dir: string, out: string[] = []): string[] {
  const abs = join(root, dir);
  if (!existsSync(abs)) return out;
  for (const name of readdirSync(abs)) {
    if (name === 'node_modules' || name === 'dist' || name === 'test') continue;
    const rel = join(dir, name);
    if (statSync(join(root, rel)).isDirectory()) sourceFiles(root, rel, out);
    else if (/\.(ts|js)$/.test(name) && !name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

/** Every import of the checked folders, with where it points (a repo path, or the package specifier). */
export function collectImports(root: string, dirs: readonly string[]): Import[] {
  const out: Import[] = [];
  for (const file of dirs.flatMap((d) => sourceFiles(root, d))) {
    const sf = ts.createSourceFile(
      file,
      readFileSync(join(root, file), 'utf8'),
      ts.ScriptTarget.Latest,
      true,
    );
    const add = (spec: string, dynamic: boolean, typeOnly: boolean) => {
      const to = spec.startsWith('.') ? relative(root, resolve(root, dirname(file), spec)) : spec;
      out.push({ from: file, to, spec, dynamic, typeOnly });
    };
    const visit = (node: ts.Node): void => {
      if (
        (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
        node.moduleSpecifier &&
        ts.isStringLiteral(node.moduleSpecifier)
      ) {
        const typeOnly = ts.isImportDeclaration(node)
          ? (node.importClause?.isTypeOnly ?? false)
          : node.isTypeOnly;
        add(node.moduleSpecifier.text, false, typeOnly);
      } else if (
        ts.isCallExpression(node) &&
        node.expression.kind === ts.SyntaxKind.ImportKeyword &&
        node.arguments[0] &&
        ts.isStringLiteral(node.arguments[0])
      ) {
        add(node.arguments[0].text, true, false);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return out;
}

/** Imports that cross a boundary the wrong way, each as one readable line. */
export function boundaryViolations(imports: readonly Import[]): string[] {
  const bad: string[] = [];
  for (const i of imports) {
    const from = layerOf(i.from);
    const line = `${i.from} imports ${i.spec}`;
    if (i.to.startsWith(SIMULATOR)) {
      if (from === 'simulator') bad.push(`${line}: the package imports itself by name, use a relative path`);
      else if (SHARED_FACTS.includes(i.to)) continue;
      else if (from === 'app' && (i.dynamic || i.typeOnly)) continue;
      else if (from !== 'other')
        bad.push(`${line}: only app/ loads the simulator, lazily (await import), when it runs`);
      continue;
    }
    if (!i.spec.startsWith('.')) {
      if (from === 'simulator' && !i.spec.startsWith('node:') && i.spec !== 'zod')
        bad.push(`${line}: the simulator package depends on node: modules and zod only`);
      continue;
    }
    const to = layerOf(i.to);
    if (from === 'simulator') {
      if (to !== 'simulator') bad.push(`${line}: the simulator package imports nothing of Pleiades`);
      continue;
    }
    if (to === from || to === 'other') continue;
    if (to === 'simulator') bad.push(`${line}: import the package by its name, not by path`);
    else if (!ALLOWED[from].includes(to)) bad.push(`${line}: ${from}/ must not import ${to}/`);
  }
  return bad;
}

/** Every import cycle among the repo's files (Tarjan's strongly connected components), as paths. */
export function importCycles(imports: readonly Import[]): string[][] {
  const edges = new Map<string, Set<string>>();
  for (const i of imports) {
    if (!i.spec.startsWith('.')) continue;
    if (!edges.has(i.from)) edges.set(i.from, new Set());
    edges.get(i.from)!.add(i.to);
  }
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const strong = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || edges.get(v)?.has(v)) cycles.push(comp.sort());
    }
  };
  for (const v of edges.keys()) if (!idx.has(v)) strong(v);
  return cycles;
}
