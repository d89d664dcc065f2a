/**
 * Node's compile cache, for memory more than for speed: with a warm cache, Node 24 takes the type-
 * stripped JavaScript of each `.ts` module from the cache and never loads its TypeScript stripper
 * (amaro, a WebAssembly build of swc), which otherwise stays in every process for good: ~18 MB of
 * RSS (a one-line `.ts` file: 63 MB against 45 MB warm; docs/architecture.md, "Memory").
 *
 * The cache is keyed by file path and content, Node version and uid, so a stale entry is never used:
 * an edited file is stripped again (and amaro loads) in development, and the image bakes a cache of
 * its own files as its own user (Dockerfile: `node app/cli/compile-cache.ts`).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { glob } from 'node:fs/promises';
import { flushCompileCache, getCompileCacheDir } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Where `module.enableCompileCache()` puts the cache when given no directory: Node's own default. */
export const DEFAULT_COMPILE_CACHE_DIR = join(tmpdir(), 'node-compile-cache');

/**
 * The environment to add so that a new Node process reads (and fills) the compile cache from its very
 * first module: NODE_COMPILE_CACHE, unless it is set already or the user turned the cache off.
 */
export function compileCacheEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  if (env.NODE_COMPILE_CACHE || env.NODE_DISABLE_COMPILE_CACHE) return {};
  return { NODE_COMPILE_CACHE: DEFAULT_COMPILE_CACHE_DIR };
}

/** The cache a process started with `env` by the CLI uses, if any. */
export function compileCacheDir(env: NodeJS.ProcessEnv): string | undefined {
  return env.NODE_DISABLE_COMPILE_CACHE ? undefined : env.NODE_COMPILE_CACHE || DEFAULT_COMPILE_CACHE_DIR;
}

/** The folders of the project whose TypeScript the processes load (what the image copies). */
const SOURCE_DIRS = ['app', 'src', 'workers', 'queues', 'dashboard', 'packages', 'deploy'];

const ROOT = new URL('../..', import.meta.url).pathname;

/** Every `.ts` module the processes may load, tests and declarations aside. */
export async function projectModules(root = ROOT): Promise<string[]> {
  const out = new Set<string>();
  for (const dir of SOURCE_DIRS) for (const f of await modulesUnder(root, dir)) out.add(f);
  // A workspace package is imported by its name, from where node_modules links it: its own folder in a
  // clone or the image, another checkout's when node_modules is shared (a git worktree's symlink).
  for (const pkg of readdirSync(join(root, 'packages'))) {
    const { name } = JSON.parse(readFileSync(join(root, 'packages', pkg, 'package.json'), 'utf8')) as {
      name: string;
    };
    const linked = realpathSync(join(root, 'node_modules', name));
    if (linked !== join(root, 'packages', pkg)) for (const f of await modulesUnder(linked, '.')) out.add(f);
  }
  return [...out].sort();
}

async function modulesUnder(root: string, dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const f of glob(`${dir}/**/*.ts`, {
    cwd: root,
    exclude: (p) => /(^|\/)(node_modules|test|dist)$/.test(p),
  }))
    if (!f.endsWith('.d.ts') && !f.endsWith('.test.ts')) out.push(join(root, f));
  return out;
}

/**
 * Fills the compile cache in `dir` with every module of the project, in a Node process of its own
 * that caches from its first module (this one, which the CLI imports too, would be missed by a
 * process that enabled the cache only after loading it). Returns what it printed.
 */
export function warmCompileCache(dir: string): string {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url)], {
    env: { ...process.env, NODE_COMPILE_CACHE: dir },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`warming the compile cache failed: ${r.stderr}`);
  return r.stdout;
}

/**
 * Compiles `files` (and what they import) into this process's compile cache without running them:
 * each is imported behind a module that throws when evaluated. Modules are compiled (type-stripped)
 * when their graph is linked, before anything of it runs, and the throw comes first in evaluation
 * order. Lazy `import()`s are not followed, hence every file of the project. Returns the files that
 * could not be compiled (one importing a package that is not installed, such as the dashboard's
 * bundler in a production install).
 */
async function compileModules(files: string[]): Promise<string[]> {
  const stop = `data:text/javascript,${encodeURIComponent('throw new Error("compile only")')}`;
  const failed: string[] = [];
  for (const f of files) {
    const entry = `import ${JSON.stringify(stop)}; import ${JSON.stringify(pathToFileURL(f).href)};`;
    try {
      await import(`data:text/javascript,${encodeURIComponent(entry)}`);
    } catch (err) {
      if (!(err instanceof Error && err.message === 'compile only')) failed.push(f);
    }
  }
  flushCompileCache();
  return failed;
}

// `node app/cli/compile-cache.ts` with NODE_COMPILE_CACHE set (the image's build, warmCompileCache).
if (import.meta.main) {
  if (!getCompileCacheDir()) throw new Error('set NODE_COMPILE_CACHE to the directory to fill');
  const files = await projectModules();
  const failed = await compileModules(files);
  process.stdout.write(`compile cache: ${files.length - failed.length} of ${files.length} modules\n`);
  for (const f of failed) process.stdout.write(`  not compiled: ${relative(ROOT, f)}\n`);
}
