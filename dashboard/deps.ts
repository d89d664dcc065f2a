import type { Redis } from 'ioredis';
import type { QueueSet } from '../queues/index.ts';
import type { Clock } from '../src/clock.ts';
import type { Config } from '../src/config/index.ts';
import type { Pool } from '../src/db/pool.ts';
import type { Logger } from '../src/log.ts';
import type { VaultProvider } from '../src/vault/provider.ts';

/**
 * What the dashboard needs from the rest of the system. Hydra and the vault are optional: the
 * dashboard runs (and says "unavailable" for their parts) in a process that has neither.
 */

/** One API key as Hydra reports it: a fingerprint, never the key. */
export interface KeyView {
  pool: string;
  fingerprint: string;
  state: string;
  searchUsed: number;
  unitsUsed: number;
  resetAt: number | string | Date | null;
}

export interface HydraView {
  keys(): Promise<KeyView[]>;
  remaining(pool?: string): Promise<{ search: number; units: number }>;
}

/** The vault's size; the vault's own figures (rows staged and flushed) are read from Postgres. */
export interface VaultView {
  sizeBytes(): Promise<number>;
  /** Where the files are, without secrets. */
  describe?(): string;
  /** The files themselves, for the explorer's history (src/vault/reader.ts). */
  provider?: VaultProvider;
}

export interface DashboardDeps {
  config: Config;
  pool: Pool;
  queues: QueueSet;
  /** A client connection (fail-fast), for the metrics and the health check. */
  redis: Redis;
  log: Logger;
  clock: Clock;
  /** Simulated seconds per real second: above 1 in the demo (the overview says so). */
  speed?: number;
  hydra?: HydraView;
  vault?: VaultView;
  /** How long (ms) a computed /api/stats answer is reused; 0 in tests. Default 3000. */
  statsCacheMs?: number;
}
