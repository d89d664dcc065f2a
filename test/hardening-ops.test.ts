import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { startSimulator } from '@pleiades/youtube-simulator';
import { keyFingerprint } from '@pleiades/youtube-simulator/fingerprint';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportDir } from '../app/cli/commands/vault.ts';
import { type Context, createContext } from '../app/context.ts';
import { enqueue } from '../queues/index.ts';
import { MINUTE_MS } from '../src/clock.ts';
import { type Config, loadConfig } from '../src/config/index.ts';
import { insertSnapshots } from '../src/dao/staging.ts';
import { currentBudget } from '../src/discovery/budget.ts';
import { migrateAll } from '../src/setup.ts';
import { videoIdFromBits } from '../src/video-id.ts';
import { dispatchHunter } from '../workers/hunter-dispatch.ts';
import { processors } from '../workers/processors.ts';
import { startWorkers } from '../workers/runtime.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { startFakeGcs } from './helpers/fake-gcs.ts';
import { startFakeHf } from './helpers/fake-hf.ts';
import { exited, spawnPleiades, waitFor } from './helpers/processes.ts';
import { createTestRedis, type TestRedis } from './helpers/redis.ts';

/** Defects found by adversarial runs (issue 20): deployment, doctor, lost alerts, unenforced settings. */

let db: TestDatabase;
let redis: TestRedis;
let base: Record<string, string>;
beforeAll(async () => {
  db = await createTestDatabase();
  redis = await createTestRedis();
  base = { DATABASE_URL: db.url, REDIS_URL: redis.url, REDIS_PREFIX: redis.prefix, LOG_LEVEL: 'silent' };
});
afterAll(async () => {
  await redis?.cleanup();
  await db?.drop();
});

const config = (env: Record<string, string> = {}): Config =>
  loadConfig({ ...base, ...env }, { dotenvPath: false });

describe('defect 5: SEED_QUERIES are seeded by migrate, the step every deployment runs', () => {
  it('seeds an empty search queue once, whatever runs migrate again', async () => {
    await db.pool.query('DELETE FROM search_queue');
    const c = config({ SEED_QUERIES: 'alpha, beta ,alpha' });
    await Promise.all([migrateAll(c, pino({ level: 'silent' })), migrateAll(c, pino({ level: 'silent' }))]);
    const rows = await db.pool.query('SELECT query, origin, priority FROM search_queue ORDER BY query');
    expect(rows.rows).toEqual([
      { query: 'alpha', origin: 'seed', priority: 10 },
      { query: 'beta', origin: 'seed', priority: 10 },
    ]);
    // A queue that has anything is left alone: a later migrate (new seeds, say) adds nothing.
    await migrateAll(config({ SEED_QUERIES: 'gamma' }), pino({ level: 'silent' }));
    expect((await db.pool.query('SELECT count(*)::int AS n FROM search_queue')).rows[0].n).toBe(2);
  });
});

