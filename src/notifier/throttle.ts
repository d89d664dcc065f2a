import type { Clock } from '../clock.ts';

export type AlertLevel = 'info' | 'warning' | 'error' | 'critical';
export const ALERT_LEVELS: readonly AlertLevel[] = ['info', 'warning', 'error', 'critical'];

export interface Alert {
  level: AlertLevel;
  message: string;
  metadata: Record<string, unknown>;
  dedupeKey: string;
}

/** What reaches the sinks: one alert standing for `count` identical ones. */
export interface Dispatch extends Alert {
  /** How many identical alerts (level + message + dedupe key) this one stands for. */
  count: number;
  /** When the first and the last of them were raised (ms since the epoch). */
  firstAt: number;
  lastAt: number;
  /** True for the summary sent at the end of a window in which the alert had already been sent. */
  repeat: boolean;
}

interface Entry {
  alert: Alert;
  windowEnd: number;
  pending: number;
  pendingFirstAt: number;
  lastAt: number;
  sent: boolean;
  timer: NodeJS.Timeout | null;
}

/**
 * Throttle and dedupe. The first alert of a key opens a window of `windowMs`; it is sent after
 * `groupWaitMs` (so that a burst arrives as one alert with its count) and the identical alerts
 * raised later in the window are folded into one summary sent when the window ends, which opens
 * the next window. So a key reaches the sinks at most once per window, and no occurrence goes
 * uncounted. Timers are unref'd: pending alerts never keep a process alive (`flush` sends them).
 */
export class Throttle {
  readonly #entries = new Map<string, Entry>();
  readonly #windowMs: number;
  readonly #groupWaitMs: number;
  readonly #clock: Clock;
  readonly #dispatch: (d: Dispatch) => void;

  constructor(opts: {
    windowMs: number;
    groupWaitMs: number;
    clock: Clock;
    dispatch: (d: Dispatch) => void;
  }) {
    this.#windowMs = opts.windowMs;
    this.#groupWaitMs = opts.groupWaitMs;
    this.#clock = opts.clock;
    this.#dispatch = opts.dispatch;
  }

  offer(alert: Alert): void {
    const now = this.#clock.now();
    if (this.#windowMs <= 0) {
      this.#dispatch({ ...alert, count: 1, firstAt: now, lastAt: now, repeat: false });
      return;
    }
    const key = JSON.stringify([alert.level, alert.message, alert.dedupeKey]);
    const e = this.#entries.get(key);
    if (!e || now >= e.windowEnd) {
      if (e) this.#send(e);
      if (this.#entries.size >= 10_000) this.#prune(now);
      const fresh: Entry = {
        alert,
        windowEnd: now + this.#windowMs,
        pending: 1,
        pendingFirstAt: now,
        lastAt: now,
        sent: false,
        timer: null,
      };
      fresh.timer = this.#timer(() => this.#send(fresh), this.#groupWaitMs);
      this.#entries.set(key, fresh);
      return;
    }
    if (e.pending === 0) e.pendingFirstAt = now;
    e.pending++;
    e.lastAt = now;
    // Already sent in this window: the rest is summarised when the window ends.
    if (e.sent && !e.timer)
      e.timer = this.#timer(() => {
        const had = e.pending > 0;
        this.#send(e);
        if (had) e.windowEnd = this.#clock.now() + this.#windowMs;
      }, e.windowEnd - now);
  }

  /** Sends every pending alert and summary now. */
  flush(): void {
    for (const e of this.#entries.values()) this.#send(e);
  }

  /** Alerts raised but not yet handed to the sinks. */
  get pending(): number {
    let n = 0;
    for (const e of this.#entries.values()) n += e.pending;
    return n;
  }

  #send(e: Entry): void {
    if (e.timer) clearTimeout(e.timer);
    e.timer = null;
    if (e.pending === 0) return;
    const d: Dispatch = {
      ...e.alert,
      count: e.pending,
      firstAt: e.pendingFirstAt,
      lastAt: e.lastAt,
      repeat: e.sent,
    };
    e.pending = 0;
    e.sent = true;
    this.#dispatch(d);
  }

  #timer(fn: () => void, ms: number): NodeJS.Timeout {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref();
    return t;
  }

  #prune(now: number): void {
    for (const [k, e] of this.#entries)
      if (e.pending === 0 && !e.timer && now >= e.windowEnd) this.#entries.delete(k);
  }
}
