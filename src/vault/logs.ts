import { RANK_STAGING } from '../dao/event-logs.ts';
import { readSearchPageRange } from '../dao/search-ranks.ts';
import { TRACKER_SIGNALS } from '../tracker/registry.ts';
import { vaultLog } from './parts.ts';
import { RANKS_TABLE, type VaultLog } from './schema.ts';

/** Search results in YouTube's order: the Hunter's log, the one event log that is not a tracker signal. */
export const RANKS_LOG = vaultLog({
  staging: RANK_STAGING,
  table: RANKS_TABLE,
  about: "search results in YouTube's order",
  read: readSearchPageRange,
  at: (p) => p.runAt,
  row: (p) =>
    p.results.map((r) => ({
      run_at: p.runAt,
      query_id: p.queryId,
      query: p.query,
      page: p.page,
      position: r.position,
      // Pages hold up to 50 results (maxResults): the rank across pages.
      rank: p.page === null ? null : p.page * 50 + r.position,
      video_id: r.videoId,
      search_order: p.order,
      published_after: p.publishedAfter,
    })),
});

/**
 * Every event log the vault flushes, compacts and describes: those of the tracker signals in the
 * registry (src/tracker/registry.ts), then the search ranks. A new signal with a log of its own
 * lands in the vault without a change here.
 */
export const EVENT_LOGS: readonly VaultLog[] = [
  ...TRACKER_SIGNALS.flatMap((s) => (s.log ? [s.log] : [])),
  RANKS_LOG,
];

export const eventLog = (kind: string): VaultLog => {
  const log = EVENT_LOGS.find((l) => l.staging.kind === kind);
  if (!log) throw new Error(`no event log ${kind}`);
  return log;
};
