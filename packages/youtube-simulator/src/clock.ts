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

/**
 * America/Los_Angeles without Intl. Any Intl call maps ICU's data into the process: 7 to 8 MB of RSS
 * (`node -e` of one `formatToParts` in that zone: 42.7 → 51.2 MB), which a tracker worker would carry
 * for one date a day. The US rule since 2007 (Energy Policy Act of 2005): Pacific Daylight Time
 * (UTC−7) from the second Sunday of March, 02:00 PST (10:00 UTC), to the first Sunday of November,
 * 02:00 PDT (09:00 UTC); Pacific Standard Time (UTC−8) otherwise. Earlier years had other rules and
 * are asked of Intl (quota days are today's: nothing here asks). test/clock.test.ts holds the day,
 * every change of offset (to the millisecond) and every reset to 2050 against Intl, so a change of the
 * law fails CI once Node's time zone data has it.
 */
const FIRST_RULE_YEAR = 2007;

/** Day of the month of the `nth` Sunday of `month` (0-based) in `year`. */
function nthSunday(year: number, month: number, nth: number): number {
  const weekdayOfFirst = new Date(Date.UTC(year, month, 1)).getUTCDay();
  return 1 + ((7 - weekdayOfFirst) % 7) + 7 * (nth - 1);
}

let byIntl: Intl.DateTimeFormat | undefined;
/**
 * Los Angeles' offset from UTC at `ms` as Intl's time zone data has it (in ms): for years before the
 * 2007 rule, and the reference test/clock.test.ts holds the arithmetic to.
 */
export function pacificOffsetByIntl(ms: number): number {
  byIntl ??= new Intl.DateTimeFormat('en-CA', {
    timeZone: 'America/Los_Angeles',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });
  const p: Record<string, number> = {};
  for (const x of byIntl.formatToParts(ms)) if (x.type !== 'literal') p[x.type] = Number(x.value);
  const wall = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  return wall - (ms - (((ms % 1000) + 1000) % 1000));
}

/** Los Angeles' offset from UTC at `ms`, in ms (−7 or −8 hours). */
export function pacificOffsetMs(ms: number): number {
  const year = new Date(ms).getUTCFullYear();
  if (year < FIRST_RULE_YEAR) return pacificOffsetByIntl(ms);
  const dstStart = Date.UTC(year, 2, nthSunday(year, 2, 2), 10);
  const dstEnd = Date.UTC(year, 10, nthSunday(year, 10, 1), 9);
  return ms >= dstStart && ms < dstEnd ? -7 * HOUR_MS : -8 * HOUR_MS;
}

/** The YouTube quota day a moment falls in, as `YYYY-MM-DD` of America/Los_Angeles. */
export function pacificDay(ms: number): string {
  return new Date(ms + pacificOffsetMs(ms)).toISOString().slice(0, 10);
}

/** The next Pacific midnight strictly after `ms`: when YouTube resets every key's quota. */
export function nextPacificMidnight(ms: number): number {
  const wall = ms + pacificOffsetMs(ms);
  const nextWallMidnight = Math.floor(wall / DAY_MS) * DAY_MS + DAY_MS;
  // The offset changes at 02:00 wall time, never at midnight: the offset 8 hours after the wall
  // midnight (UTC, one hour late in summer) is the midnight's own.
  return nextWallMidnight - pacificOffsetMs(nextWallMidnight + 8 * HOUR_MS);
}
