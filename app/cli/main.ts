#!/usr/bin/env node
// First: may re-execute this process with the role's V8 heap flags before anything else loads.
import './heap.ts';
import { Command, CommanderError } from 'commander';
import { ConfigError, PleiadesError } from '../../src/errors/index.ts';
import { registerCommands } from './commands/index.ts';

const program = new Command('pleiades')
  .description('Discovers YouTube videos and tracks their statistics forever')
  .showHelpAfterError()
  .exitOverride();

await registerCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  if (err instanceof ConfigError) {
    process.stderr.write(`pleiades: ${err.message}\n`);
    process.exit(2);
  }
  if (err instanceof PleiadesError) {
    process.stderr.write(`pleiades: ${err.message}\n`);
    process.exit(1);
  }
  throw err;
}
