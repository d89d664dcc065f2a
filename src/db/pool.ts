import pg from 'pg';
import { DatabaseError } from '../errors/index.ts';
import { redactUrl } from '../redact.ts';

export type Pool = pg.Pool;
export type Queryable = Pick<pg.PoolClient, 'query'>;

// int8 arrives as a string by default; video ids are int8 and must stay exact, so they are BigInt.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => BigInt(v));

export interface PoolOptions {
  max?: number;
  applicationName?: string;
}

/** TLS follows the URL: `sslmode=require|verify-full` (pg reads it) for managed Postgres. */
export function createPool(databaseUrl: string, opts: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: opts.max ?? 10,
    application_name: opts.applicationName ?? 'pleiades',
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    // TCP keep-alive: a connection dropped by a failover, a proxy or NAT in front of managed Postgres
    // is detected (and the client discarded) instead of hanging the next query.
    keepAlive: true,
    keepAliveInitialDelayMillis: 30_000,
  });
  // An idle client that loses its connection emits here; without a listener the process would crash.
  pool.on('error', () => {});
  // A checked-out client has no listener of the pool's: a connection lost between two statements of a
  // transaction would be an unhandled 'error' event, and the process would crash. With this one the
  // next statement fails instead, and release() discards the broken client.
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

export async function checkDatabase(
  pool: pg.Pool,
): Promise<{ ok: true; version: string } | { ok: false; error: string }> {
  try {
    const r = await pool.query<{ v: string }>('SELECT current_setting($1) AS v', ['server_version']);
    return { ok: true, version: r.rows[0]!.v };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

/** Runs `fn` in a transaction; commits when it resolves, rolls back when it throws. */
export async function withTransaction<T>(pool: pg.Pool, fn: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/** `fn` in a transaction when `needed`, else straight on the pool (work that is one statement then). */
export function maybeTransaction<T>(
  pool: pg.Pool,
  needed: boolean,
  fn: (db: Queryable) => Promise<T>,
): Promise<T> {
  return needed ? withTransaction(pool, fn) : fn(pool);
}

export function describeDatabaseUrl(url: string): string {
  return redactUrl(url);
}

export function wrapDbError(what: string, err: unknown): DatabaseError {
  return new DatabaseError(`${what}: ${(err as Error).message}`, { cause: err });
}
