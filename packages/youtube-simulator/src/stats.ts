/**
 * What the simulator served, per key fingerprint and Pacific day: how tests prove quota behaviour.
 * Keys are named only by fingerprint; a full key never enters these records.
 */

export interface KeyDayStats {
  /** Requests per API method (search.list, videos.list…) that reached the key checks, errors included. */
  calls: Record<string, number>;
  /** Units charged to the shared bucket. */
  units: number;
  /** Calls charged to the search.list bucket. */
  searchCalls: number;
  /** Error responses by reason (quotaExceeded, keyInvalid, rateLimitExceeded, backendError…). */
  errors: Record<string, number>;
}

export interface SimulatorStats {
  /** fingerprint → Pacific day (YYYY-MM-DD) → counts. */
  keys: Record<string, Record<string, KeyDayStats>>;
  /** Every request to /youtube/v3/, with or without a key. */
  requests: number;
  /** Every error served, by reason, keyed or not. */
  errors: Record<string, number>;
  /** The simulated clock's Pacific day when the stats were read. */
  day: string;
  now: string;
}

export class StatsRecorder {
  #keys = new Map<string, Map<string, KeyDayStats>>();
  #requests = 0;
  #errors = new Map<string, number>();

  #entry(fp: string, day: string): KeyDayStats {
    let days = this.#keys.get(fp);
    if (!days) {
      days = new Map();
      this.#keys.set(fp, days);
    }
    let e = days.get(day);
    if (!e) {
      e = { calls: {}, units: 0, searchCalls: 0, errors: {} };
      days.set(day, e);
    }
    return e;
  }

  request(): void {
    this.#requests++;
  }

  call(fp: string, day: string, method: string): void {
    const e = this.#entry(fp, day);
    e.calls[method] = (e.calls[method] ?? 0) + 1;
  }

  charge(fp: string, day: string, bucket: 'search' | 'units', cost: number): void {
    const e = this.#entry(fp, day);
    if (bucket === 'search') e.searchCalls += cost;
    else e.units += cost;
  }

  error(reason: string, fp?: string, day?: string): void {
    this.#errors.set(reason, (this.#errors.get(reason) ?? 0) + 1);
    if (fp && day) {
      const e = this.#entry(fp, day);
      e.errors[reason] = (e.errors[reason] ?? 0) + 1;
    }
  }

  snapshot(day: string, now: number): SimulatorStats {
    const keys: SimulatorStats['keys'] = {};
    for (const [fp, days] of this.#keys) {
      keys[fp] = {};
      for (const [d, e] of days)
        keys[fp][d] = {
          calls: { ...e.calls },
          units: e.units,
          searchCalls: e.searchCalls,
          errors: { ...e.errors },
        };
    }
    return {
      keys,
      requests: this.#requests,
      errors: Object.fromEntries(this.#errors),
      day,
      now: new Date(now).toISOString(),
    };
  }

  reset(): void {
    this.#keys = new Map();
    this.#requests = 0;
    this.#errors = new Map();
  }
}
