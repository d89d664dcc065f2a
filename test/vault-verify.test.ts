import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, MINUTE_MS } from '../src/clock.ts';
import { loadConfig } from '../src/config/index.ts';
import { insertGaps } from '../src/dao/gaps.ts';
import { insertSnapshots } from '../src/dao/staging.ts';
import { recordedFlushRanges } from '../src/dao/vault-flushes.ts';
import { silentLogger } from '../src/log.ts';
import { createVault, type Vault } from '../src/vault/index.ts';
import { partName } from '../src/vault/parts.ts';
import { verifyVault } from '../src/vault/verify.ts';
import { videoIdFromBits } from '../src/video-id.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { exited, spawnPleiades } from './helpers/processes.ts';

/** `pleiades vault verify`: the integrity audit over every file of the vault (issue 20). */

let db: TestDatabase;
let dir: string;
let vault: Vault;
let env: Record<string, string>;
const NOW = Date.parse('2026-11-20T12:00:00Z');

beforeAll(async () => {
  db = await createTestDatabase();
  dir = await mkdtemp(join(tmpdir(), 'pleiades-verify-'));
  env = { DATABASE_URL: db.url, VAULT_DIR: join(dir, 'vault'), LOG_LEVEL: 'silent' };
  vault = createVault(loadConfig(env, { dotenvPath: false }), silentLogger);
  // Two flushes over three days: 20 videos a day, one snapshot each.
  for (const days of [[0, 1], [2]]) {
    await insertSnapshots(
      db.pool,
      days.flatMap((d) =>
        Array.from({ length: 20 }, (_, i) => {
          const takenAt = NOW - 3 * DAY_MS + d * DAY_MS + i * MINUTE_MS;
          return {
            videoId: videoIdFromBits(BigInt(i + 1) * 0x9e3779b97f4a7c15n),
            dueAt: Math.floor(takenAt / MINUTE_MS) * MINUTE_MS,
            takenAt,
            views: BigInt(100 + i),
            likes: null,
            comments: null,
            tier: 1,
          };
        }),
      ),
    );
    await vault.flush(db.pool, { clock: { now: () => NOW }, force: true });
  }
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await db?.drop();
});

