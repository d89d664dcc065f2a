#!/usr/bin/env node
// The simulator's command line. It runs its TypeScript sources directly, which needs Node 24 (type
// stripping); README.md lists the options.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(`youtube-simulator needs Node.js 24 or newer (this is ${process.version})\n`);
  process.exit(1);
}
const { CliError, main } = await import('../src/cli.ts');
try {
  await main(process.argv.slice(2));
} catch (err) {
  const message =
    err instanceof CliError
      ? `${err.field}: ${err.message}`
      : err instanceof TypeError
        ? err.message
        : String(err);
  process.stderr.write(`${message}\n`);
  process.exit(2);
}
