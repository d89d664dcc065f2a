import type { Command } from 'commander';
import { doctorCommand } from './doctor.ts';
import { migrateCommand } from './migrate.ts';

/** Every subcommand, one module each. */
export function registerCommands(program: Command): void {
  program.addCommand(migrateCommand());
  program.addCommand(doctorCommand());
}
