import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PleiadesError } from '../src/errors/index.ts';

/**
 * The overview page's script: dashboard/client/main.ts and Chart.js from npm, bundled by esbuild into
 * one minified file (no CDN). Built at start-up when esbuild is installed (a development checkout),
 * else read from dashboard/public/dist, which `node dashboard/build.ts` fills for images built
 * without dev dependencies.
 */

const HERE = dirname(fileURLToPath(import.meta.url));
export const PUBLIC_DIR = join(HERE, 'public');
export const DIST_DIR = join(PUBLIC_DIR, 'dist');
/** Each page script: the overview's (app.js) and the explorer's (explorer.js), from their entry files. */
export const BUNDLES = { 'app.js': 'main.ts', 'explorer.js': 'explorer.ts' } as const;
export type BundleName = keyof typeof BUNDLES;

export interface Bundle {
  js: string;
  etag: string;
}

const withEtag = (js: string): Bundle => ({
  js,
  etag: `"${createHash('sha256').update(js).digest('base64url').slice(0, 22)}"`,
});

async function bundleWithEsbuild(name: BundleName): Promise<string | null> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch {
    return null;
  }
  const out = await esbuild.build({
    entryPoints: [join(HERE, 'client', BUNDLES[name])],
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['es2022'],
    platform: 'browser',
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  return out.outputFiles[0]!.text;
}

/** Writes the bundle to dashboard/public/dist (atomically: several processes may start at once). */
export async function writeBundle(js: string, dir = DIST_DIR, name: BundleName = 'app.js'): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, name);
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, js);
  await rename(tmp, file);
  return file;
}

export async function loadBundle(name: BundleName = 'app.js'): Promise<Bundle> {
  const built = await bundleWithEsbuild(name);
  if (built !== null) {
    await writeBundle(built, DIST_DIR, name).catch(() => {}); // a read-only install still serves from memory
    return withEtag(built);
  }
  try {
    return withEtag(await readFile(join(DIST_DIR, name), 'utf8'));
  } catch {
    throw new PleiadesError(
      `the dashboard script is not built: esbuild is not installed and ${join(DIST_DIR, name)} is missing ` +
        '(run `node dashboard/build.ts` where dev dependencies are installed)',
    );
  }
}
