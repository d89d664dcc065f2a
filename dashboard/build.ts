// Builds the overview page's script into dashboard/public/dist (for images installed without esbuild).
import { loadBundle, writeBundle } from './assets.ts';

const bundle = await loadBundle();
const file = await writeBundle(bundle.js);
process.stdout.write(`dashboard bundle: ${file} (${bundle.js.length} bytes)\n`);
