import pg from 'pg';
import { migrate } from '../src/db/migrate.ts';
import { createPool, type Pool } from '../src/db/pool.ts';
import { installEventsSchema } from '../src/events/index.ts';

export interface BenchDatabase {
  name: string;
  url: string;
  pool: Pool;
  drop(): Promise<void>;
}

/**
 * Every database of this bench process ends with this: two benches on one server (two worktrees, a
 * CI job beside a developer) never drop each other's databases.
 */
const RUN_SUFFIX = `_${process.pid.toString(36)}${Math.floor(Math.random() * 36 ** 3).toString(36)}`;
const unique = (name: string) => (name.endsWith(RUN_SUFFIX) ? name : `${name}${RUN_SUFFIX}`);

function urls(name: string): { admin: string; url: string } {
  const server = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres');
  const admin = new URL(server);
  admin.pathname = '/postgres';
  const url = new URL(server);
  url.pathname = `/${name}`;
  return { admin: admin.toString(), url: url.toString() };
}

async function adminQuery(sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: urls('postgres').admin });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

function open(name: string, max: number): BenchDatabase {
  const { url } = urls(name);
  const pool = createPool(url, { max });
  return {
    name,
    url,
    pool,
    async drop() {
      await pool.end();
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/**
 * A scratch database of the benchmark's own on the configured server, dropped afterwards; `events`
 * also installs the events bus's schema, as `pleiades migrate` does (worker processes need it).
 */
export async function benchDatabase(
  name: string,
  opts: { max?: number; events?: boolean } = {},
): Promise<BenchDatabase> {
  name = unique(name);
  await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await adminQuery(`CREATE DATABASE ${name}`);
  const db = open(name, opts.max ?? 8);
  await migrate(db.pool);
  if (opts.events) await installEventsSchema(db.url);
  return db;
}

/**
 * A copy of `template` (which must have no open connection: end its pool first), so several runs
 * start from the same filled database without filling it again.
 */
export async function cloneDatabase(template: string, name: string, opts: { max?: number } = {}) {
  name = unique(name);
  await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await adminQuery(`CREATE DATABASE ${name} TEMPLATE ${template} STRATEGY FILE_COPY`);
  return open(name, opts.max ?? 8);
}

/** Drops a database by name (a template whose pool is already closed). */
export const dropDatabase = (name: string): Promise<void> =>
  adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
