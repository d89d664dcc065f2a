import type { Config } from './config/index.ts';
import { addToSearchQueue, countQueriesByState } from './dao/search-queue.ts';
import type { Queryable } from './db/pool.ts';
import { searchQueryText } from './query-text.ts';

/**
 * Seeds the search queue from SEED_QUERIES while it is empty. Run by `pleiades migrate` (and so by
 * `start`), the one step every deployment passes before the scheduler and the workers; idempotent: a
 * queue with any query (seeded, manual or snowballed, in any state) is left alone, and two replicas
 * racing both insert with ON CONFLICT DO NOTHING on the normalised query.
 */
export async function seedSearchQueue(
  db: Queryable,
  config: Config,
  now: Date = new Date(),
): Promise<number> {
  const counts = await countQueriesByState(db);
  if (Object.values(counts).some((n) => n > 0)) return 0;
  // A seed goes through the same text rules as a query typed by hand; one that fails them is skipped.
  const queries = config.SEED_QUERIES.split(',').flatMap((q) => {
    const r = searchQueryText.safeParse(q);
    return r.success ? [r.data] : [];
  });
  const added = await addToSearchQueue(
    db,
    queries.map((query) => ({ query, origin: 'seed' as const, priority: 10 })),
    now,
  );
  return added.length;
}
