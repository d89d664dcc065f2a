import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../log.ts';
import { type Sink, SinkFailure } from './delivery.ts';
import type { AlertLevel, Dispatch } from './throttle.ts';

/**
 * The bodies the sinks receive (documented in docs/events.md) and the sinks themselves. Every
 * Dispatch reaching here is already scrubbed.
 */

/** `NOTIFY_WEBHOOK_URL` receives this as a JSON POST. */
export interface WebhookBody {
  source: 'pleiades';
  version: 1;
  level: AlertLevel;
  message: string;
  dedupeKey: string;
  /** How many identical alerts this one stands for (1 unless some were folded by the throttle). */
  count: number;
  /** True for the end-of-window summary of an alert already sent in that window. */
  repeat: boolean;
  firstAt: string;
  lastAt: string;
  sentAt: string;
  host: string;
  metadata: Record<string, unknown>;
}

export function webhookBody(d: Dispatch, now: number): WebhookBody {
  return {
    source: 'pleiades',
    version: 1,
    level: d.level,
    message: d.message,
    dedupeKey: d.dedupeKey,
    count: d.count,
    repeat: d.repeat,
    firstAt: new Date(d.firstAt).toISOString(),
    lastAt: new Date(d.lastAt).toISOString(),
    sentAt: new Date(now).toISOString(),
    host: hostname(),
    metadata: d.metadata,
  };
}

const EMOJI: Record<AlertLevel, string> = {
  info: ':information_source:',
  warning: ':warning:',
  error: ':x:',
  critical: ':rotating_light:',
};

/** Slack's mrkdwn treats &, < and > as control characters. */
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export interface SlackBody {
  text: string;
  blocks: Record<string, unknown>[];
}

/** `NOTIFY_SLACK_WEBHOOK_URL` (a Slack incoming webhook) receives `{text, blocks}`. */
export function slackBody(d: Dispatch): SlackBody {
  const times = d.count > 1 ? ` (×${d.count})` : '';
  const level = `[${d.level.toUpperCase()}]`;
  const text = `${EMOJI[d.level]} ${level} ${esc(d.message)}${times}`;
  const meta = JSON.stringify(d.metadata, null, 1);
  const blocks: Record<string, unknown>[] = [
    {
      type: 'section',
      text: { type: 'mrkdwn', text: `${EMOJI[d.level]} *${level}* ${esc(d.message)}${times}` },
    },
  ];
  if (meta && meta !== '{}')
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `\`\`\`${esc(meta.length > 2800 ? `${meta.slice(0, 2800)}…` : meta)}\`\`\``,
      },
    });
  const when =
    d.count > 1
      ? `${d.count} occurrences, ${new Date(d.firstAt).toISOString()} to ${new Date(d.lastAt).toISOString()}`
      : new Date(d.firstAt).toISOString();
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: esc([`pleiades on ${hostname()}`, d.dedupeKey, when].filter(Boolean).join(' · ')),
      },
    ],
  });
  return { text, blocks };
}

/**
 * One id per alert, the same on every attempt. Delivery is at least once: an attempt that times out
 * after the receiver took the request (a slow receiver, a loaded machine) is sent again, and the
 * receiver gets it twice. The `Idempotency-Key` header lets it drop the second copy.
 */
const deliveryIds = new WeakMap<Dispatch, string>();
export function deliveryId(d: Dispatch): string {
  const id = deliveryIds.get(d) ?? randomUUID();
  deliveryIds.set(d, id);
  return id;
}

/** A JSON POST to a URL; 5xx, 429 and network errors are retried, other 4xx are not. */
export function httpSink(
  name: string,
  url: string,
  body: (d: Dispatch) => unknown,
  fetchFn: typeof fetch,
): Sink<Dispatch> {
  return {
    name,
    async deliver(d, signal) {
      let res: Response;
      try {
        res = await fetchFn(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'pleiades-notifier',
            'idempotency-key': deliveryId(d),
          },
          body: JSON.stringify(body(d)),
          signal,
        });
      } catch (err) {
        // The URL itself may be a secret (Slack's is): never quote it.
        throw new SinkFailure(`${name}: ${(err as Error).name}: request failed`, true, { cause: err });
      }
      await res.arrayBuffer().catch(() => {});
      if (res.ok) return;
      throw new SinkFailure(`${name}: HTTP ${res.status}`, res.status >= 500 || res.status === 429);
    },
  };
}

const LOG_METHOD: Record<AlertLevel, 'info' | 'warn' | 'error' | 'fatal'> = {
  info: 'info',
  warning: 'warn',
  error: 'error',
  critical: 'fatal',
};

/** Always on: the alert as one log line. */
export function logAlert(log: Logger, d: Dispatch): void {
  log[LOG_METHOD[d.level]](
    {
      alert: {
        level: d.level,
        dedupeKey: d.dedupeKey,
        count: d.count,
        repeat: d.repeat,
        metadata: d.metadata,
      },
    },
    d.message,
  );
}
