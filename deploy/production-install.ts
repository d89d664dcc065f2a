// What a production install weighs: `node deploy/production-install.ts` copies the files the image
// carries into a scratch directory, runs the image's `npm ci` there (from the local npm cache when it
// can) and prints the size of node_modules, the biggest packages and an estimate of the image.
import { execFileSync } from 'node:child_process';
import { cpSync, lstatSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;

/**
 * What the Dockerfile's runtime stage copies besides node_modules (and the lock file its `deps` stage
 * installs from). `packages` holds the workspace packages (the simulator, whose clock, quota costs and
 * WebSub helpers the product imports as `@pleiades/youtube-simulator/…`): `npm ci` links
 * node_modules/@pleiades/youtube-simulator to its folder, so the folder must be there first.
 */
export const IMAGE_FILES = [
  'package.json',
  'package-lock.json',
  'bin',
  'packages',
  'src',
  'app',
  'queues',
  'workers',
  'dashboard',
  'sql',
  'deploy/healthcheck.ts',
];

/**
 * The Dockerfile's install: no dev dependencies, and no optional ones either — the only optional
 * packages of the production tree are platform helpers nothing here needs (msgpackr's native string
 * extractor: BullMQ only packs; pg-cloudflare) and `typescript`, which npm keeps as an *optional
 * peer* of valibot (Bull Board's validator) although only `tsc` uses it (23 MB).
 */
export const PRODUCTION_NPM_CI = ['ci', '--omit=dev', '--omit=optional', '--no-audit', '--no-fund'];

/** Bytes on disk under `path` (files and symlinks, not following links). */
export function diskBytes(path: string): number {
  const st = lstatSync(path);
  if (!st.isDirectory()) return st.blocks * 512;
  let n = st.blocks * 512;
  for (const e of readdirSync(path)) n += diskBytes(join(path, e));
  return n;
}

/** What .dockerignore keeps out of the build context under a copied folder: a workspace's tests and modules. */
function outOfContext(src: string): boolean {
  return /^packages\/[^/]+\/(test|node_modules)(\/|$)/.test(relative(ROOT, src));
}

/**
 * A copy of the project's image files in a new scratch directory with a production-only
 * node_modules. `offline` installs from the npm cache alone (fast, and what tests use; the cache
 * holds everything once a full `npm ci` ran on this machine).
 */
export function productionInstall(opts: { offline?: boolean; dir?: string } = {}): string {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'pleiades-production-'));
  for (const f of IMAGE_FILES)
    cpSync(join(ROOT, f), join(dir, f), { recursive: true, filter: (src) => !outOfContext(src) });
  rmSync(join(dir, 'dashboard', 'public', 'dist'), { recursive: true, force: true });
  execFileSync(
    'npm',
    [...PRODUCTION_NPM_CI, opts.offline ? '--offline' : '--prefer-offline', '--loglevel=error'],
    {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'inherit'],
      // The npm of the Node running this (the `node` devDependency's PATH may point elsewhere).
      env: { ...process.env, npm_config_update_notifier: 'false' },
    },
  );
  return dir;
}

const mb = (b: number) => (b / 2 ** 20).toFixed(1);

function report(dir: string): void {
  const modules = join(dir, 'node_modules');
  const total = diskBytes(modules);
  const packages: [string, number][] = [];
  for (const e of readdirSync(modules)) {
    if (e.startsWith('.')) continue;
    const p = join(modules, e);
    if (e.startsWith('@'))
      for (const s of readdirSync(p)) packages.push([`${e}/${s}`, diskBytes(join(p, s))]);
    else packages.push([e, diskBytes(p)]);
  }
  packages.sort((a, b) => b[1] - a[1]);
  const app = IMAGE_FILES.reduce((n, f) => n + diskBytes(join(dir, f)), 0);
  const node = statSync(process.execPath).size;
  const out = (s: string) => process.stdout.write(`${s}\n`);
  out(`production node_modules: ${mb(total)} MB (goal <= 150 MB), ${packages.length} packages`);
  out(
    `  biggest: ${packages
      .slice(0, 8)
      .map(([n, b]) => `${n} ${mb(b)}`)
      .join(', ')}`,
  );
  out('image estimate (uncompressed layers measurable without an engine):');
  out(`  node_modules ${mb(total)} MB + application files ${mb(app)} MB + node binary ${mb(node)} MB`);
  out(`  = ${mb(total + app + node)} MB, plus the Debian slim base of node:24-slim (≈ 75 MB) and tini`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const keep = process.argv.includes('--keep');
  const dir = productionInstall({ offline: process.argv.includes('--offline') });
  try {
    report(dir);
    if (keep) process.stdout.write(`kept in ${dir}\n`);
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}
