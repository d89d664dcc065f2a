import type { QuotaBucket } from '@pleiades/youtube-simulator/quota-costs';

/**
 * What Hydra tells the rest of the system (the events bus subscribes through `onEvent`). Keys are
 * named by fingerprint; an event never carries a key.
 */
export type HydraEvent =
  | {
      type: 'key.exhausted';
      pool: string;
      fingerprint: string;
      bucket: QuotaBucket;
      resetAt: number;
      /** 'count': our count reached the quota; 'youtube': YouTube said quotaExceeded first. */
      source: 'count' | 'youtube';
    }
  | { type: 'key.invalid'; pool: string; fingerprint: string }
  | { type: 'pool.exhausted'; pool: string; bucket: QuotaBucket; resetAt: number }
  | { type: 'pool.reset'; pool: string; bucket: QuotaBucket }
  | { type: 'quota.low'; pool: string; bucket: QuotaBucket; remaining: number };

export type HydraEventType = HydraEvent['type'];