describe('pleiades vault verify', () => {
  it('reports rows, schema versions and no duplicate per table and day of a clean vault', async () => {
    const r = await verifyVault(vault.provider, await recordedFlushRanges(db.pool));
    const metrics = r.days.filter((d) => d.table === 'metrics');
    expect(metrics.map((d) => [d.rows, d.duplicates, d.schemaVersions, d.unrecorded])).toEqual([
      [20, 0, [1], []],
      [20, 0, [1], []],
      [20, 0, [1], []],
    ]);
    expect(r.totals.duplicates).toBe(0);
    // Daily snapshots a day apart: no late or missed poll.
    expect(r.totals.unexplainedGaps).toBe(0);
    const cli = spawnPleiades(['vault', 'verify'], env);
    expect(await exited(cli), cli.output()).toBe(0);
  });

  it('a planted copy of a file is found: its rows are duplicates, its name is in no flush, exit 1', async () => {
    const day = new Date(NOW - 3 * DAY_MS).toISOString().slice(0, 10);
    const partition = join(dir, 'vault', 'metrics', `dt=${day}`);
    const [file] = await readdir(partition);
    const planted = partName(900_000, 900_100);
    await copyFile(join(partition, file!), join(partition, planted));
    const r = await verifyVault(vault.provider, await recordedFlushRanges(db.pool));
    const d = r.days.find((x) => x.table === 'metrics' && x.day === day)!;
    expect([d.files, d.rows, d.duplicates]).toEqual([2, 40, 20]);
    expect(d.unrecorded).toEqual([`metrics/dt=${day}/${planted}`]);
    const cli = spawnPleiades(['vault', 'verify'], env);
    expect(await exited(cli)).toBe(1);
    expect(cli.output()).toContain('"duplicates":20');
    await rm(join(partition, planted));
  });

  it('a flush refuses to publish a snapshot the vault already holds', async () => {
    const takenAt = NOW - 3 * DAY_MS; // the first snapshot of the first day, flushed before
    const again = {
      videoId: videoIdFromBits(0x9e3779b97f4a7c15n),
      dueAt: Math.floor(takenAt / MINUTE_MS) * MINUTE_MS,
      takenAt: takenAt + 5_000,
      views: 999n,
      likes: null,
      comments: null,
      tier: 1,
    };
    const fresh = { ...again, videoId: videoIdFromBits(0x1234567n), views: 7n };
    await insertSnapshots(db.pool, [again, fresh]);
    await vault.flush(db.pool, { clock: { now: () => NOW }, force: true });
    const r = await verifyVault(vault.provider, await recordedFlushRanges(db.pool));
    const day = new Date(takenAt).toISOString().slice(0, 10);
    const d = r.days.find((x) => x.table === 'metrics' && x.day === day)!;
    expect([d.files, d.rows, d.duplicates]).toEqual([2, 21, 0]);
    expect(r.totals.duplicates).toBe(0);
  });

  it('finds late and missed polls that no gaps/ row explains, per day, until the reasons are flushed', async () => {
    const HOUR = 60 * MINUTE_MS;
    const late = videoIdFromBits(0x51a7e1n * 0x9e3779b97f4a7c15n);
    const missed = videoIdFromBits(0x3155edn * 0x9e3779b97f4a7c15n);
    const start = NOW - 3 * DAY_MS; // 2026-11-17T12:00Z
    const snap = (videoId: string, dueAt: number, takenAt: number) => ({
      videoId,
      dueAt,
      takenAt,
      views: 1n,
      likes: null,
      comments: null,
      tier: 1, // DAILY: the next poll is planned a day after this one
    });
    await insertSnapshots(db.pool, [
      // Planned a day after the first, taken 13 hours late (more than half a day).
      snap(late, start + 2 * HOUR, start + 2 * HOUR),
      snap(late, start + DAY_MS + 2 * HOUR, start + DAY_MS + 15 * HOUR),
      // Two days between snapshots of a daily video: the poll in between left no snapshot.
      snap(missed, start + 4 * HOUR, start + 4 * HOUR),
      snap(missed, start + 2 * DAY_MS + 4 * HOUR, start + 2 * DAY_MS + 4 * HOUR),
    ]);
    await vault.flush(db.pool, { clock: { now: () => NOW }, force: true });
    const r = await verifyVault(vault.provider, await recordedFlushRanges(db.pool));
    expect(r.totals.unexplainedGaps).toBe(2);
    expect(
      r.unexplainedGaps.map((g) => [g.videoId, g.kind, g.dueAt]).sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
    ).toEqual(
      [
        [late, 'late', new Date(start + DAY_MS + 2 * HOUR).toISOString()],
        [missed, 'missed', new Date(start + 2 * DAY_MS + 4 * HOUR).toISOString()],
      ].sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
    );
    // Counted against the day of the snapshot after the gap (both taken on 2026-11-19).
    const byDay = r.days.filter((d) => d.table === 'metrics').map((d) => [d.day, d.unexplainedGaps]);
    expect(byDay).toContainEqual(['2026-11-19', 2]);
    expect(byDay.filter(([, n]) => n !== 0)).toHaveLength(1);
    // Reported, not fatal: exit 0 (duplicates are what fail the audit).
    const cli = spawnPleiades(['vault', 'verify'], env);
    expect(await exited(cli), cli.output()).toBe(0);
    expect(cli.output()).toContain('"unexplainedGaps":2');
    expect(cli.output()).toContain(`"videoId":"${missed}"`);
    // The tracker's gaps/ rows give the reasons: once flushed, nothing is unexplained.
    await insertGaps(db.pool, [
      {
        videoIds: [late],
        tier: 1,
        dueAt: start + DAY_MS + 2 * HOUR,
        polledAt: start + DAY_MS + 15 * HOUR,
        reason: 'late',
        taken: true,
      },
      {
        videoIds: [missed],
        tier: 1,
        dueAt: start + DAY_MS + 4 * HOUR,
        polledAt: start + DAY_MS + 4 * HOUR,
        reason: 'unavailable',
        taken: false,
      },
    ]);
    await vault.flush(db.pool, { clock: { now: () => NOW }, force: true });
    const after = await verifyVault(vault.provider, await recordedFlushRanges(db.pool));
    expect(after.totals.unexplainedGaps).toBe(0);
    expect(after.unexplainedGaps).toEqual([]);
  });
});
