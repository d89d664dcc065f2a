import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem, type } from 'node:os';
import pg from 'pg';
import { z } from 'zod';
import { loadConfig } from '../src/config/index.ts';
import { createRedis } from '../src/redis.ts';
import { type Figure, gateHint } from './figures.ts';

/**
 * The committed record of the benchmarks (bench/results.json): the last full run and the last quick
 * run, each with the machine it ran on, the commit, the date, its duration and every figure. A full
 * `npm run bench` writes both sections (the quick one is the regression gate's baseline); the
 * quick run in CI reads it and writes nothing unless told (`--record`).
 */

export const RECORD_PATH = new URL('./results.json', import.meta.url);
/** Where a quick run that does not `--record` leaves its figures (ignored by git). */
export const LAST_RUN_PATH = new URL('./last-run.json', import.meta.url);

/** The gate's margin: a figure more than 30% worse than the record (after the machine's speed). */
export const GATE_MARGIN = 0.3;

const figureSchema = z.object({
  name: z.string().min(1),
  value: z.number().finite(),
  unit: z.string(),
  goal: z.string(),
  ok: z.boolean().optional(),
  how: z.string(),
  headline: z.boolean().optional(),
  gate: z
    .object({
      better: z.enum(['higher', 'lower', 'none']).optional(),
      scale: z.enum(['rate', 'time', 'fixed']).optional(),
      slack: z.number().min(0).optional(),
    })
    .optional(),
});

const machineSchema = z.object({
  cores: z.number().int().positive(),
  cpu: z.string(),
  memoryGB: z.number().positive(),
  os: z.string(),
  node: z.string(),
  redis: z.object({ version: z.string(), persistence: z.string() }),
  postgres: z.object({ version: z.string(), persistence: z.string() }),
  /** The 1-minute load average when the run started: the machine may be shared. */
  loadAtStart: z.number().min(0),
});

const runSchema = z.object({
  kind: z.enum(['full', 'quick']),
  /** Set when the run was smaller than the one its kind names, and how. */
  note: z.string().optional(),
  commit: z.string(),
  dirty: z.boolean(),
  date: z.string(),
  seconds: z.number().min(0),
  machine: machineSchema,
  /** The shipped settings the headline figures ran at. */
  settings: z.record(z.string(), z.union([z.string(), z.number()])),
  figures: z.array(figureSchema),
});

export const recordSchema = z.object({ full: runSchema.optional(), quick: runSchema.optional() }).strict();

export type Machine = z.infer<typeof machineSchema>;
export type RunRecord = z.infer<typeof runSchema>;
export type BenchRecord = z.infer<typeof recordSchema>;

