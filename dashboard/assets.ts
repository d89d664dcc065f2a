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
const ENTRY = join(HERE, 'client', 'main.ts');
const BUNDLE = 'app.js';

export interface Bundle {
  js: string;
  etag: string;
}

const withEtag = (js: string): Bundle => ({
  js,
  etag: `"${createHash('sha256').update(js).digest('base64url').slice(0, 22)}"`,
});

async function bundleWithEsbuild(): Promise<string | null> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch {
    return null;
  }
  const out = await esbuild.build({
    entryPoints: [ENTRY],
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
export async function writeBundle(js: string, dir = DIST_DIR): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, BUNDLE);
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, js);
  await rename(tmp, file);
  return file;
}

export async function loadBundle(): Promise<Bundle> {
  const built = await bundleWithEsbuild();
  if (built !== null) {
    await writeBundle(built).catch(() => {}); // a read-only install still serves from memory
    return withEtag(built);
  }
  try {
    return withEtag(await readFile(join(DIST_DIR, BUNDLE), 'utf8'));
  } catch {
    throw new PleiadesError(
      `the dashboard script is not built: esbuild is not installed and ${join(DIST_DIR, BUNDLE)} is missing ` +
        '(run `node dashboard/build.ts` where dev dependencies are installed)',
    );
  }
}
