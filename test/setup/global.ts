import { execSync } from 'node:child_process';
import pg from 'pg';
import { migrate } from '../../src/db/migrate.ts';
import { createPool } from '../../src/db/pool.ts';
import { installEventsSchema } from '../../src/events/index.ts';
import { checkRedis } from '../../src/redis.ts';
import { databaseUrl, templateDb, testRedisUrl } from '../helpers/env.ts';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const hasDocker = (): boolean => {
  try {
    execSync('docker info', { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
};

async function postgresReachable(): Promise<string | null> {
  const c = new pg.Client({ connectionString: databaseUrl('postgres'), connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await c.end().catch(() => {});
  }
}

/**
 * Makes sure Postgres and Redis answer (starting containers when they do not and Docker exists), then
 * builds the template database every test file clones.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const stops: (() => Promise<unknown>)[] = [];
  const pgError = await postgresReachable();
  const redis = await checkRedis(testRedisUrl());
  if (pgError || !redis.ok) {
    if (!hasDocker())
      throw new Error(
        [
          'the tests need PostgreSQL and Redis.',
          pgError ? `  PostgreSQL at ${databaseUrl('postgres')}: ${pgError}` : '',
          redis.ok ? '' : `  Redis at ${testRedisUrl()}: ${redis.error}`,
          'Start them (see .ci/run for the commands this machine uses), or set DATABASE_URL / REDIS_URL,',
          'or install Docker so the tests can start them with testcontainers.',
        ]
          .filter(Boolean)
          .join('\n'),
      );
    if (pgError) {
      const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
      const c = await new PostgreSqlContainer('postgres:16-alpine')
        .withUsername('postgres')
        .withPassword('postgres')
        .start();
      process.env.DATABASE_URL = c.getConnectionUri();
      stops.push(() => c.stop());
    }
    if (!redis.ok) {
      const { RedisContainer } = await import('@testcontainers/redis');
      const c = await new RedisContainer('redis:7-alpine').start();
      process.env.REDIS_URL = `${c.getConnectionUrl()}/1`;
      stops.push(() => c.stop());
    }
  }
  // Several test runs may share one server (developers in parallel): each run has its own template and
  // databases, named after the run (pleiades_test_<pid>_<time>_…), and removes them at the end. Leftovers
  // of runs whose process is gone (crashed, killed) are dropped here.
  const run = `${process.pid.toString(36)}_${Date.now().toString(36)}`;
  process.env.PLEIADES_TEST_RUN = run;
  const admin = new pg.Client({ connectionString: databaseUrl('postgres') });
  await admin.connect();
  const stale = await admin.query<{ datname: string }>(
    `SELECT datname FROM pg_database WHERE datname LIKE 'pleiades_test_%'`,
  );
  for (const { datname } of stale.rows) {
    const pid = Number.parseInt(datname.split('_')[2] ?? '', 36);
    if (Number.isFinite(pid) && pid > 0 && processAlive(pid)) continue;
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(datname)} WITH (FORCE)`).catch(() => {});
  }
  await admin.query(`CREATE DATABASE ${templateDb()}`);
  const pool = createPool(databaseUrl(templateDb()), { max: 1 });
  await migrate(pool);
  await pool.end();
  await installEventsSchema(databaseUrl(templateDb()));
  await admin.end();
  return async () => {
    const a = new pg.Client({ connectionString: databaseUrl('postgres') });
    await a.connect();
    const mine = await a.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [
      `pleiades_test_${run}%`,
    ]);
    for (const { datname } of mine.rows)
      await a.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(datname)} WITH (FORCE)`);
    await a.end();
    for (const stop of stops) await stop();
  };
}
