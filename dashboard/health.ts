import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { scrubText } from '../src/redact.ts';
import type { DashboardDeps } from './deps.ts';

/**
 * GET /api/health: one check per dependency. `down` (Redis, Postgres or the vault unreachable, or
 * every key disabled) makes the answer 503; `degraded` (every key spent until the quota resets) does
 * not, since the system is working as designed and resumes by itself.
 */

export type CheckStatus = 'ok' | 'degraded' | 'down' | 'unknown';

export interface Check {
  status: CheckStatus;
  detail: string;
  latencyMs: number;
}

export interface HealthReport {
  status: 'ok' | 'degraded' | 'down';
  checks: { redis: Check; postgres: Check; vault: Check; keys: Check };
}

const TIMEOUT_MS = 2000;

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

async function timed(
  what: string,
  f: () => Promise<{ status: CheckStatus; detail: string }>,
): Promise<Check> {
  const t0 = performance.now();
  try {
    const r = await withTimeout(f(), what);
    return { ...r, latencyMs: Math.round(performance.now() - t0) };
  } catch (err) {
    return {
      status: 'down',
      detail: scrubText((err as Error).message || String(err)),
      latencyMs: Math.round(performance.now() - t0),
    };
  }
}

/** A local vault directory that does not exist yet is fine if it can be created. */
async function writableDir(dir: string): Promise<string> {
  let d = resolve(dir);
  for (;;) {
    try {
      await access(d, constants.W_OK);
      return d === resolve(dir) ? `${dir} is writable` : `${dir} will be created (${d} is writable)`;
    } catch (err) {
      const parent = dirname(d);
      if ((err as { code?: string }).code !== 'ENOENT' || parent === d) throw err;
      d = parent;
    }
  }
}

export async function checkHealth(deps: DashboardDeps): Promise<HealthReport> {
  const { redis, pool, config, vault, hydra } = deps;
  const [r, p, v, k] = await Promise.all([
    timed('Redis', async () => {
      const pong = await redis.ping();
      return { status: pong === 'PONG' ? 'ok' : 'down', detail: pong };
    }),
    timed('PostgreSQL', async () => {
      await pool.query('SELECT 1');
      return { status: 'ok', detail: 'SELECT 1 answered' };
    }),
    timed('the vault', async () => {
      const where = vault?.describe?.() ?? config.VAULT_PROVIDER;
      // Listing the files (cached by the vault for a minute) proves the provider answers.
      const bytes = vault ? await vault.sizeBytes() : null;
      const size = bytes === null ? '' : ` (${bytes} bytes)`;
      if (config.VAULT_PROVIDER === 'local')
        return { status: 'ok', detail: `${await writableDir(config.VAULT_DIR)}${size}` };
      if (bytes === null) return { status: 'unknown', detail: `${where}: checked on flush` };
      return { status: 'ok', detail: `${where} answered${size}` };
    }),
    timed('Hydra', async () => {
      if (!hydra) return { status: 'unknown', detail: 'key state is not available in this process' };
      const keys = await hydra.keys();
      if (keys.length === 0) return { status: 'down', detail: 'no API key configured' };
      const count = (s: string) => keys.filter((x) => x.state === s).length;
      const usable = keys.length - count('disabled') - count('exhausted');
      const detail = `${keys.length} keys: ${usable} usable, ${count('cooling')} cooling, ${count('exhausted')} spent, ${count('disabled')} disabled`;
      if (count('disabled') === keys.length) return { status: 'down', detail };
      if (usable === 0) return { status: 'degraded', detail };
      return { status: 'ok', detail };
    }),
  ]);
  const checks = { redis: r, postgres: p, vault: v, keys: k };
  const all = Object.values(checks).map((c) => c.status);
  const status = all.includes('down') ? 'down' : all.includes('degraded') ? 'degraded' : 'ok';
  return { status, checks };
}
