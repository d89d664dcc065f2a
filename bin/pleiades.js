#!/usr/bin/env node
// Pleiades runs its TypeScript directly on Node 24 (type stripping). When started by an older Node,
// re-run with the Node 24 that the `node` devDependency installs beside the project.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const main = join(root, 'app', 'cli', 'main.ts');
const major = Number(process.versions.node.split('.')[0]);
if (major >= 24) {
  await import(main);
} else {
  const local = join(root, 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(local)) {
    process.stderr.write(
      `pleiades needs Node.js 24 or newer (this is ${process.version}); run npm ci first\n`,
    );
    process.exit(1);
  }
  const r = spawnSync(local, [main, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
