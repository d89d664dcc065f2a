import type { DeliveryStats } from './delivery.ts';
import type { AlertLevel } from './throttle.ts';

/** What raises alerts: the alert rules (rules.ts) and the processes hold one (created in index.ts). */
export interface Notifier {
  /**
   * Raises an alert. Returns at once and never throws: delivery happens in the background. The
   * same level + message + dedupe key is sent at most once per NOTIFY_THROTTLE_S, with a count.
   * Keep `message` stable (counts and ids go in `metadata`), or every alert is a new one.
   */
  send(level: AlertLevel, message: string, metadata?: object, opts?: { dedupeKey?: string }): void;
  /** Sends what the throttle holds now and waits (at most `timeoutMs`) for the sinks to finish. */
  flush(timeoutMs?: number): Promise<void>;
  /** `flush`, then drops whatever is still undelivered. */
  stop(timeoutMs?: number): Promise<void>;
  /** Names of the sinks alerts go to (`log` always). */
  readonly sinks: string[];
  stats(): Record<string, DeliveryStats> & { pending: number };
}
