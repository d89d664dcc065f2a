import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { DatabaseError, SchemaTooNewError } from '../errors/index.ts';
import type { Logger } from '../log.ts';

export const SQL_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'sql');

/** Any 64-bit number unique to this purpose: replicas that migrate at once queue on it. */
const MIGRATION_LOCK = 0x706c6569616465n; // "pleiade"

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** `sql/NNN_name.sql`, in order. Files are append-only: an applied file is never edited. */
export function loadMigrations(dir = SQL_DIR): Migration[] {
  const out: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    const m = /^(\d{3,})_([\w-]+)\.sql$/.exec(file);
    if (!m) continue;
    out.push({ version: Number(m[1]), name: m[2]!, sql: readFileSync(join(dir, file), 'utf8') });
  }
  out.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new DatabaseError(`migration ${m.version}_${m.name}: expected number ${i + 1}`);
  });
  return out;
}

/** Creates the database of `url` when it does not exist (connecting to `postgres` to do so). */
export async function ensureDatabase(url: string): Promise<boolean> {
  const u = new URL(url);
  const name = decodeURIComponent(u.pathname.slice(1));
  if (!name) return false;
  const probe = new pg.Client({ connectionString: url });
  try {
    await probe.connect();
    return false;
  } catch (err) {
    if ((err as { code?: string }).code !== '3D000') throw err;
  } finally {
    await probe.end().catch(() => {});
  }
  u.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: u.toString() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } catch (err) {
    if ((err as { code?: string }).code !== '42P04') throw err; // created by another replica meanwhile
  } finally {
    await admin.end();
  }
  return true;
}

export interface MigrationStatus {
  applied: number;
  latest: number;
  pending: Migration[];
}

export async function migrationStatus(
  pool: pg.Pool,
  migrations = loadMigrations(),
): Promise<MigrationStatus> {
  const exists = await pool.query(`SELECT to_regclass('public.schema_migrations') AS t`);
  let applied = 0;
  if (exists.rows[0].t) {
    const r = await pool.query<{ v: number | null }>('SELECT max(version)::int AS v FROM schema_migrations');
    applied = r.rows[0]!.v ?? 0;
  }
  const latest = migrations.length;
  return { applied, latest, pending: migrations.filter((m) => m.version > applied) };
}

/**
 * Applies pending migrations, each in its own transaction, under an advisory lock so that several
 * replicas can run it at once. Refuses to run when the database is newer than the code.
 */
export async function migrate(pool: pg.Pool, log?: Logger, migrations = loadMigrations()): Promise<number[]> {
  const client = await pool.connect();
  const done: number[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const r = await client.query<{ version: number }>(
      'SELECT version FROM schema_migrations ORDER BY version',
    );
    const applied = new Set(r.rows.map((x) => x.version));
    const newest = Math.max(0, ...applied);
    if (newest > migrations.length)
      throw new SchemaTooNewError(
        `the database is at migration ${newest} but this code knows only ${migrations.length}: upgrade Pleiades`,
      );
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
          m.version,
          m.name,
        ]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw new DatabaseError(`migration ${m.version}_${m.name} failed: ${(err as Error).message}`, {
          cause: err,
        });
      }
      log?.info({ migration: `${m.version}_${m.name}` }, 'applied migration');
      done.push(m.version);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
    client.release();
  }
  return done;
}
