import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, ManualClock, MINUTE_MS } from '../src/clock.ts';
import { loadConfig } from '../src/config/index.ts';
import { countStaged, insertSnapshots, type SnapshotRow } from '../src/dao/staging.ts';
import { pendingFlushes } from '../src/dao/vault-flushes.ts';
import { silentLogger } from '../src/log.ts';
import { createVault } from '../src/vault/index.ts';
import { videoIdFromBits } from '../src/video-id.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';

let t: TestDatabase;
let duck: Awaited<ReturnType<DuckDBInstance['connect']>>;
beforeAll(async () => {
  t = await createTestDatabase();
  duck = await (await DuckDBInstance.create(':memory:')).connect();
});
afterAll(async () => {
  await t.drop();
});

const START = Date.UTC(2026, 10, 19, 22);
const snapshots = (n: number, offset = 0): SnapshotRow[] =>
  Array.from({ length: n }, (_, k) => {
    const i = k + offset;
    const dueAt = START + i * MINUTE_MS; // rows 120+ fall on the next UTC day: range 2 spans midnight
    return {
      videoId: videoIdFromBits(BigInt(i % 97) * 0x9e3779b97f4a7c15n + 3n),
      dueAt,
      takenAt: dueAt + 500,
      views: BigInt(i * 100),
      likes: i % 4 ? BigInt(i) : null,
      comments: null,
      tier: 0,
    };
  });

/** Runs a flush in a child process that SIGKILLs itself at `step` of its `range`-th range. */
function crashingFlush(
  env: Record<string, string>,
  step: string,
  range: number,
): Promise<NodeJS.Signals | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['test/vault-flush-child.ts'], {
      env: {
        ...process.env,
        ...env,
        CRASH_AT: step,
        CRASH_RANGE: String(range),
        CLOCK_MS: String(START + 2 * DAY_MS),
        LOG_LEVEL: 'silent',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      signal ? resolve(signal) : code === 0 ? resolve(null) : reject(new Error(err)),
    );
  });
}

describe('a flush killed with SIGKILL', () => {
  for (const step of ['recorded', 'written', 'uploaded'] as const)
    it(`after its files are ${step}: after restart every staged snapshot is in the vault exactly once`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'pleiades-vault-crash-'));
      await t.pool.query('TRUNCATE staging, vault_flushes RESTART IDENTITY');
      const env = { DATABASE_URL: t.url, VAULT_DIR: dir, VAULT_FLUSH_ROWS: '70' };
      const staged = snapshots(200);
      await insertSnapshots(t.pool, staged);

      expect(await crashingFlush(env, step, 2)).toBe('SIGKILL');
      // The first range (70 rows) landed; the second is recorded and still staged.
      expect(await countStaged(t.pool)).toBe(130);
      expect((await pendingFlushes(t.pool)).map((f) => f.kind)).toEqual(['metrics']);
      const files = async () =>
        (await readdir(join(dir, 'metrics'), { recursive: true }))
          .filter((f) => f.endsWith('.parquet'))
          .sort();
      const range2 = 'part-0000000000000071-0000000000000140.parquet';
      expect((await files()).some((f) => f.endsWith(range2))).toBe(step === 'uploaded');

      // The tracker keeps staging while nobody flushes.
      const late = snapshots(30, 200);
      await insertSnapshots(t.pool, late);

      // Restart: a new process (here the test's own) runs the flush again.
      const vault = createVault(loadConfig(env, { dotenvPath: false }), silentLogger);
      // The killed process's session may hold the flush lock a moment longer (until Postgres notices
      // the closed socket): a flush that finds it busy is simply run again, as the scheduler would.
      let r = await vault.flush(t.pool, { clock: new ManualClock(START + 2 * DAY_MS), force: true });
      for (let i = 0; i < 50 && r.skipped === 'busy'; i++) {
        await new Promise((res) => setTimeout(res, 100));
        r = await vault.flush(t.pool, { clock: new ManualClock(START + 2 * DAY_MS), force: true });
      }
      expect(r.rows).toBe(160);
      expect(await countStaged(t.pool)).toBe(0);
      expect(await pendingFlushes(t.pool)).toEqual([]);
      expect((await files()).filter((f) => f.endsWith(range2)).length).toBe(2); // both days of range 2
      const rows = (
        await duck.runAndReadAll(
          `SELECT video_id, epoch_ms(due_at)::BIGINT AS due, views FROM read_parquet('${dir}/metrics/*/*.parquet')`,
        )
      ).getRowObjectsJson();
      const want = [...staged, ...late].map((s) => `${s.videoId}@${s.dueAt}=${s.views}`).sort();
      expect(rows.map((x) => `${x.video_id}@${x.due}=${x.views}`).sort()).toEqual(want);
      await rm(dir, { recursive: true, force: true });
    });
});
