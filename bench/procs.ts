import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SimulatorStats } from '@pleiades/youtube-simulator';
import type { Redis } from 'ioredis';
import { createRedis, deleteKeysWithPrefix } from '../src/redis.ts';

const ROOT = new URL('..', import.meta.url).pathname;

export type Proc = ChildProcess & { output(): string };

/** A `pleiades` CLI process (Node 24, the project's own entry point), its output kept for errors. */
export function spawnCli(args: string[], env: Record<string, string>): Proc {
  const child = spawn(process.execPath, ['app/cli/main.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, LOG_FORMAT: 'json', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return Object.assign(child, { output: () => out });
}

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Stops a process with SIGTERM (its graceful path) and waits; SIGKILL after `graceMs`. */
export async function stop(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited(child);
  clearTimeout(timer);
}

/** Peak resident set (VmHWM) and current one (VmRSS) of a live process, in bytes, from /proc. */
export function memoryOf(pid: number): { hwm: number; rss: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { hwm: kb('VmHWM') * 1024, rss: kb('VmRSS') * 1024 };
}

/** CPU seconds (user + system) a live process has used so far, from /proc/PID/stat. */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[11] utime, fields[12] stime (after pid and comm), in clock ticks (100 a second on Linux)
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

type ServerRole = 'postgres' | 'redis';
const ROLE_NAMES: Record<string, ServerRole> = { postgres: 'postgres', 'redis-server': 'redis' };

/** CPU seconds so far of every Postgres and Redis server process on the machine, by role. */
export function serverCpu(): Record<ServerRole, number> {
  const out = { postgres: 0, redis: 0 };
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      const role = ROLE_NAMES[comm];
      if (role) out[role] += cpuSecondsOf(Number(pid));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

export interface SimulatorProcess {
  url: string;
  keys: string[];
  proc: Proc;
  stats(): Promise<SimulatorStats>;
  close(): Promise<void>;
}

/**
 * The simulator in a child process of its own, started through the CLI as a user would:
 * `pleiades simulator --port 0 --keys-file F --units-quota N`. Its world is the default one (seed 42,
 * history ending at the UTC midnight before it started): `new World(42, {}, now)` in this process
 * names the same videos.
 */
export async function startSimulatorProcess(opts: {
  keys: number;
  unitsQuota: number;
  searchQuota?: number;
  /** `--latency`: YouTube's answer times per method, or none (the default). */
  latency?: 'youtube' | 'off';
}): Promise<SimulatorProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'pleiades-bench-keys-'));
  const keys = Array.from({ length: opts.keys }, () => `AIzaBench${randomBytes(20).toString('hex')}`);
  const keysFile = join(dir, 'keys.json');
  writeFileSync(keysFile, JSON.stringify(keys), { mode: 0o600 });
  chmodSync(keysFile, 0o600);
  const proc = spawnCli(
    [
      'simulator',
      '--port',
      '0',
      '--keys-file',
      keysFile,
      '--units-quota',
      String(opts.unitsQuota),
      ...(opts.searchQuota !== undefined ? ['--search-quota', String(opts.searchQuota)] : []),
      ...(opts.latency ? ['--latency', opts.latency] : []),
    ],
    { SIMULATOR_SPEED: '1', SIMULATOR_SEED: '42', YOUTUBE_API_KEY_POOL_JSON: '' },
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`simulator did not start: ${proc.output()}`)), 30_000);
    const look = () => {
      const m = /listening at (http:\/\/\S+)/.exec(proc.output());
      if (m) {
        clearTimeout(timer);
        proc.stdout?.off('data', look);
        resolve(m[1]!);
      }
    };
    proc.stdout?.on('data', look);
    proc.once('exit', () => reject(new Error(`simulator exited: ${proc.output()}`)));
  });
  return {
    url,
    keys,
    proc,
    async stats() {
      const r = await fetch(`${url}/admin/stats`);
      return (await r.json()) as SimulatorStats;
    },
    async close() {
      await stop(proc);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Units charged per key (fingerprint) on every day in the simulator's stats, and the total. */
export function unitsCharged(s: SimulatorStats): { total: number; calls: number; quotaExceeded: number } {
  let total = 0;
  let calls = 0;
  let quotaExceeded = 0;
  for (const days of Object.values(s.keys))
    for (const d of Object.values(days)) {
      total += d.units;
      calls += d.calls['videos.list'] ?? 0;
      quotaExceeded += d.errors.quotaExceeded ?? 0;
    }
  return { total, calls, quotaExceeded };
}

/** A Redis key prefix of the benchmark's own, deleted afterwards. */
export async function benchRedis(): Promise<{
  url: string;
  prefix: string;
  redis: Redis;
  drop(): Promise<void>;
}> {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = `{bench-${randomBytes(4).toString('hex')}}`;
  const redis = createRedis(url);
  return {
    url,
    prefix,
    redis,
    async drop() {
      await deleteKeysWithPrefix(redis, prefix);
      redis.disconnect();
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const log = (msg: string) => process.stderr.write(`  ${msg}\n`);
