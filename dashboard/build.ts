// Builds the overview page's script into dashboard/public/dist (for images installed without esbuild).
import { BUNDLES, type BundleName, DIST_DIR, loadBundle, writeBundle } from './assets.ts';

for (const name of Object.keys(BUNDLES) as BundleName[]) {
  const bundle = await loadBundle(name);
  const file = await writeBundle(bundle.js, DIST_DIR, name);
  process.stdout.write(`dashboard bundle: ${file} (${bundle.js.length} bytes)\n`);
}