describe('defect 6: pleiades doctor checks what it names', () => {
  const doctor = async (env: Record<string, string>) => {
    const child = spawnPleiades(['doctor'], { ...base, LOG_LEVEL: 'silent', ...env });
    const code = await exited(child);
    return { code, out: child.output() };
  };

  it('GCS: one authenticated list; a missing bucket or an outage fails with exit 1', async () => {
    const gcs = await startFakeGcs({ buckets: ['research-bucket'] });
    try {
      const env = { VAULT_PROVIDER: 'gcs', GCS_API_ENDPOINT: gcs.url, GCS_PREFIX: 'pleiades/v1' };
      const ok = await doctor({ ...env, GCS_BUCKET: 'research-bucket' });
      expect(ok.out).toMatch(/ok\s+vault\s+listed gs:\/\/research-bucket\/pleiades\/v1\//);
      expect(ok.code, ok.out).toBe(0);
      expect(gcs.requests.filter((r) => r.path === '/storage/v1/b/research-bucket/o')).toHaveLength(1);
      const missing = await doctor({ ...env, GCS_BUCKET: 'no-such-bucket' });
      expect(missing.out).toMatch(/FAIL vault/);
      expect(missing.code).toBe(1);
      gcs.failing = true;
      const down = await doctor({ ...env, GCS_BUCKET: 'research-bucket' });
      expect([down.code, /FAIL vault/.test(down.out)]).toEqual([1, true]);
    } finally {
      await gcs.close();
    }
  });

  it('Hugging Face: one tree request with the token; a wrong token fails with exit 1', async () => {
    const token = 'hf_doctor_token_0123456789abcdef';
    const hf = await startFakeHf({ repo: 'research/pleiades', token });
    try {
      const env = { VAULT_PROVIDER: 'huggingface', HF_DATASET_ID: 'research/pleiades', HF_ENDPOINT: hf.url };
      const ok = await doctor({ ...env, HF_TOKEN: token });
      expect(ok.code, ok.out).toBe(0);
      expect(ok.out).toMatch(/ok\s+vault\s+listed huggingface dataset research\/pleiades/);
      const wrong = await doctor({ ...env, HF_TOKEN: 'hf_wrong_token_0123456789abcdef' });
      expect(wrong.code).toBe(1);
      expect(wrong.out).toMatch(/FAIL vault/);
      expect(wrong.out).not.toContain('hf_wrong_token');
    } finally {
      await hf.close();
    }
  });

  it('keys: one videoCategories.list (1 unit) per key; a key YouTube rejects fails with exit 1', async () => {
    const good = 'AIzaSy-doctor-good-key-0000000000000';
    const bad = 'AIzaSy-doctor-bad-key-00000000000000';
    const sim = await startSimulator({ keys: [good] });
    try {
      const env = { YOUTUBE_API_ROOT: sim.url };
      const ok = await doctor({ ...env, YOUTUBE_API_KEY_POOL_JSON: JSON.stringify([good]) });
      expect(ok.code, ok.out).toBe(0);
      expect(ok.out).toMatch(
        /ok\s+youtube\s+1 of 1 keys valid \(videoCategories.list, 1 unit of the units bucket/,
      );
      const r = await doctor({ ...env, YOUTUBE_API_KEY_POOL_JSON: JSON.stringify({ hunting: [good, bad] }) });
      expect(r.code).toBe(1);
      expect(r.out).toContain(`key ${keyFingerprint(bad)} (pool hunting): rejected by YouTube`);
      expect(r.out).not.toContain(bad);
    } finally {
      await sim.close();
    }
  });
});

/** A logger whose JSON lines the test reads. */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

describe('defect 7: an alert event that cannot be emitted is logged', () => {
  let ctx: Context;
  let vaultFile: string;
  const captured = capturingLogger();
  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pleiades-emit-'));
    // The vault "directory" is a file: every flush fails.
    vaultFile = join(dir, 'not-a-directory');
    await writeFile(vaultFile, 'x');
    ctx = await createContext(config({ VAULT_DIR: vaultFile }), captured.log);
    // The bus is gone (Postgres down for pg-boss, or shutting down): every emit fails.
    await ctx.events!.stop();
  });
  afterAll(async () => {
    await ctx?.close();
    await rm(join(vaultFile, '..'), { recursive: true, force: true });
  });

  it('vault.flush_failed', async () => {
    const now = Date.now();
    await insertSnapshots(ctx.pool, [
      {
        videoId: videoIdFromBits(0x1234567n),
        dueAt: Math.floor(now / MINUTE_MS) * MINUTE_MS,
        takenAt: now,
        views: 10n,
        likes: 1n,
        comments: null,
        tier: 0,
      },
    ]);
    await expect(processors['vault-flush'](ctx.deps, { force: true })).rejects.toThrow();
    expect(captured.lines).toContainEqual(
      expect.objectContaining({
        level: 50,
        event: 'vault.flush_failed',
        msg: expect.stringContaining('could not emit'),
      }),
    );
  });

  it('job.failed_permanently', async () => {
    const workers = startWorkers(ctx.deps, { queues: ['janitor'], concurrency: 1 });
    try {
      // Under a day without force: refused at once, for good.
      await enqueue(ctx.queues, 'janitor', { retentionDays: 0.5 });
      await waitFor('the lost alert in the log', async () =>
        captured.lines.some((l) => l.event === 'job.failed_permanently' && l.level === 50),
      );
    } finally {
      await workers.close();
    }
  });
});

describe('defect 8: DISCOVERY_SHARE_SEARCH is enforced', () => {
  it('hunter-dispatch starts no page beyond the search share of the units', async () => {
    const run = async (share: string) => {
      await db.pool.query('DELETE FROM search_queue');
      await db.pool.query(
        `INSERT INTO search_queue (query, query_norm, priority, origin, next_run_at, created_at, updated_at)
         SELECT 'q' || i, 'q' || i, 10, 'manual', now() - interval '1 minute', now(), now()
         FROM generate_series(1, 10) i`,
      );
      const ctx = await createContext(config({ DISCOVERY_SHARE_SEARCH: share }), pino({ level: 'silent' }), {
        events: false,
      });
      try {
        await ctx.queues.get('hunter').obliterate({ force: true });
        const plan = await currentBudget({
          pool: ctx.pool,
          config: ctx.deps.config,
          now: Date.now(),
          hydra: ctx.hydra,
        });
        const { enqueued } = await dispatchHunter(ctx.deps, { max: 10 });
        return { enqueued, planned: plan!.routes.search.plannedUnits };
      } finally {
        await ctx.close();
      }
    };
    // The simulated keys have 10,000 units each: a share of 0.0001 plans 1 unit a key, so a page a key.
    const tiny = await run('0.0001');
    expect(tiny.planned).toBeGreaterThan(0);
    expect(tiny.planned).toBeLessThan(10);
    expect(tiny.enqueued).toBe(tiny.planned);
    expect((await run('0')).enqueued).toBe(0);
    expect((await run('0.02')).enqueued).toBe(10);
  });
});

describe('defect 9: a research export goes under the data folder by default', () => {
  it('is beside VAULT_DIR, not in the current directory', () => {
    expect(exportDir(config({ VAULT_DIR: './data/vault' }))).toBe(join(process.cwd(), 'data', 'exports'));
    expect(exportDir(config({ VAULT_DIR: '/srv/pleiades/vault' }))).toBe('/srv/pleiades/exports');
  });

  it('`vault export --format kaggle` without --out writes nothing into the working directory', async () => {
    const vaultDir = await mkdtemp(join(tmpdir(), 'pleiades-export-'));
    try {
      const child = spawnPleiades(['vault', 'export', '--format', 'kaggle'], {
        ...base,
        VAULT_DIR: join(vaultDir, 'vault'),
      });
      expect(await exited(child), child.output()).toBe(0);
      expect(existsSync('pleiades-kaggle-start-end.csv')).toBe(false);
      expect(existsSync(join(vaultDir, 'exports', 'pleiades-kaggle-start-end.csv'))).toBe(true);
    } finally {
      await rm(vaultDir, { recursive: true, force: true });
    }
  });
});
