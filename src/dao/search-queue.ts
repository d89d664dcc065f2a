import type { Queryable } from '../db/pool.ts';

export type QueryOrigin = 'seed' | 'manual' | 'snowball';

export interface SearchQuery {
  id: bigint;
  query: string;
  state: 'pending' | 'paging' | 'done' | 'disabled';
  nextPageToken: string | null;
  pagesFetched: number;
  resultsFound: number;
  priority: number;
  origin: QueryOrigin;
  parentId: bigint | null;
  depth: number;
  publishedAfter: Date | null;
  passStartedAt: Date | null;
}

export interface NewQuery {
  query: string;
  priority?: number;
  origin?: QueryOrigin;
  parentId?: bigint | null;
  depth?: number;
}

/** Case- and space-insensitive form of a query: the queue's unique key. */
export const normalizeQuery = (q: string): string =>
  q.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();

const COLUMN_NAMES = [
  'id',
  'query',
  'state',
  'next_page_token',
  'pages_fetched',
  'results_found',
  'priority',
  'origin',
  'parent_id',
  'depth',
  'published_after',
  'pass_started_at',
];
const COLUMNS = COLUMN_NAMES.join(', ');
const Q_COLUMNS = COLUMN_NAMES.map((c) => `q.${c}`).join(', ');

// biome-ignore lint/suspicious/noExplicitAny: row shape from pg
const toQuery = (r: any): SearchQuery => ({
  id: r.id,
  query: r.query,
  state: r.state,
  nextPageToken: r.next_page_token,
  pagesFetched: r.pages_fetched,
  resultsFound: r.results_found,
  priority: r.priority,
  origin: r.origin,
  parentId: r.parent_id,
  depth: r.depth,
  publishedAfter: r.published_after,
  passStartedAt: r.pass_started_at,
});

/** Adds queries that are not queued yet (after normalisation), due at `now`; returns the ones added. */
export async function addToSearchQueue(
  db: Queryable,
  queries: NewQuery[],
  now: Date = new Date(),
): Promise<SearchQuery[]> {
  if (queries.length === 0) return [];
  const seen = new Set<string>();
  const rows = queries.filter((q) => {
    const n = normalizeQuery(q.query);
    if (!n || seen.has(n)) return false;
    seen.add(n);
    return true;
  });
  const r = await db.query(
    `INSERT INTO search_queue (query, query_norm, priority, origin, parent_id, depth, next_run_at, created_at, updated_at)
     SELECT *, $7::timestamptz, $7::timestamptz, $7::timestamptz
     FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::bigint[], $6::int[])
     ON CONFLICT (query_norm) DO NOTHING
     RETURNING ${COLUMNS}`,
    [
      rows.map((q) => q.query.trim().replace(/\s+/g, ' ')),
      rows.map((q) => normalizeQuery(q.query)),
      rows.map((q) => q.priority ?? 0),
      rows.map((q) => q.origin ?? 'manual'),
      rows.map((q) => q.parentId ?? null),
      rows.map((q) => q.depth ?? 0),
      now,
    ],
  );
  return r.rows.map(toQuery);
}

/** Which of these normalised queries the queue already holds. */
export async function existingQueries(db: Queryable, norms: string[]): Promise<Set<string>> {
  if (norms.length === 0) return new Set();
  const r = await db.query<{ query_norm: string }>(
    'SELECT query_norm FROM search_queue WHERE query_norm = ANY($1::text[])',
    [norms],
  );
  return new Set(r.rows.map((x) => x.query_norm));
}

/**
 * Claims up to `limit` due queries with a lease: two dispatchers never claim the same query, and a
 * claim that is never completed lapses after `leaseMs`.
 */
export async function fetchHunterBatch(
  db: Queryable,
  opts: { limit: number; now: Date; leaseMs: number },
): Promise<SearchQuery[]> {
  const r = await db.query(
    `UPDATE search_queue q SET lease_until = $2::timestamptz + make_interval(secs => $3::double precision / 1000),
            pass_started_at = CASE WHEN q.state = 'paging' THEN q.pass_started_at ELSE $2 END
     WHERE q.id IN (
       SELECT id FROM search_queue
       WHERE state <> 'disabled' AND next_run_at <= $2 AND (lease_until IS NULL OR lease_until < $2)
       ORDER BY priority DESC, next_run_at
       LIMIT $1
       FOR UPDATE SKIP LOCKED)
     RETURNING ${Q_COLUMNS}`,
    [opts.limit, opts.now, opts.leaseMs],
  );
  return r.rows.map(toQuery);
}

export async function getQuery(db: Queryable, id: bigint): Promise<SearchQuery | null> {
  const r = await db.query(`SELECT ${COLUMNS} FROM search_queue WHERE id = $1`, [id]);
  return r.rows[0] ? toQuery(r.rows[0]) : null;
}

/**
 * Records a fetched page. Only applies when the query is still at `pageToken` (the page the job
 * fetched), so a replayed job changes nothing. With a next page and pages left, the query stays due
 * for its next page; otherwise its pass ends and it is due again after `rerunAfterMs`, then asking only
 * for videos published after this pass began.
 */
export async function updateSearchState(
  db: Queryable,
  u: {
    id: bigint;
    pageToken: string | null;
    nextPageToken: string | null;
    found: number;
    now: Date;
    maxPages: number;
    rerunAfterMs: number;
  },
): Promise<boolean> {
  const r = await db.query(
    `UPDATE search_queue SET
       pages_fetched = CASE WHEN $3::text IS NOT NULL AND pages_fetched + 1 < $6 THEN pages_fetched + 1 ELSE 0 END,
       state = CASE WHEN $3::text IS NOT NULL AND pages_fetched + 1 < $6 THEN 'paging' ELSE 'done' END,
       next_page_token = CASE WHEN pages_fetched + 1 < $6 THEN $3::text ELSE NULL END,
       next_run_at = CASE WHEN $3::text IS NOT NULL AND pages_fetched + 1 < $6 THEN $5
                          ELSE $5::timestamptz + make_interval(secs => $7::double precision / 1000) END,
       published_after = CASE WHEN $3::text IS NOT NULL AND pages_fetched + 1 < $6 THEN published_after
                              ELSE coalesce(pass_started_at, $5) END,
       results_found = results_found + $4,
       last_run_at = $5, lease_until = NULL, updated_at = $5
     WHERE id = $1 AND next_page_token IS NOT DISTINCT FROM $2::text AND state <> 'disabled'`,
    [u.id, u.pageToken, u.nextPageToken, u.found, u.now, u.maxPages, u.rerunAfterMs],
  );
  return (r.rowCount ?? 0) > 0;
}

/** Gives a claimed query back (its job failed or was not enqueued). */
export async function releaseQuery(db: Queryable, id: bigint): Promise<void> {
  await db.query('UPDATE search_queue SET lease_until = NULL WHERE id = $1', [id]);
}

export async function countQueriesByState(db: Queryable): Promise<Record<string, number>> {
  const r = await db.query<{ state: string; n: number }>(
    'SELECT state, count(*)::int AS n FROM search_queue GROUP BY state',
  );
  return Object.fromEntries(r.rows.map((x) => [x.state, x.n]));
}
