import type { Command } from 'commander';

/**
 * Every subcommand, one module each, loaded only when needed: a worker process does not pay for the
 * dashboard's or the vault's modules (tens of MB of RSS each).
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  migrate: async () => (await import('./migrate.ts')).migrateCommand(),
  doctor: async () => (await import('./doctor.ts')).doctorCommand(),
  start: async () => (await import('./start.ts')).startCommand(),
  worker: async () => (await import('./worker.ts')).workerCommand(),
  scheduler: async () => (await import('./scheduler.ts')).schedulerCommand(),
  dashboard: async () => (await import('./dashboard.ts')).dashboardCommand(),
  simulator: async () => (await import('./simulator.ts')).simulatorCommand(),
  enqueue: async () => (await import('./enqueue.ts')).enqueueCommand(),
  queues: async () => (await import('./queues.ts')).queuesCommand(),
  'retry-failed': async () => (await import('./queues.ts')).retryFailedCommand(),
  keys: async () => (await import('./keys.ts')).keysCommand(),
  vault: async () => (await import('./vault.ts')).vaultCommand(),
  follow: async () => (await import('./follow.ts')).followCommand(),
  capacity: async () => (await import('./capacity.ts')).capacityCommand(),
};

export const COMMAND_NAMES = Object.keys(COMMANDS);

/** Registers the command `argv` asks for, or all of them (for help and for errors that list them). */
export async function registerCommands(
  program: Command,
  argv: string[] = process.argv.slice(2),
): Promise<void> {
  const wanted = argv.find((a) => !a.startsWith('-'));
  const names =
    wanted && wanted in COMMANDS && !argv.includes('--help') && !argv.includes('-h')
      ? [wanted]
      : COMMAND_NAMES;
  for (const name of names) program.addCommand(await COMMANDS[name]!());
}
