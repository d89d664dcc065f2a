import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Simulator, startSimulator } from '@pleiades/youtube-simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueues, QUEUE_NAMES, type QueueSet } from '../queues/index.ts';
import { readParquetRows } from '../src/vault/parquet.ts';
import { dumpPrefix } from './fixtures/hydra-scan.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { type FakeHf, startFakeHf } from './helpers/fake-hf.ts';
import { exited, waitFor } from './helpers/processes.ts';
import { createTestRedis, type TestRedis } from './helpers/redis.ts';

/**
 * A short run of the whole system (`pleiades start`: hunter, tracker, vault on a Hugging Face–like
 * Hub, dashboard, alerts to a webhook) with known test secrets — API keys (one of them invalid, so
 * that Hydra disables it and alerts), the Hub token, the dashboard token, a database password and a
 * webhook token. Then every place a secret could end up is searched for each of them: the logs, every
 * Redis key and value under the prefix (job data included), a pg_dump of the database (pg-boss's
 * tables included), the vault files (decompressed), the dashboard's and CLI's answers, the alerts
 * delivered and the simulator's records. None is found.
 */

const KEYS = ['AIzaSyS3cr3tTestKeyNumberOne00000000', 'AIzaSyS3cr3tTestKeyNumberTwo00000000'];
const INVALID_KEY = 'AIzaSyS3cr3tTestKeyRevokedByGoogle00';
const HF_TOKEN = 'hf_S3cr3tTestTokenForTheVaultUpload01';
const DASHBOARD_TOKEN = 'dash-S3cr3t-token-0123456789abcdef';
const DB_PASSWORD = 'pgS3cr3tPassw0rd';
const HOOK_TOKEN = 'hookS3cr3tToken42';
const SECRETS = [...KEYS, INVALID_KEY, HF_TOKEN, DASHBOARD_TOKEN, DB_PASSWORD, HOOK_TOKEN];
const DATASET = 'pleiades/secrets-test';

