import { type Clock, systemClock } from '../clock.ts';
import type { Config } from '../config/index.ts';
import type { Logger } from '../log.ts';
import { registerSecret } from '../redact.ts';
import { type DeliveryOptions, type DeliveryStats, SinkQueue } from './delivery.ts';
import type { Notifier } from './notifier.ts';
import { scrubAlertMetadata, scrubAlertText } from './scrub.ts';
import { httpSink, logAlert, slackBody, webhookBody } from './sinks.ts';
import { ALERT_LEVELS, type Dispatch, Throttle } from './throttle.ts';

export type { Notifier } from './notifier.ts';
export { installAlertRules } from './rules.ts';
export type { SlackBody, WebhookBody } from './sinks.ts';
export type { AlertLevel, Dispatch } from './throttle.ts';

export interface CreateNotifierOptions {
  config: Pick<Config, 'NOTIFY_WEBHOOK_URL' | 'NOTIFY_SLACK_WEBHOOK_URL' | 'NOTIFY_THROTTLE_S'>;
  log: Logger;
  fetch?: typeof fetch;
  clock?: Clock;
  /** How long the first alert of a key waits for identical ones to fold in (default 2 s). */
  groupWaitMs?: number;
  delivery?: Partial<DeliveryOptions>;
}

const DEFAULT_DELIVERY: DeliveryOptions = {
  maxQueue: 500,
  timeoutMs: 5_000,
  attempts: 6,
  baseDelayMs: 1_000,
  maxDelayMs: 60_000,
  concurrency: 2,
};

export function createNotifier(opts: CreateNotifierOptions): Notifier {
  const { config, log } = opts;
  const clock = opts.clock ?? systemClock;
  const fetchFn = opts.fetch ?? globalThis.fetch;
  const delivery = { ...DEFAULT_DELIVERY, ...opts.delivery };
  const queues: SinkQueue<Dispatch>[] = [];
  // Webhook URLs are credentials (Slack's is): keep them out of every log line.
  if (config.NOTIFY_WEBHOOK_URL) {
    registerSecret(config.NOTIFY_WEBHOOK_URL);
    const sink = httpSink('webhook', config.NOTIFY_WEBHOOK_URL, (d) => webhookBody(d, clock.now()), fetchFn);
    queues.push(new SinkQueue(sink, delivery, log));
  }
  if (config.NOTIFY_SLACK_WEBHOOK_URL) {
    registerSecret(config.NOTIFY_SLACK_WEBHOOK_URL);
    queues.push(
      new SinkQueue(httpSink('slack', config.NOTIFY_SLACK_WEBHOOK_URL, slackBody, fetchFn), delivery, log),
    );
  }

  const throttle = new Throttle({
    windowMs: config.NOTIFY_THROTTLE_S * 1000,
    groupWaitMs: opts.groupWaitMs ?? 2_000,
    clock,
    dispatch: (d) => {
      try {
        logAlert(log, d);
      } catch {
        // a logger that throws must not stop the other sinks
      }
      for (const q of queues) q.push(d);
    },
  });

  const drain = async (timeoutMs: number) => {
    throttle.flush();
    await Promise.all(queues.map((q) => q.drain(timeoutMs)));
  };

  return {
    sinks: ['log', ...queues.map((q) => q.name)],
    send(level, message, metadata = {}, o = {}) {
      try {
        throttle.offer({
          level: ALERT_LEVELS.includes(level) ? level : 'error',
          message: scrubAlertText(String(message)),
          metadata: scrubAlertMetadata(metadata),
          dedupeKey: scrubAlertText(o.dedupeKey ?? ''),
        });
      } catch (err) {
        log.error({ err: scrubAlertText((err as Error).message) }, 'could not raise an alert');
      }
    },
    flush: (timeoutMs = 10_000) => drain(timeoutMs),
    async stop(timeoutMs = 5_000) {
      await drain(timeoutMs);
      for (const q of queues) q.close();
    },
    stats() {
      const out: Record<string, DeliveryStats> = {};
      for (const q of queues) out[q.name] = q.stats();
      return Object.assign(out, { pending: throttle.pending });
    },
  };
}
