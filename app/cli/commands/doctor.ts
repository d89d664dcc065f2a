import { Command } from 'commander';
import { loadConfig, usesSimulator } from '../../../src/config/index.ts';
import { migrationStatus } from '../../../src/db/migrate.ts';
import { checkDatabase, createPool, describeDatabaseUrl } from '../../../src/db/pool.ts';
import { redactUrl } from '../../../src/redact.ts';
import { checkRedis, describeRedisTarget, redisTarget } from '../../../src/redis.ts';
import { providerFromConfig } from '../../../src/vault/index.ts';
import { createYouTubeClient } from '../../../src/youtube/client.ts';
import { checkKeys, KEY_PROBE } from '../../../src/youtube/key-check.ts';

interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

/** Checks every dependency and says what is wrong; exits 1 when anything is. */
export async function runDoctor(env: NodeJS.ProcessEnv = process.env): Promise<Check[]> {
  const config = loadConfig(env);
  const checks: Check[] = [];
  const target = redisTarget(config);
  const redis = await checkRedis(target);
  // A cluster or sentinel set is named by its addresses; one node by its URL without the password.
  const where =
    target.clusterNodes || target.sentinels ? describeRedisTarget(target) : redactUrl(config.REDIS_URL);
  checks.push({
    name: 'redis',
    ok: redis.ok,
    detail: redis.ok ? `Redis ${redis.version} at ${where}` : `${where}: ${redis.error}`,
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
  try {
    // No library retries: the doctor reports what it sees now, not after two minutes of backoff.
    const detail = await providerFromConfig(config, { maxRetries: 0 }).probe();
    checks.push({ name: 'vault', ok: true, detail });
  } catch (err) {
    checks.push({ name: 'vault', ok: false, detail: (err as Error).message });
  }
  const pools = config.YOUTUBE_API_KEY_POOL_JSON;
  if (!pools || usesSimulator(config))
    checks.push({
      name: 'youtube',
      ok: true,
      detail: 'no key pool set: the built-in YouTube simulator is used',
    });
  else {
    const yt = createYouTubeClient({
      timeoutMs: config.YOUTUBE_TIMEOUT_MS,
      ...(config.YOUTUBE_API_ROOT ? { rootUrl: config.YOUTUBE_API_ROOT } : {}),
    });
    const keys = await checkKeys(pools, yt);
    const bad = keys.filter((k) => !k.ok);
    checks.push({
      name: 'youtube',
      ok: bad.length === 0,
      detail:
        `${keys.length - bad.length} of ${keys.length} keys valid (${KEY_PROBE.method}, ` +
        `${KEY_PROBE.cost.cost} unit of the ${KEY_PROBE.cost.bucket} bucket a key)` +
        bad.map((k) => `; key ${k.fingerprint} (pool ${k.pool}): ${k.detail}`).join(''),
    });
  }
  return checks;
}

export function doctorCommand(): Command {
  return new Command('doctor')
    .description(
      'check Redis, Postgres, migrations, the vault (one authenticated list) and every key (one call each)',
    )
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
