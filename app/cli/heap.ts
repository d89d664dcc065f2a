/**
 * V8 heap sizing for the roles that run agents, set by the CLI itself so that `pleiades worker`,
 * `npm start`, the image and the Kubernetes manifests all get it without anyone remembering a flag.
 *
 * Measured (docs/architecture.md, "Memory"): V8 sizes the young generation from the machine's memory
 * (128 MB of new space on an 8 GB machine), which is most of a tracker worker's 250–400 MB RSS. A
 * worker's live data is a few tens of MB, so bounded semi-spaces save over 100 MB. How small is a
 * trade of CPU for memory: a tracker job's garbage (an answer, its rows, its statements) outlives a
 * 2 MB semi-space often enough to be promoted and marked, while 8 MB lets most of it die young
 * (bench/tracker.ts at 2 / 4 / 8 / 16 MB, 2 workers, 100,000 videos: worker CPU 97 / 88 / 77 / 75 µs
 * per video, VmHWM 123 / 126 / 130 / 146 MB). This module is the CLI's first import: when a flag is missing it replaces the process
 * (same pid: tini, the kubelet and signal handling see no difference) with one that has it, before
 * any other module is loaded. A flag given in NODE_OPTIONS or on the command line wins.
 *
 * The new process also gets Node's compile cache (./compile-cache.ts) unless NODE_COMPILE_CACHE is set
 * (the image sets it to a cache baked at build time): warm, it spares a worker the ~18 MB of Node's
 * TypeScript stripper; and MALLOC_ARENA_MAX (HEAP_ENV). A role re-executes for those alone when its
 * flags are all given already; a variable set by hand wins.
 */
import process from 'node:process';
import { compileCacheEnv } from './compile-cache.ts';

/**
 * Flags per role (the CLI's first argument). A worker also caps its old space: without a cap V8 lets
 * it grow to ~65 MB for ~45 MB of live data; 128 MB leaves room for a vault flush's 50,000 rows.
 * `start` (everything in one process, the simulator's world included) keeps V8's old-space default.
 */
export const HEAP_FLAGS: Record<string, string[]> = {
  worker: ['--max-semi-space-size=8', '--max-old-space-size=128'],
  scheduler: ['--max-semi-space-size=2'],
  start: ['--max-semi-space-size=2'],
};

/**
 * Environment of those roles, read by glibc when the process starts. glibc gives each thread that
 * allocates its own malloc arena (up to 8 per core), and Node's V8 and libuv threads each keep
 * freed memory in theirs: two arenas hold a tracker worker's peak 4–6 MB lower (quick tracker bench,
 * 132–136 → 128–130 MB), with the same CPU seconds.
 */
export const HEAP_ENV: Record<string, string> = { MALLOC_ARENA_MAX: '2' };

/** The variables of HEAP_ENV and the compile cache that `env` does not set already. */
export function missingHeapEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = compileCacheEnv(env);
  for (const [k, v] of Object.entries(HEAP_ENV)) if (!env[k]) out[k] = v;
  return out;
}

const flagName = (f: string) => f.replace(/^--/, '').split('=')[0]!.replaceAll('_', '-');

/** The flags of `role` that neither NODE_OPTIONS nor the command line sets already. */
export function missingHeapFlags(role: string | undefined, given: string[]): string[] {
  const have = new Set(given.filter((a) => a.startsWith('--')).map(flagName));
  return (HEAP_FLAGS[role ?? ''] ?? []).filter((f) => !have.has(flagName(f)));
}

const role = process.argv.slice(2).find((a) => !a.startsWith('-'));
const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
// Help and version output need no heap: no re-execution for them.
const quick = process.argv.some((a) => a === '--help' || a === '-h' || a === '--version' || a === '-V');
const add = quick ? [] : missingHeapFlags(role, given);
const env = quick || !HEAP_FLAGS[role ?? ''] ? {} : missingHeapEnv(process.env);
// PLEIADES_HEAP_SET guards against a loop should a flag not stick; execve is missing off Linux/macOS.
if (
  (add.length || Object.keys(env).length) &&
  !process.env.PLEIADES_HEAP_SET &&
  typeof process.execve === 'function'
) {
  process.execve(
    process.execPath,
    [process.execPath, ...add, ...process.execArgv, ...process.argv.slice(1)],
    { ...process.env, ...env, PLEIADES_HEAP_SET: '1' },
  );
}
