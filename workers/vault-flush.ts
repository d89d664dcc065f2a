import type { Job } from 'bullmq';
import { parsePayload } from '../queues/index.ts';
import type { Clock } from '../src/clock.ts';
import type { Config } from '../src/config/index.ts';
import type { Pool } from '../src/db/pool.ts';
import type { Logger } from '../src/log.ts';
import type { Vault } from '../src/vault/index.ts';

export interface VaultFlushDeps {
  pool: Pool;
  vault: Vault;
  clock: Clock;
  log: Logger;
  config: Config;
}

/**
 * The `vault-flush` job: flushes staged snapshots when VAULT_FLUSH_ROWS are staged or the oldest has
 * waited VAULT_FLUSH_INTERVAL_S (or always, with `force`). A provider outage throws, so BullMQ retries
 * with backoff while staging keeps every snapshot.
 */
export async function runVaultFlush(
  deps: VaultFlushDeps,
  opts: { force?: boolean },
): Promise<{ files: number; rows: number; videos: number }> {
  const r = await deps.vault.flush(deps.pool, {
    clock: deps.clock,
    force: opts.force === true,
    flushRows: deps.config.VAULT_FLUSH_ROWS,
    flushIntervalMs: deps.config.VAULT_FLUSH_INTERVAL_S * 1000,
  });
  if (r.skipped === 'busy') deps.log.debug('vault flush skipped: another flush holds the lock');
  return { files: r.files, rows: r.rows, videos: r.videos };
}

/** A BullMQ processor for the `vault-flush` queue. */
export const vaultFlushProcessor =
  (deps: VaultFlushDeps) =>
  (job: Job): Promise<{ files: number; rows: number; videos: number }> =>
    runVaultFlush(deps, parsePayload('vault-flush', job.data));
