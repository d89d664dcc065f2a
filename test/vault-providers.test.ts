import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Queue, QueueEvents, Worker } from 'bullmq';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, ManualClock, MINUTE_MS } from '../src/clock.ts';
import { loadConfig } from '../src/config/index.ts';
import { countStaged, insertSnapshots, type SnapshotRow } from '../src/dao/staging.ts';
import { countFlushedRows, pendingFlushes } from '../src/dao/vault-flushes.ts';
import { VaultUnavailableError } from '../src/errors/index.ts';
import { createRedis } from '../src/redis.ts';
import { CARD_KEY } from '../src/vault/card.ts';
import { createVault, type Vault } from '../src/vault/index.ts';
import { gcsProvider } from '../src/vault/providers/gcs.ts';
import { videoIdFromBits } from '../src/video-id.ts';
import { vaultFlushProcessor } from '../workers/vault-flush.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { type FakeGcs, startFakeGcs } from './helpers/fake-gcs.ts';
import { type FakeHf, startFakeHf } from './helpers/fake-hf.ts';
import { createTestRedis, type TestRedis } from './helpers/redis.ts';

const HF_TOKEN = 'hf_SuperSecretWriteToken1234567890';
const DATASET = 'pleiades-lab/youtube-snapshots';

let t: TestDatabase;
let gcs: FakeGcs;
let hf: FakeHf;
let scratch: string;
let duck: Awaited<ReturnType<DuckDBInstance['connect']>>;
const logLines: string[] = [];
const log = pino({ level: 'debug' }, { write: (s: string) => logLines.push(s) });

beforeAll(async () => {
  t = await createTestDatabase();
  gcs = await startFakeGcs();
  hf = await startFakeHf({ repo: DATASET, token: HF_TOKEN });
  scratch = await mkdtemp(join(tmpdir(), 'pleiades-vault-providers-'));
  duck = await (await DuckDBInstance.create(':memory:')).connect();
});
afterAll(async () => {
  await gcs.close();
  await hf.close();
  await rm(scratch, { recursive: true, force: true });
  await t.drop();
});

const START = Date.UTC(2026, 10, 15, 23, 30);
const snapshots = (n: number, offset = 0): SnapshotRow[] =>
  Array.from({ length: n }, (_, k) => {
    const i = k + offset;
    const dueAt = START + i * MINUTE_MS;
    return {
      videoId: videoIdFromBits(BigInt((i % 13) + 1) * 0x9e3779b97f4a7c15n),
      dueAt,
      takenAt: dueAt + 900,
      views: BigInt(i) * 1_000_003n,
      likes: i % 3 ? BigInt(i) : null,
      comments: i % 4 ? BigInt(i % 17) : null,
      tier: i % 3,
    };
  });

/** Reads files (as bytes) with DuckDB, an independent reader: sorted `video@due=views/likes/comments`. */
async function readAll(blobs: Buffer[]): Promise<string[]> {
  const paths: string[] = [];
  for (const [i, b] of blobs.entries()) {
    const p = join(scratch, `read-${Date.now()}-${i}.parquet`);
    await writeFile(p, b);
    paths.push(p);
  }
  if (paths.length === 0) return [];
  const rows = (
    await duck.runAndReadAll(
      `SELECT video_id, epoch_ms(due_at)::BIGINT AS due, views, likes, comments
       FROM read_parquet([${paths.map((p) => `'${p}'`).join(',')}])`,
    )
  ).getRowObjectsJson();
  return rows.map((r) => `${r.video_id}@${r.due}=${r.views}/${r.likes}/${r.comments}`).sort();
}
const expected = (rows: SnapshotRow[]) =>
  rows.map((s) => `${s.videoId}@${s.dueAt}=${s.views}/${s.likes}/${s.comments}`).sort();

interface Case {
  name: 'gcs' | 'huggingface';
  env: () => Record<string, string>;
  /** The stored files: key (relative to the vault root) → content. */
  stored: () => Map<string, Buffer>;
  setFailing: (on: boolean) => void;
}

