import type { Command } from 'commander';
import { dashboardCommand } from './dashboard.ts';
import { doctorCommand } from './doctor.ts';
import { enqueueCommand } from './enqueue.ts';
import { keysCommand } from './keys.ts';
import { migrateCommand } from './migrate.ts';
import { queuesCommand, retryFailedCommand } from './queues.ts';
import { schedulerCommand } from './scheduler.ts';
import { simulatorCommand } from './simulator.ts';
import { startCommand } from './start.ts';
import { vaultCommand } from './vault.ts';
import { workerCommand } from './worker.ts';

/** Every subcommand, one module each. */
export function registerCommands(program: Command): void {
  program.addCommand(migrateCommand());
  program.addCommand(doctorCommand());
  program.addCommand(dashboardCommand());
  program.addCommand(keysCommand());
  program.addCommand(startCommand());
  program.addCommand(workerCommand());
  program.addCommand(schedulerCommand());
  program.addCommand(enqueueCommand());
  program.addCommand(queuesCommand());
  program.addCommand(retryFailedCommand());
  program.addCommand(vaultCommand());
  program.addCommand(simulatorCommand());
}
