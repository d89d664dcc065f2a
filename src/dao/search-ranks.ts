import type { Queryable } from '../db/pool.ts';
import { bigIntToVideoId, videoIdToBigInt } from '../video-id.ts';

/**
 * Search-rank history (rank_staging, the vault's `ranks/`): for every search.list page the Hunter ran,
 * the videos in the order YouTube returned them.
 */
export interface SearchPage {
  queryId: bigint;
  query: string;
  /** The page token the job asked for; null for a pass's first page. */
  pageToken: string | null;
  runAt: number;
  order: string;
  publishedAfter: string | null;
  /** The results in order; null where a result is not a video (a channel or playlist). */
  videoIds: (string | null)[];
}

export interface StagedSearchPage {
  seq: bigint;
  queryId: bigint;
  query: string;
  /** 0 for a pass's first page; null when a replayed job could not tell. */
  page: number | null;
  runAt: number;
  order: string;
  publishedAfter: number | null;
  results: { position: number; videoId: string }[];
}

/**
 * Stages one page. Its number comes from the query's paging state, read before the Hunter moves it: the
 * page the state is at when its token matches, page 0 for a first page, NULL otherwise (a replay).
 */
export async function insertSearchPage(db: Queryable, p: SearchPage): Promise<void> {
  const positions: number[] = [];
  const ids: bigint[] = [];
  p.videoIds.forEach((id, i) => {
    if (id === null) return;
    positions.push(i + 1);
    ids.push(videoIdToBigInt(id));
  });
  if (ids.length === 0) return;
  await db.query(
    `INSERT INTO rank_staging (query_id, query, page, run_at, search_order, published_after, positions, video_ids)
     SELECT $1, $2,
            CASE WHEN $3::text IS NULL THEN 0
                 ELSE (SELECT pages_fetched FROM search_queue WHERE id = $1 AND next_page_token = $3::text) END,
            $4, $5, $6, $7::smallint[], $8::bigint[]`,
    [p.queryId, p.query, p.pageToken, new Date(p.runAt), p.order, p.publishedAfter, positions, ids],
  );
}

// biome-ignore lint/suspicious/noExplicitAny: row shape from pg
const toPage = (x: any): StagedSearchPage => ({
  seq: x.seq,
  queryId: BigInt(x.query_id),
  query: x.query,
  page: x.page,
  runAt: (x.run_at as Date).getTime(),
  order: x.search_order,
  publishedAfter: x.published_after ? (x.published_after as Date).getTime() : null,
  results: (x.positions as number[]).map((position, i) => ({
    position,
    videoId: bigIntToVideoId((x.video_ids as bigint[])[i]!),
  })),
});

const COLUMNS = 'seq, query_id, query, page, run_at, search_order, published_after, positions, video_ids';

export async function readSearchPageRange(
  db: Queryable,
  firstSeq: bigint,
  lastSeq: bigint,
): Promise<StagedSearchPage[]> {
  const r = await db.query(`SELECT ${COLUMNS} FROM rank_staging WHERE seq BETWEEN $1 AND $2 ORDER BY seq`, [
    firstSeq,
    lastSeq,
  ]);
  return r.rows.map(toPage);
}

/** Every staged page (tests, small tables). */
export async function stagedSearchPages(db: Queryable): Promise<StagedSearchPage[]> {
  const r = await db.query(`SELECT ${COLUMNS} FROM rank_staging ORDER BY seq`);
  return r.rows.map(toPage);
}