export function readRecord(path: URL | string = RECORD_PATH): BenchRecord {
  if (!existsSync(path)) return {};
  const r = recordSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!r.success)
    throw new Error(
      `${String(path)}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return r.data;
}

export function writeRecord(record: BenchRecord, path: URL | string = RECORD_PATH): void {
  writeFileSync(path, `${JSON.stringify(record, null, 2)}\n`);
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: new URL('..', import.meta.url), encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

/** The commit measured, and whether the tree had changes not in it (results.json aside). */
export function commitOf(): { commit: string; dirty: boolean } {
  const status = git(['status', '--porcelain', '--untracked-files=no'])
    .split('\n')
    .filter((l) => l && !l.endsWith('bench/results.json') && !/(README\.md|docs\/.*\.md)$/.test(l));
  return { commit: git(['rev-parse', '--short=12', 'HEAD']) || 'unknown', dirty: status.length > 0 };
}

function osName(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (m) return `${m[1]} (${type()} ${release()})`;
  } catch {
    // not Linux
  }
  return `${type()} ${release()}`;
}

async function redisInfo(url: string): Promise<Machine['redis']> {
  const redis = createRedis(url);
  try {
    const info = await redis.info('server');
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
    let persistence = 'unknown (CONFIG GET refused)';
    try {
      const save = (await redis.config('GET', 'save')) as string[];
      const aof = (await redis.config('GET', 'appendonly')) as string[];
      const fsync = (await redis.config('GET', 'appendfsync')) as string[];
      persistence = `appendonly ${aof[1]}${aof[1] === 'yes' ? ` (appendfsync ${fsync[1]})` : ''}, save "${save[1]}"`;
    } catch {
      // managed Redis may refuse CONFIG
    }
    return { version, persistence };
  } finally {
    redis.disconnect();
  }
}

async function postgresInfo(url: string): Promise<Machine['postgres']> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const r = await client.query<{ name: string; setting: string }>(
      `SELECT name, setting FROM pg_settings
       WHERE name IN ('server_version', 'fsync', 'synchronous_commit', 'full_page_writes', 'wal_level',
                      'shared_buffers', 'max_wal_size', 'checkpoint_timeout')`,
    );
    const s = Object.fromEntries(r.rows.map((x) => [x.name, x.setting]));
    const { server_version: version = 'unknown', ...rest } = s;
    return {
      version,
      persistence: Object.entries(rest)
        .map(([k, v]) => `${k}=${v}`)
        .join(', '),
    };
  } finally {
    await client.end();
  }
}

/** The machine a run measures: cores, memory, OS, Node, and the Redis and Postgres it talks to. */
export async function describeMachine(): Promise<Machine> {
  const config = loadConfig(process.env, { dotenvPath: false });
  const admin = new URL(config.DATABASE_URL);
  admin.pathname = '/postgres';
  return {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: osName(),
    node: process.version,
    redis: await redisInfo(config.REDIS_URL),
    postgres: await postgresInfo(admin.toString()),
    loadAtStart: Math.round(loadavg()[0]! * 100) / 100,
  };
}

/** The shipped defaults (`npm start`, `pleiades worker`) that the headline figures run at. */
export function shippedSettings(): Record<string, number> {
  const c = loadConfig({}, { dotenvPath: false });
  return {
    TRACKER_DISPATCH_EVERY_S: c.TRACKER_DISPATCH_EVERY_S,
    TRACKER_MAX_BATCHES_PER_DISPATCH: c.TRACKER_MAX_BATCHES_PER_DISPATCH,
    HYDRA_KEY_RPS: c.HYDRA_KEY_RPS,
    WORKER_CONCURRENCY: c.WORKER_CONCURRENCY,
    DATABASE_POOL_MAX: c.DATABASE_POOL_MAX,
  };
}

export interface GateRow {
  name: string;
  unit: string;
  recorded: number;
  /** The recorded value carried over to this machine's speed (see `machineSpeed`). */
  expected: number;
  measured: number;
  verdict: 'ok' | 'regressed' | 'not gated' | 'missing' | 'new';
}

export interface GateResult {
  /** This run's machine speed over the record's (geometric mean of the ceiling figures' ratios). */
  speed: number;
  margin: number;
  rows: GateRow[];
  regressed: GateRow[];
}

const isCeiling = (f: Figure) => f.name.startsWith('ceiling:');

/**
 * How fast this run's machine is against the recorded one's: the geometric mean, over the "ceiling:"
 * figures both have (what this Redis, this Postgres and this CPU do with no Pleiades code in the
 * way), of measured ÷ recorded. 1 when there is none in common.
 */
export function machineSpeed(recorded: Figure[], measured: Figure[]): number {
  const old = new Map(recorded.filter(isCeiling).map((f) => [f.name, f.value]));
  const logs = measured
    .filter((f) => isCeiling(f) && (old.get(f.name) ?? 0) > 0 && f.value > 0)
    .map((f) => Math.log(f.value / old.get(f.name)!));
  return logs.length ? Math.exp(logs.reduce((a, b) => a + b, 0) / logs.length) : 1;
}

/**
 * The regression gate: each measured figure against the recorded one of the same name, as a ratio to
 * the machine's speed measured in the same run (so a slower machine does not fail it). A figure
 * regresses when it is worse than expected by more than `margin` (and its slack). Figures the record
 * lacks are new; recorded ones this run lacks are missing (neither fails: a renamed or added bench
 * is re-recorded, not refused).
 */
export function gate(recorded: Figure[], measured: Figure[], margin = GATE_MARGIN): GateResult {
  const speed = machineSpeed(recorded, measured);
  const old = new Map(recorded.map((f) => [f.name, f]));
  const rows: GateRow[] = [];
  for (const f of measured) {
    const r = old.get(f.name);
    old.delete(f.name);
    if (!r) {
      rows.push({
        name: f.name,
        unit: f.unit,
        recorded: NaN,
        expected: NaN,
        measured: f.value,
        verdict: 'new',
      });
      continue;
    }
    const h = gateHint(f);
    const expected = h.scale === 'rate' ? r.value * speed : h.scale === 'time' ? r.value / speed : r.value;
    const row: GateRow = {
      name: f.name,
      unit: f.unit,
      recorded: r.value,
      expected,
      measured: f.value,
      verdict: 'ok',
    };
    if (isCeiling(f) || h.better === 'none') row.verdict = 'not gated';
    else if (h.better === 'higher' && f.value < expected * (1 - margin) - h.slack) row.verdict = 'regressed';
    else if (h.better === 'lower' && f.value > expected * (1 + margin) + h.slack) row.verdict = 'regressed';
    rows.push(row);
  }
  for (const r of old.values())
    rows.push({
      name: r.name,
      unit: r.unit,
      recorded: r.value,
      expected: r.value,
      measured: NaN,
      verdict: 'missing',
    });
  return { speed, margin, rows, regressed: rows.filter((r) => r.verdict === 'regressed') };
}

/** The gate's verdict as text, the regressed figures named first. */
export function gateReport(g: GateResult): string {
  const n = (x: number) => (Number.isNaN(x) ? '–' : Math.round(x * 100) / 100).toLocaleString('en-US');
  const lines = [
    `gate: machine speed ${g.speed.toFixed(2)}× the recorded one; margin ${Math.round(g.margin * 100)}%`,
  ];
  for (const r of g.regressed)
    lines.push(
      `REGRESSED: ${r.name}: ${n(r.measured)} ${r.unit}, recorded ${n(r.recorded)} (${n(r.expected)} expected on this machine)`,
    );
  for (const r of g.rows.filter((x) => x.verdict === 'missing' || x.verdict === 'new'))
    lines.push(`${r.verdict}: ${r.name}`);
  lines.push(
    g.regressed.length
      ? `gate: ${g.regressed.length} figure(s) regressed by more than ${Math.round(g.margin * 100)}%`
      : `gate: no figure regressed (${g.rows.filter((r) => r.verdict === 'ok').length} compared)`,
  );
  return lines.join('\n');
}
