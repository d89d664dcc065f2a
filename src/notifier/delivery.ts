import type { Logger } from '../log.ts';
import { scrubAlertText } from './scrub.ts';

/** One way out for alerts (a webhook, Slack). `deliver` throws SinkFailure when it did not arrive. */
export interface Sink<M> {
  readonly name: string;
  deliver(message: M, signal: AbortSignal): Promise<void>;
}

export class SinkFailure extends Error {
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SinkFailure';
    this.retryable = retryable;
  }
}

export interface DeliveryOptions {
  /** Messages waiting per sink; beyond it the oldest is dropped (and counted). */
  maxQueue: number;
  /** Per request: a sink that does not answer in time counts as a failed attempt. */
  timeoutMs: number;
  /** Attempts per message, with exponential backoff and jitter between them. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Requests in flight at once per sink. */
  concurrency: number;
}

export interface DeliveryStats {
  delivered: number;
  failed: number;
  dropped: number;
  retries: number;
  queued: number;
}

interface Item<M> {
  message: M;
  attempt: number;
  notBefore: number;
}

/**
 * A bounded in-memory queue in front of one sink, worked in the background: `push` never waits and
 * never throws, so an unreachable or hanging sink costs the caller nothing. Each sink has its own
 * queue, so sinks fail independently; a message being retried does not hold back the others.
 */
export class SinkQueue<M> {
  readonly #sink: Sink<M>;
  readonly #o: DeliveryOptions;
  readonly #log: Logger;
  readonly #items: Item<M>[] = [];
  readonly #stats = { delivered: 0, failed: 0, dropped: 0, retries: 0 };
  readonly #stop = new AbortController();
  #inFlight = 0;
  #wake: NodeJS.Timeout | null = null;
  #idleWaiters: (() => void)[] = [];

  constructor(sink: Sink<M>, opts: DeliveryOptions, log: Logger) {
    this.#sink = sink;
    this.#o = opts;
    this.#log = log;
  }

  get name(): string {
    return this.#sink.name;
  }

  push(message: M): void {
    if (this.#stop.signal.aborted) return;
    if (this.#items.length >= this.#o.maxQueue) {
      this.#items.shift();
      this.#stats.dropped++;
      this.#log.warn({ sink: this.name }, 'alert sink is backed up: dropped its oldest alert');
    }
    this.#items.push({ message, attempt: 0, notBefore: 0 });
    this.#pump();
  }

  stats(): DeliveryStats {
    return { ...this.#stats, queued: this.#items.length + this.#inFlight };
  }

  /**
   * Resolves when nothing is queued or in flight, or after `timeoutMs`; with `retryNow`, messages
   * waiting out a backoff are tried at once.
   */
  async drain(timeoutMs: number, retryNow = true): Promise<void> {
    if (retryNow) for (const it of this.#items) it.notBefore = 0;
    this.#pump();
    if (this.#isIdle()) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, timeoutMs);
      t.unref();
      this.#idleWaiters.push(done);
      function done() {
        clearTimeout(t);
        resolve();
      }
    });
  }

  /** Aborts requests in flight and forgets what is queued. */
  close(): void {
    this.#stop.abort();
    if (this.#wake) clearTimeout(this.#wake);
    this.#stats.dropped += this.#items.length;
    this.#items.length = 0;
    this.#notifyIdle();
  }

  #isIdle(): boolean {
    return this.#items.length === 0 && this.#inFlight === 0;
  }

  #notifyIdle(): void {
    if (!this.#isIdle() && !this.#stop.signal.aborted) return;
    const w = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const f of w) f();
  }

  #pump(): void {
    if (this.#wake) clearTimeout(this.#wake);
    this.#wake = null;
    const now = Date.now();
    while (this.#inFlight < this.#o.concurrency) {
      const i = this.#items.findIndex((it) => it.notBefore <= now);
      if (i < 0) break;
      const [item] = this.#items.splice(i, 1);
      this.#run(item!);
    }
    if (this.#items.length && this.#inFlight < this.#o.concurrency) {
      const next = Math.min(...this.#items.map((it) => it.notBefore));
      this.#wake = setTimeout(() => this.#pump(), Math.max(0, next - now));
      this.#wake.unref();
    }
    this.#notifyIdle();
  }

  #run(item: Item<M>): void {
    this.#inFlight++;
    item.attempt++;
    const signal = AbortSignal.any([this.#stop.signal, AbortSignal.timeout(this.#o.timeoutMs)]);
    this.#sink
      .deliver(item.message, signal)
      .then(
        () => {
          this.#stats.delivered++;
        },
        (err: unknown) => this.#failed(item, err, signal),
      )
      .finally(() => {
        this.#inFlight--;
        this.#pump();
      });
  }

  #failed(item: Item<M>, err: unknown, signal: AbortSignal): void {
    if (this.#stop.signal.aborted) return;
    const timedOut = signal.aborted;
    const retryable = timedOut || !(err instanceof SinkFailure) || err.retryable;
    const why = scrubAlertText(
      timedOut ? `no answer within ${this.#o.timeoutMs} ms` : (err as Error).message,
    );
    if (retryable && item.attempt < this.#o.attempts) {
      const backoff = Math.min(this.#o.maxDelayMs, this.#o.baseDelayMs * 2 ** (item.attempt - 1));
      item.notBefore = Date.now() + backoff / 2 + Math.random() * (backoff / 2);
      this.#items.push(item);
      this.#stats.retries++;
      this.#log.debug({ sink: this.name, attempt: item.attempt, err: why }, 'alert sink failed; will retry');
      return;
    }
    this.#stats.failed++;
    this.#log.warn({ sink: this.name, attempts: item.attempt, err: why }, 'alert could not be delivered');
  }
}
