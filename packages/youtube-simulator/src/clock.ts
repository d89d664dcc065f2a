/**
 * The one clock of the system. Schedulers, tiers, Hydra's Pacific-day quota and the simulator all read
 * time through a Clock so that tests and demos can move time without sleeping. It lives in this
 * package (not in Pleiades) because a simulator is driven through it: a test moves one ManualClock and
 * both the simulated YouTube and the system under test see the same time. Pleiades re-exports it from
 * src/clock.ts. The Pacific quota day is YouTube's fact that the simulator models and Hydra budgets by.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to. */
export class ManualClock implements Clock {
  #t: number;
  constructor(start: number | Date = Date.now()) {
    this.#t = typeof start === 'number' ? start : start.getTime();
  }
  now(): number {
    return this.#t;
  }
  set(t: number | Date): void {
    this.#t = typeof t === 'number' ? t : t.getTime();
  }
  advance(ms: number): void {
    this.#t += ms;
  }
}

/**
 * Real time, optionally sped up and shifted. `speed` 60 makes one real second one simulated minute;
 * the clock starts at `start` (default: now) and never runs backwards.
 */
export class ScaledClock implements Clock {
  readonly #origin: number;
  readonly #start: number;
  #speed: number;
  #offset = 0;
  constructor(opts: { speed?: number; start?: number } = {}) {
    this.#origin = Date.now();
    this.#start = opts.start ?? this.#origin;
    this.#speed = opts.speed ?? 1;
  }
  now(): number {
    return Math.floor(this.#start + (Date.now() - this.#origin) * this.#speed) + this.#offset;
  }
  /** Jump forward by `ms` of simulated time. */
  advance(ms: number): void {
    if (ms < 0) throw new RangeError('a clock never runs backwards');
    this.#offset += ms;
  }
  get speed(): number {
    return this.#speed;
  }
}

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

const pacificDate = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'America/Los_Angeles',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

function pacificParts(ms: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of pacificDate.formatToParts(ms)) if (p.type !== 'literal') out[p.type] = Number(p.value);
  return out;
}

/** The YouTube quota day a moment falls in, as `YYYY-MM-DD` of America/Los_Angeles. */
export function pacificDay(ms: number): string {
  const p = pacificParts(ms);
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

/** The next Pacific midnight strictly after `ms`: when YouTube resets every key's quota. */
export function nextPacificMidnight(ms: number): number {
  const p = pacificParts(ms);
  const sinceMidnight = (((p.hour ?? 0) * 60 + (p.minute ?? 0)) * 60 + (p.second ?? 0)) * 1000 + (ms % 1000);
  // Around DST changes a day is 23 or 25 hours: step to the next day's start and correct by the offset.
  let guess = ms - sinceMidnight + DAY_MS;
  for (let i = 0; i < 3; i++) {
    const q = pacificParts(guess);
    const drift = (((q.hour ?? 0) * 60 + (q.minute ?? 0)) * 60 + (q.second ?? 0)) * 1000;
    if (drift === 0) break;
    guess += drift > 12 * HOUR_MS ? DAY_MS - drift : -drift;
  }
  return guess;
}
