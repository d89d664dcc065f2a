import { type ChildProcess, spawn } from 'node:child_process';

/** A real `pleiades` process (Node 24, the project's CLI), its output kept for the failure message. */
export function spawnPleiades(
  args: string[],
  env: Record<string, string>,
): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, ['app/cli/main.ts', ...args], {
    env: { ...process.env, LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out = (out + d).slice(-20_000);
  });
  child.stderr?.on('data', (d) => {
    out = (out + d).slice(-20_000);
  });
  return Object.assign(child, { output: () => out });
}

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The environment of a real `pleiades worker` (or `start`) process in a test: the test's database,
 * Redis prefix and vault, the simulator's URL and keys, and short BullMQ locks so that a killed
 * worker's jobs are taken over within seconds.
 */
export function workerProcessEnv(o: {
  databaseUrl: string;
  redisUrl: string;
  prefix: string;
  vaultDir: string;
  keys: string[];
  simulatorUrl: string;
  lockMs?: number;
  concurrency?: number;
}): Record<string, string> {
  return {
    DATABASE_URL: o.databaseUrl,
    REDIS_URL: o.redisUrl,
    REDIS_PREFIX: o.prefix,
    VAULT_DIR: o.vaultDir,
    YOUTUBE_API_KEY_POOL_JSON: JSON.stringify(o.keys),
    YOUTUBE_API_ROOT: o.simulatorUrl,
    WORKER_LOCK_MS: String(o.lockMs ?? 5000),
    WORKER_STALLED_INTERVAL_MS: '1000',
    ...(o.concurrency ? { WORKER_CONCURRENCY: String(o.concurrency) } : {}),
    LOG_LEVEL: 'warn',
  };
}
