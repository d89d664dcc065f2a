import type { Logger } from '../../src/log.ts';

/**
 * Runs until SIGTERM or SIGINT, then stops taking work, lets running jobs finish, closes connections
 * and exits 0. A second signal exits at once.
 */
export function closeOnSignal(log: Logger, close: () => Promise<void>): void {
  let closing = false;
  const stop = (signal: string) => {
    if (closing) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    closing = true;
    log.info({ signal }, 'stopping: finishing running jobs');
    close()
      .then(() => {
        log.info('stopped');
        process.exit(0);
      })
      .catch((err: Error) => {
        log.error({ err: err.message }, 'error while stopping');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
