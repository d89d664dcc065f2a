import { DAY_MS, HOUR_MS, nextPacificMidnight, pacificDay } from './clock.ts';
import { type ApiMethod, LEGACY_SEARCH_COST, QUOTA_COST, type QuotaBucket } from './quota-costs.ts';

/**
 * Quota as YouTube counts it: per key and Pacific day, a search.list bucket and a shared bucket of
 * units (or, in the legacy model, search.list spends 100 units of the shared bucket). The ledger
 * belongs to the simulated clock: it resets when the clock passes Pacific midnight.
 */

/** The Pacific day of a moment, cached: formatting a date is the slow part of a request. */
export class PacificDays {
  #start = 0;
  #end = -1;
  #day = '';
  of(now: number): string {
    if (now >= this.#start && now < this.#end) return this.#day;
    this.#day = pacificDay(now);
    this.#end = nextPacificMidnight(now);
    // the day is 23 to 25 hours long: find its first millisecond
    let start = nextPacificMidnight(now - DAY_MS - 2 * HOUR_MS);
    while (start <= now) {
      const next = nextPacificMidnight(start);
      if (next > now) break;
      start = next;
    }
    this.#start = Math.min(start, now);
    return this.#day;
  }
  /** When the day containing the last `of()` ends. */
  get resetsAt(): number {
    return this.#end;
  }
}

export interface QuotaOptions {
  searchQuota: number;
  unitsQuota: number;
  legacy: boolean;
}

export interface Charge {
  bucket: QuotaBucket;
  cost: number;
}

interface Usage {
  day: string;
  search: number;
  units: number;
}

export class QuotaLedger {
  readonly #opts: QuotaOptions;
  readonly #usage = new Map<string, Usage>();
  constructor(opts: QuotaOptions) {
    this.#opts = opts;
  }

  /** What a call of `method` costs and from which bucket. */
  chargeFor(method: ApiMethod): Charge {
    if (method === 'search.list' && this.#opts.legacy) return { ...LEGACY_SEARCH_COST };
    return { ...QUOTA_COST[method] };
  }

  #usageOf(fp: string, day: string): Usage {
    let u = this.#usage.get(fp);
    if (!u || u.day !== day) {
      u = { day, search: 0, units: 0 };
      this.#usage.set(fp, u);
    }
    return u;
  }

  /** False when the bucket cannot pay `cost` more today: YouTube answers quotaExceeded. */
  canPay(fp: string, day: string, c: Charge): boolean {
    const u = this.#usageOf(fp, day);
    const limit = c.bucket === 'search' ? this.#opts.searchQuota : this.#opts.unitsQuota;
    return u[c.bucket] + c.cost <= limit;
  }

  pay(fp: string, day: string, c: Charge): void {
    this.#usageOf(fp, day)[c.bucket] += c.cost;
  }

  used(fp: string, day: string): { search: number; units: number } {
    const u = this.#usageOf(fp, day);
    return { search: u.search, units: u.units };
  }
}

/**
 * Per-key requests per second, counted in real time (YouTube's per-second limits are about real
 * request rates, whatever the simulated clock does): a fixed one-second window per key.
 */
export class KeyRateLimiter {
  readonly #rps: number;
  readonly #windows = new Map<string, { start: number; count: number }>();
  constructor(rps: number | undefined) {
    this.#rps = rps && rps > 0 ? rps : Number.POSITIVE_INFINITY;
  }
  /** Counts a request; false when the key is over its rate in the current second. */
  allow(fp: string, realNow: number = performance.now()): boolean {
    if (this.#rps === Number.POSITIVE_INFINITY) return true;
    let w = this.#windows.get(fp);
    if (!w || realNow - w.start >= 1000) {
      w = { start: realNow, count: 0 };
      this.#windows.set(fp, w);
    }
    w.count++;
    return w.count <= this.#rps;
  }
}