const cases: Case[] = [
  {
    name: 'gcs',
    env: () => ({
      VAULT_PROVIDER: 'gcs',
      GCS_BUCKET: 'research-bucket',
      GCS_PREFIX: 'pleiades/v1',
      GCS_API_ENDPOINT: gcs.url,
    }),
    stored: () =>
      new Map(
        [...gcs.objects]
          .filter(([k]) => k.startsWith('research-bucket/pleiades/v1/'))
          .map(([k, v]) => [k.slice('research-bucket/pleiades/v1/'.length), v] as const)
          .filter(([k]) => k !== CARD_KEY), // the dataset card: test/vault-card.test.ts
      ),
    setFailing: (on) => {
      gcs.failing = on;
    },
  },
  {
    name: 'huggingface',
    env: () => ({ VAULT_PROVIDER: 'huggingface', HF_DATASET_ID: DATASET, HF_TOKEN, HF_ENDPOINT: hf.url }),
    stored: () => new Map([...hf.files].filter(([k]) => k !== CARD_KEY)),
    setFailing: (on) => {
      hf.failing = on;
    },
  },
];

for (const c of cases)
  describe(`${c.name} provider`, () => {
    let vault: Vault;
    beforeAll(async () => {
      await t.pool.query('TRUNCATE staging, vault_flushes RESTART IDENTITY');
      vault = createVault(loadConfig({ ...c.env(), VAULT_FLUSH_ROWS: '40' }, { dotenvPath: false }), log);
    });

    it('flushes, compacts and exports through the real client library', async () => {
      const clock = new ManualClock(START + 2 * DAY_MS);
      const all = snapshots(100);
      await insertSnapshots(t.pool, all.slice(0, 50));
      expect(await vault.flush(t.pool, { clock, force: true })).toMatchObject({ rows: 50 });
      await insertSnapshots(t.pool, all.slice(50));
      expect(await vault.flush(t.pool, { clock, force: true })).toMatchObject({ rows: 50 });
      expect(await countStaged(t.pool)).toBe(0);
      const keys = [...c.stored().keys()].sort();
      expect(keys).toEqual([
        'metrics/dt=2026-11-15/part-0000000000000001-0000000000000040.parquet',
        'metrics/dt=2026-11-16/part-0000000000000001-0000000000000040.parquet',
        'metrics/dt=2026-11-16/part-0000000000000041-0000000000000050.parquet',
        'metrics/dt=2026-11-16/part-0000000000000051-0000000000000090.parquet',
        'metrics/dt=2026-11-16/part-0000000000000091-0000000000000100.parquet',
      ]);
      expect(await readAll([...c.stored().values()])).toEqual(expected(all));
      expect(await vault.sizeBytes()).toBe([...c.stored().values()].reduce((n, b) => n + b.length, 0));

      const commitsBefore = hf.commits.length;
      const done = await vault.compact(t.pool, { clock });
      expect(done.map((p) => [p.day, p.inputs, p.rows])).toEqual([['2026-11-16', 4, 70]]);
      expect([...c.stored().keys()].sort()).toEqual([
        'metrics/dt=2026-11-15/part-0000000000000001-0000000000000040.parquet',
        'metrics/dt=2026-11-16/part-0000000000000001-0000000000000100.parquet',
      ]);
      if (c.name === 'huggingface') {
        // The merged file and the removal of the four parts are one commit: readers see one or the other.
        expect(hf.commits.slice(commitsBefore).filter((x) => x.summary !== 'vault: dataset card')).toEqual([
          { summary: expect.stringContaining('compact'), operations: 5 },
        ]);
      }
      expect(await readAll([...c.stored().values()])).toEqual(expected(all));
      expect(await vault.compact(t.pool, { clock })).toEqual([]); // idempotent

      const vid = all[4]!.videoId;
      const history = await vault.exportVideo(vid);
      expect(history.map((h) => h.due_at)).toEqual(all.filter((s) => s.videoId === vid).map((s) => s.dueAt));
    });

    it('an outage: flush jobs fail and retry while staging keeps everything; all lands once it is back', async () => {
      const allStored = () => (c.name === 'gcs' ? gcs.objects : hf.files);
      const before = new Set(allStored().keys());
      const clock = new ManualClock(START + 3 * DAY_MS);
      const flushedBefore = await countFlushedRows(t.pool);
      const outageVault =
        c.name === 'gcs'
          ? // Without library-level retries, so that the test does not wait for them.
            createVault(loadConfig({ ...c.env(), VAULT_FLUSH_ROWS: '40' }, { dotenvPath: false }), log, {
              provider: gcsProvider({
                bucket: 'research-bucket',
                prefix: 'pleiades/v2',
                apiEndpoint: gcs.url,
                maxRetries: 0,
              }),
            })
          : vault;
      c.setFailing(true);
      const rows = snapshots(120, 1000);
      for (let i = 0; i < 3; i++) {
        // The tracker goes on staging; each flush attempt fails with a retryable error.
        await insertSnapshots(t.pool, rows.slice(i * 40, i * 40 + 40));
        await expect(outageVault.flush(t.pool, { clock, force: true })).rejects.toBeInstanceOf(
          VaultUnavailableError,
        );
        expect(await countStaged(t.pool)).toBe(i * 40 + 40);
      }
      expect((await pendingFlushes(t.pool)).length).toBe(1); // the same range, retried each time
      c.setFailing(false);
      const r = await outageVault.flush(t.pool, { clock, force: true });
      expect(r.rows).toBe(120);
      expect(await countStaged(t.pool)).toBe(0);
      expect(await countFlushedRows(t.pool)).toBe(flushedBefore + 120);
      const blobs = [...allStored()]
        .filter(([k]) => !before.has(k) && k.endsWith('.parquet'))
        .map(([, v]) => v);
      expect(await readAll(blobs)).toEqual(expected(rows));
    });

    it('never writes the token to the logs', () => {
      const text = logLines.join('');
      expect(text).toContain('vault flush written');
      expect(text).not.toContain(HF_TOKEN);
      if (c.name === 'huggingface') expect(hf.requests.length).toBeGreaterThan(0);
    });
  });