let db: TestDatabase;
let redis: TestRedis;
let sim: Simulator;
let hf: FakeHf;
let hook: Server;
let hookUrl: string;
const delivered: string[] = [];
let queues: QueueSet;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  db = await createTestDatabase();
  redis = await createTestRedis();
  dir = mkdtempSync(join(tmpdir(), 'pleiades-secrets-'));
  sim = await startSimulator({
    keys: KEYS,
    world: { videosPerDay: 5000, historyDays: 10 },
  });
  hf = await startFakeHf({ repo: DATASET, token: HF_TOKEN });
  hook = createServer((req, res) => {
    // The body only: the URL carries the webhook's own token, as configured.
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      delivered.push(body);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alerts?token=${HOOK_TOKEN}`;
  const dbUrl = new URL(db.url);
  dbUrl.username = 'postgres';
  dbUrl.password = DB_PASSWORD; // the local server trusts: the password is carried, never checked
  env = {
    DATABASE_URL: dbUrl.toString(),
    REDIS_URL: redis.url,
    REDIS_PREFIX: redis.prefix,
    YOUTUBE_API_KEY_POOL_JSON: JSON.stringify({ hunting: [INVALID_KEY, KEYS[0]], tracking: KEYS }),
    YOUTUBE_API_ROOT: sim.url,
    VAULT_PROVIDER: 'huggingface',
    HF_DATASET_ID: DATASET,
    HF_TOKEN,
    HF_ENDPOINT: hf.url,
    VAULT_DIR: join(dir, 'vault'),
    VAULT_FLUSH_ROWS: '100',
    VAULT_FLUSH_INTERVAL_S: '1',
    DASHBOARD_TOKEN,
    PORT: '0',
    NOTIFY_WEBHOOK_URL: hookUrl,
    NOTIFY_THROTTLE_S: '0',
    SEED_QUERIES: sim.world.popularWords(2).join(','),
    HUNTER_DISPATCH_EVERY_S: '1',
    HUNTER_MAX_PAGES: '1',
    TRACKER_DISPATCH_EVERY_S: '1',
    PAINTER_EVERY_S: '2',
    SCRIBE_EVERY_S: '2',
    LOG_LEVEL: 'debug',
    LOG_FORMAT: 'json',
  };
  queues = createQueues({ redisUrl: redis.url, prefix: redis.prefix });
});
afterAll(async () => {
  await queues?.close();
  await new Promise<void>((resolve) => hook?.close(() => resolve()));
  await hf?.close();
  await sim?.close();
  await redis?.cleanup();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

/** A `pleiades` process whose whole output is kept (spawnPleiades keeps only the tail). */
function pleiades(args: string[]): ChildProcess & { all: () => string } {
  const child = spawn(process.execPath, ['app/cli/main.ts', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: string[] = [];
  child.stdout?.on('data', (d) => chunks.push(String(d)));
  child.stderr?.on('data', (d) => chunks.push(String(d)));
  return Object.assign(child, { all: () => chunks.join('') });
}

async function run(args: string[]): Promise<string> {
  const c = pleiades(args);
  await exited(c);
  return c.all();
}

const found = (where: string, text: string): string[] =>
  SECRETS.filter((s) => text.includes(s)).map((s) => `${where}: ${s.slice(0, 8)}…`);

describe('secrets', () => {
  it('appear nowhere after a run of the whole system', async () => {
    const start = pleiades(['start']);
    const texts: [string, string][] = [];
    try {
      // Running: discovered, tracked, flushed to the Hub; the revoked key met and disabled.
      const dashboardUrl = await waitFor(
        'the dashboard',
        async () => /"dashboard":"(http:[^"]+)"/.exec(start.all())?.[1],
        30_000,
      );
      await waitFor(
        'videos tracked and flushed to the Hub, the revoked key disabled',
        async () => {
          const flushed = [...hf.files.keys()].some(
            (k) => k.startsWith('metrics/') && k.endsWith('.parquet'),
          );
          const r = await db.pool.query(
            `SELECT (SELECT count(*) FROM videos)::int AS v, (SELECT count(*) FROM vault_flushes WHERE finished_at IS NOT NULL AND kind = 'metrics')::int AS f`,
          );
          return flushed && r.rows[0].v > 0 && r.rows[0].f > 0 && /the key is disabled/.test(start.all());
        },
        45_000,
      );
      // What people and programs read: the dashboard's API and metrics, the CLI.
      for (const path of ['/api/keys', '/api/stats', '/api/queues', '/api/health', '/metrics', '/']) {
        const r = await fetch(`${dashboardUrl}${path}`, {
          headers: { authorization: `Bearer ${DASHBOARD_TOKEN}` },
        });
        expect(r.status, path).toBeLessThan(500);
        const headers: string[] = [];
        r.headers.forEach((v, k) => {
          headers.push(`${k}: ${v}`);
        });
        texts.push([`dashboard ${path}`, `${headers.join('\n')}\n${await r.text()}`]);
      }
      const denied = await fetch(`${dashboardUrl}/api/keys`);
      texts.push(['dashboard without token', await denied.text()]);
      for (const args of [['keys', '--json'], ['keys'], ['queues', '--json'], ['doctor']])
        texts.push([`pleiades ${args.join(' ')}`, await run(args)]);
    } finally {
      start.kill('SIGTERM');
    }
    expect(await exited(start), start.all().slice(-3000)).toBe(0);
    texts.push(['logs of pleiades start', start.all()]);
    expect(start.all()).toContain('"level"');

    texts.push(['redis', (await dumpPrefix(redis.redis, redis.prefix)).join('\n')]);
    for (const name of QUEUE_NAMES) {
      const jobs = await queues
        .get(name)
        .getJobs(['completed', 'failed', 'waiting', 'delayed', 'active', 'prioritized']);
      texts.push([
        `jobs of ${name}`,
        JSON.stringify(jobs.map((j) => [j.data, j.returnvalue, j.failedReason, j.stacktrace, j.opts])),
      ]);
    }
    const dump = execFileSync('pg_dump', ['--no-owner', db.url], {
      maxBuffer: 512 * 1024 * 1024,
      encoding: 'utf8',
    });
    expect(dump).toContain('COPY public.staging');
    texts.push(['pg_dump', dump]);

    let parquet = 0;
    for (const [path, content] of hf.files) {
      texts.push([`vault ${path} (raw)`, content.toString('latin1')]);
      if (path.endsWith('.parquet')) {
        parquet++;
        const rows = await readParquetRows(content);
        texts.push([
          `vault ${path} (rows)`,
          JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? String(v) : v)),
        ]);
      }
    }
    expect(parquet).toBeGreaterThan(0);
    texts.push(['alerts delivered', delivered.join('\n')]);
    texts.push(['simulator records', JSON.stringify(sim.stats())]);

    // The places searched hold what they should: keys by fingerprint, the events, the alert sent.
    expect(texts.find(([w]) => w === 'redis')![1]).toMatch(/k_[0-9a-f]{12}/);
    expect(dump).toContain('COPY pgboss.');
    expect(delivered.length).toBeGreaterThan(0);
    expect(texts.flatMap(([where, text]) => found(where, text))).toEqual([]);
  });
});
