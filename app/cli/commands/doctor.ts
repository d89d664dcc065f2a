import { access, constants, mkdir } from 'node:fs/promises';
import { Command } from 'commander';
import { loadConfig, usesSimulator } from '../../../src/config/index.ts';
import { migrationStatus } from '../../../src/db/migrate.ts';
import { checkDatabase, createPool, describeDatabaseUrl } from '../../../src/db/pool.ts';
import { redactUrl } from '../../../src/redact.ts';
import { checkRedis } from '../../../src/redis.ts';

interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

/** Checks every dependency and says what is wrong; exits 1 when anything is. */
export async function runDoctor(env: NodeJS.ProcessEnv = process.env): Promise<Check[]> {
  const config = loadConfig(env);
  const checks: Check[] = [];
  const redis = await checkRedis(config.REDIS_URL);
  checks.push({
    name: 'redis',
    ok: redis.ok,
    detail: redis.ok
      ? `Redis ${redis.version} at ${redactUrl(config.REDIS_URL)}`
      : `${redactUrl(config.REDIS_URL)}: ${redis.error}`,
  });
  const pool = createPool(config.DATABASE_URL, { max: 1, applicationName: 'pleiades-doctor' });
  try {
    const db = await checkDatabase(pool);
    const where = describeDatabaseUrl(config.DATABASE_URL);
    checks.push({
      name: 'postgres',
      ok: db.ok,
      detail: db.ok ? `PostgreSQL ${db.version} at ${where}` : `${where}: ${db.error}`,
    });
    if (db.ok) {
      const m = await migrationStatus(pool);
      const ok = m.applied === m.latest;
      const detail =
        m.applied > m.latest
          ? `database at migration ${m.applied}, newer than this code (${m.latest}): upgrade Pleiades`
          : ok
            ? `at migration ${m.applied} (latest)`
            : `${m.pending.length} pending (database at ${m.applied}, code at ${m.latest}): run pleiades migrate`;
      checks.push({ name: 'migrations', ok, detail });
    } else checks.push({ name: 'migrations', ok: false, detail: 'unknown: PostgreSQL is unreachable' });
  } finally {
    await pool.end();
  }
  if (config.VAULT_PROVIDER === 'local') {
    try {
      await mkdir(config.VAULT_DIR, { recursive: true });
      await access(config.VAULT_DIR, constants.W_OK);
      checks.push({ name: 'vault', ok: true, detail: `local directory ${config.VAULT_DIR} is writable` });
    } catch (err) {
      checks.push({
        name: 'vault',
        ok: false,
        detail: `local directory ${config.VAULT_DIR}: ${(err as Error).message}`,
      });
    }
  } else
    checks.push({
      name: 'vault',
      ok: true,
      detail: `provider ${config.VAULT_PROVIDER} (checked on first flush)`,
    });
  const pools = config.YOUTUBE_API_KEY_POOL_JSON;
  checks.push({
    name: 'youtube',
    ok: true,
    detail: usesSimulator(config)
      ? 'no key pool set: the built-in YouTube simulator is used'
      : `key pools: ${Object.entries(pools ?? {})
          .map(([n, k]) => `${n} (${k.length} keys)`)
          .join(', ')}`,
  });
  return checks;
}

export function doctorCommand(): Command {
  return new Command('doctor')
    .description('check Redis, Postgres, migrations, vault and keys')
    .action(async () => {
      const checks = await runDoctor();
      for (const c of checks)
        process.stdout.write(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name.padEnd(10)} ${c.detail}\n`);
      const bad = checks.filter((c) => !c.ok);
      if (bad.length) {
        process.stdout.write(`\n${bad.length} problem(s): ${bad.map((c) => c.name).join(', ')}\n`);
        process.exitCode = 1;
      }
    });
}
