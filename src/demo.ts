import type { Redis } from 'ioredis';
import { HOUR_MS, ScaledClock } from './clock.ts';
import { type Config, usesSimulator } from './config/index.ts';

/**
 * The living demo: when `start` runs the built-in simulator (no key pool), the whole process runs on
 * one ScaledClock, DEMO_SPEED simulated seconds per real second, so that a newcomer sees a simulated
 * day (discovery, tier changes, a Pacific-midnight quota reset, flushes and a compaction) in minutes.
 *
 * Everything that reads time takes the Clock already (tiers, Hydra's Pacific day, the simulator's
 * world, leases, the vault's flush age). What runs on real time is adjusted here:
 * - job scheduler intervals (BullMQ counts real ms) are divided by the speed, never under a second;
 *   the daily compaction cron becomes an interval of a few simulated hours (compaction is idempotent);
 * - leases are simulated durations that bound real work (a job must finish before its lease ends), so
 *   they are multiplied by the speed, and capped at LEASE_CAP_REAL_S real seconds so that a killed
 *   process's claims come back within a minute or two, as in production they come back within minutes;
 * - BullMQ retries, rate limits and lock durations stay real: they bound how fast work goes, not what
 *   it does, and Hydra's "wait until the reset" already converts simulated to real ms.
 * Real keys never run sped up: with a key pool the speed is 1 whatever DEMO_SPEED says.
 */

/** Real seconds a demo lease lasts at most. */
const LEASE_CAP_REAL_S = 120;
/** A scheduled job never runs more often than this (real ms). */
const MIN_EVERY_MS = 1000;
/** How often (simulated) the demo compacts finished days, in place of the daily cron. */
const DEMO_COMPACT_EVERY_MS = 12 * HOUR_MS;
/** At most one vault file per simulated hour in the demo (the flush age is simulated time). */
const DEMO_FLUSH_AGE_S = 3600;

/** The speed `start` runs at: DEMO_SPEED with the simulator, 1 with real keys. */
export function demoSpeed(config: Config): number {
  return usesSimulator(config) ? config.DEMO_SPEED : 1;
}

/** The settings whose simulated durations bound real work, scaled to the speed (see above). */
export function demoConfig(config: Config, speed: number): Config {
  if (speed === 1) return config;
  const lease = (s: number) => Math.round(Math.min(s, LEASE_CAP_REAL_S) * speed);
  return {
    ...config,
    TRACKER_LEASE_S: lease(config.TRACKER_LEASE_S),
    HUNTER_LEASE_S: lease(config.HUNTER_LEASE_S),
    CHANNEL_POLL_LEASE_S: lease(config.CHANNEL_POLL_LEASE_S),
    VAULT_FLUSH_INTERVAL_S: Math.min(Math.round(config.VAULT_FLUSH_INTERVAL_S * speed), DEMO_FLUSH_AGE_S),
  };
}

/** Scheduler intervals (real ms, or a cron pattern) scaled to the speed. */
export function demoSchedule<K extends string>(
  every: Partial<Record<K, number | string>>,
  speed: number,
): Partial<Record<K, number | string>> {
  if (speed === 1) return every;
  const out: Partial<Record<K, number | string>> = {};
  for (const [name, when] of Object.entries(every) as [K, number | string][]) {
    // A cron pattern is real wall-clock time: replace it by an interval on the simulated clock.
    const ms = typeof when === 'number' ? when : DEMO_COMPACT_EVERY_MS;
    out[name] = Math.max(MIN_EVERY_MS, Math.round(ms / speed));
  }
  return out;
}

/** Where the demo's simulated time is kept, so that a restart resumes it and the CLI can read it. */
export const demoClockKey = (prefix: string): string => `${prefix}:demo:clock`;

export interface DemoClockState {
  /** Simulated ms when it was saved. */
  at: number;
  /** Real ms when it was saved. */
  realAt: number;
  speed: number;
}

function parseState(raw: string | null): DemoClockState | null {
  if (!raw) return null;
  try {
    const v = JSON.parse(raw) as Partial<DemoClockState>;
    const ok = [v.at, v.realAt, v.speed].every((n) => typeof n === 'number' && Number.isFinite(n));
    return ok ? (v as DemoClockState) : null;
  } catch {
    return null;
  }
}

/** What a process that is not the demo (the CLI) knows of the demo's clock: time and speed, or null. */
export async function readDemoClock(redis: Redis, prefix: string): Promise<DemoClockState | null> {
  return parseState(await redis.get(demoClockKey(prefix)));
}

/** The demo's simulated now, from its saved state: moving while the demo runs (saved < 5 s ago). */
export function demoNow(s: DemoClockState, realNow = Date.now()): number {
  const age = realNow - s.realAt;
  return age >= 0 && age < 5000 ? s.at + Math.floor(age * s.speed) : s.at;
}

export interface DemoClock {
  clock: ScaledClock;
  speed: number;
  stop(): Promise<void>;
}

/**
 * The demo's clock. It resumes where the last demo stopped when that is later than now (a clock
 * never runs backwards: the database holds schedules in simulated time), and writes its position to
 * Redis every second.
 */
export async function startDemoClock(redis: Redis, prefix: string, speed: number): Promise<DemoClock> {
  const saved = await readDemoClock(redis, prefix);
  const clock = new ScaledClock({ speed, start: Math.max(Date.now(), saved?.at ?? 0) });
  const save = () =>
    redis.set(demoClockKey(prefix), JSON.stringify({ at: clock.now(), realAt: Date.now(), speed }));
  await save();
  const timer = setInterval(() => {
    save().catch(() => {});
  }, 1000);
  timer.unref();
  return {
    clock,
    speed,
    async stop() {
      clearInterval(timer);
      await save().catch(() => {});
    },
  };
}
