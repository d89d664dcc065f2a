import type { AgentDeps } from './deps.ts';

/**
 * Emits an event that raises an alert (job.failed_permanently, vault.flush_failed). When the bus
 * cannot take it (Postgres down, the bus stopping) the alert is lost, so it is at least logged at
 * error level, with the event and its payload, for whoever reads the logs.
 */
export async function emitOrLog(
  deps: Pick<AgentDeps, 'emit' | 'log'>,
  event: string,
  payload: Record<string, unknown>,
): Promise<void> {
  try {
    await deps.emit(event, [payload]);
  } catch (err) {
    deps.log.error(
      { event, payload, err: (err as Error).message },
      `could not emit ${event}: the alert it raises is lost`,
    );
  }
}
