import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server, Socket } from 'node:net';
import type { SimulatorStats, World } from '@pleiades/youtube-simulator';
import { addToWatchlist } from '../../src/dao/watchlist.ts';
import type { Pool } from '../../src/db/pool.ts';
import type { VaultProvider } from '../../src/vault/index.ts';
import { readParquetRows } from '../../src/vault/parquet.ts';

/**
 * What the reliability tests measure outcomes with: the watchlist they start from, what reached
 * staging and the vault, and what the simulator itself served.
 */

/** Puts `n` videos of the simulated world published between `fromMs` and `toMs` on the watchlist, due now. */
export async function watchWorldVideos(
  pool: Pool,
  world: World,
  now: number,
  n: number,
  fromMs: number,
  toMs: number,
): Promise<string[]> {
  const ids = world.videoIdsPublishedBetween(fromMs, toMs, n);
  if (ids.length !== n) throw new Error(`the world has ${ids.length} videos in that range, not ${n}`);
  await addToWatchlist(
    pool,
    ids.map((id) => ({ id, publishedAt: world.publishedAt(world.indexOf(id)) })),
    now,
  );
  return ids;
}

/** Staged snapshots: rows, distinct videos, and the most snapshots any one video has. */
export async function stagedCounts(
  pool: Pool,
): Promise<{ rows: number; videos: number; maxPerVideo: number }> {
  const r = await pool.query(
    `SELECT count(*)::int AS rows, count(DISTINCT video_id)::int AS videos,
            coalesce(max(n), 0)::int AS max
     FROM staging LEFT JOIN (SELECT video_id AS v, count(*) AS n FROM staging GROUP BY video_id) c ON c.v = video_id`,
  );
  const x = r.rows[0];
  return { rows: x.rows, videos: x.videos, maxPerVideo: x.max };
}

/**
 * The simulator's own record of one method: requests that reached the key checks, and of those how
 * many were answered 200 (every error is counted by reason, and only this method is assumed called).
 */
export function served(
  stats: SimulatorStats,
  method: string,
): { calls: number; ok: number; errors: Record<string, number> } {
  let calls = 0;
  let failed = 0;
  const errors: Record<string, number> = {};
  for (const days of Object.values(stats.keys))
    for (const d of Object.values(days)) {
      calls += d.calls[method] ?? 0;
      for (const [reason, n] of Object.entries(d.errors)) {
        failed += n;
        errors[reason] = (errors[reason] ?? 0) + n;
      }
    }
  return { calls, ok: calls - failed, errors };
}

/** Every metrics row in the vault, read back from its Parquet files with hyparquet. */
export async function vaultMetrics(
  provider: VaultProvider,
): Promise<{ video_id: string; due_at: unknown }[]> {
  const rows: { video_id: string; due_at: unknown }[] = [];
  for (const f of await provider.list('metrics/'))
    if (f.key.endsWith('.parquet'))
      rows.push(
        ...((await readParquetRows(await provider.read(f.key))) as { video_id: string; due_at: unknown }[]),
      );
  return rows;
}

/**
 * A TCP proxy in front of a server (Postgres here). `cut()` destroys every open connection and
 * refuses new ones until `restore()`: to the clients it looks like the server went away and came back.
 */
export interface CuttableProxy {
  port: number;
  url(target: string): string;
  /** Connections accepted so far (a client that reconnects shows up here). */
  accepted(): number;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startCuttableProxy(
  targetPort: number,
  targetHost = '127.0.0.1',
): Promise<CuttableProxy> {
  const open = new Set<Socket>();
  let down = false;
  let accepted = 0;
  const server: Server = createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    accepted++;
    const upstream = new Socket();
    open.add(client);
    open.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    upstream.connect(targetPort, targetHost, () => {
      client.pipe(upstream);
      upstream.pipe(client);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url(target) {
      const u = new URL(target);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    accepted: () => accepted,
    cut() {
      down = true;
      for (const s of open) s.destroy();
      open.clear();
    },
    restore() {
      down = false;
    },
    async close() {
      down = true;
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A Redis server of the test's own (`redis-server` from the PATH) with AOF persistence in `dir`, so
 * that it can be stopped and started again like a production Redis on a volume.
 */
export interface OwnRedis {
  url: string;
  start(): Promise<void>;
  /** SIGTERM: Redis finishes writing its AOF and exits, as on a restart. */
  stop(): Promise<void>;
  output(): string;
}

export function ownRedis(dir: string, port: number): OwnRedis {
  let child: ChildProcess | null = null;
  let out = '';
  return {
    url: `redis://127.0.0.1:${port}`,
    output: () => out,
    start: () =>
      new Promise<void>((resolve, reject) => {
        const args = ['--port', String(port), '--bind', '127.0.0.1', '--appendonly', 'yes'];
        args.push('--appendfsync', 'everysec', '--save', '', '--dir', dir, '--daemonize', 'no');
        const c = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
        child = c;
        const onData = (d: Buffer) => {
          out = (out + d).slice(-10_000);
          if (out.includes('Ready to accept connections')) resolve();
        };
        c.stdout.on('data', onData);
        c.stderr.on('data', onData);
        c.once('error', reject);
        c.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${out}`)));
      }),
    stop: async () => {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const gone = new Promise<void>((resolve) => c.once('exit', () => resolve()));
      c.kill('SIGTERM');
      await gone;
      child = null;
    },
  };
}