describe('the vault-flush job on BullMQ', () => {
  let r: TestRedis;
  beforeAll(async () => {
    r = await createTestRedis();
  });
  afterAll(async () => {
    await r.cleanup();
  });

  it('fails while Cloud Storage is down, retries with backoff, and completes once it is back', async () => {
    await t.pool.query('TRUNCATE staging, vault_flushes RESTART IDENTITY');
    const config = loadConfig(
      {
        VAULT_PROVIDER: 'gcs',
        GCS_BUCKET: 'job-bucket',
        GCS_API_ENDPOINT: gcs.url,
        VAULT_FLUSH_ROWS: '1000',
      },
      { dotenvPath: false },
    );
    const vault = createVault(config, log, {
      provider: gcsProvider({ bucket: 'job-bucket', prefix: '', apiEndpoint: gcs.url, maxRetries: 0 }),
    });
    const clock = new ManualClock(START + 4 * DAY_MS);
    const conn = createRedis(r.url, 'worker');
    const queue = new Queue('vault-flush', { connection: conn, prefix: r.prefix });
    const eventsConn = createRedis(r.url, 'worker');
    const workerConn = createRedis(r.url, 'worker');
    const events = new QueueEvents('vault-flush', { connection: eventsConn, prefix: r.prefix });
    const attempts: string[] = [];
    const processJob = vaultFlushProcessor({ pool: t.pool, vault, clock, log, config });
    const worker = new Worker(
      'vault-flush',
      async (job) => {
        try {
          const out = await processJob(job);
          attempts.push('ok');
          return out;
        } catch (err) {
          attempts.push((err as Error).name);
          if (attempts.length === 3) gcs.failing = false; // the outage ends after the third attempt
          throw err;
        }
      },
      { connection: workerConn, prefix: r.prefix },
    );
    try {
      await events.waitUntilReady();
      await insertSnapshots(t.pool, snapshots(30, 3000));
      gcs.failing = true;
      const job = await queue.add(
        'vault-flush',
        { force: true },
        { attempts: 10, backoff: { type: 'fixed', delay: 100 } },
      );
      const result = await job.waitUntilFinished(events, 30_000);
      expect(result).toEqual({ files: 1, rows: 30, videos: 0 });
      expect(attempts).toEqual([
        'VaultUnavailableError',
        'VaultUnavailableError',
        'VaultUnavailableError',
        'ok',
      ]);
      expect(await countStaged(t.pool)).toBe(0);
      const blobs = [...gcs.objects].filter(([k]) => k.startsWith('job-bucket/metrics/')).map(([, v]) => v);
      expect(await readAll(blobs)).toEqual(expected(snapshots(30, 3000)));
    } finally {
      gcs.failing = false;
      await worker.close();
      await events.close();
      await queue.close();
      for (const c of [conn, eventsConn, workerConn]) c.disconnect();
    }
  });
});
