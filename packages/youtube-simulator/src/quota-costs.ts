/**
 * YouTube Data API quota as counted in 2026 (its quota-cost page): search.list has a bucket of its own
 * (100 calls a day per key at 1 a call); every other method draws on the shared bucket of 10,000
 * units a day. Both reset at midnight America/Los_Angeles. The simulator charges and Hydra budgets
 * from this one table.
 */
export type QuotaBucket = 'search' | 'units';

export const API_METHODS = [
  'search.list',
  'videos.list',
  'videos.batchGetStats',
  'channels.list',
  'videoCategories.list',
  'playlistItems.list',
] as const;
export type ApiMethod = (typeof API_METHODS)[number];

export const QUOTA_COST: Record<ApiMethod, { bucket: QuotaBucket; cost: number }> = {
  'search.list': { bucket: 'search', cost: 1 },
  'videos.list': { bucket: 'units', cost: 1 },
  'videos.batchGetStats': { bucket: 'units', cost: 1 },
  'channels.list': { bucket: 'units', cost: 1 },
  'videoCategories.list': { bucket: 'units', cost: 1 },
  'playlistItems.list': { bucket: 'units', cost: 1 },
};

/** Before June 2026: search.list cost 100 units of the shared bucket. The simulator can still count so. */
export const LEGACY_SEARCH_COST = { bucket: 'units' as QuotaBucket, cost: 100 };

export const DEFAULT_DAILY_QUOTA: Record<QuotaBucket, number> = { search: 100, units: 10_000 };
