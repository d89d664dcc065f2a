import { createHash } from 'node:crypto';

/**
 * The name of an API key wherever one must be named (Redis, logs, the simulator's stats, the
 * dashboard): a short hash, never the key.
 */
export const keyFingerprint = (key: string): string =>
  `k_${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
