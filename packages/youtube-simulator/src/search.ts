import { DAY_MS } from './clock.ts';
import { hash2 } from './rng.ts';
import { estimateTotal, indexedAt, PERFECT_SEARCH, type SearchRealism } from './search-realism.ts';
import { VOCABULARY } from './words.ts';
import type { World } from './world.ts';

/**
 * search.list over the synthetic world without holding a million videos: an inverted index (word →
 * videos) per simulated day, built on first use from the videos' generated words and kept in an LRU.
 * A query walks the days from newest to oldest, as far as it needs.
 */

/** YouTube returns about 500 results at most for a query, however many match. */
export const MAX_RESULTS = 500;
/** relevance / viewCount / rating / title rank at most this many of the newest matches. */
const CANDIDATES = 20_000;

interface DayIndex {
  first: number;
  count: number;
  /** offsets[w] … offsets[w+1] in `postings`: videos of the day (relative index) carrying word w. */
  offsets: Uint32Array;
  postings: Uint16Array | Uint32Array;
}

export type SearchOrder = 'date' | 'rating' | 'relevance' | 'title' | 'videoCount' | 'viewCount';

export interface SearchQuery {
  /** Vocabulary indices a result must carry (at least `minWords` of them); empty: every video. */
  words: number[];
  /** How many of `words` a result needs (default: all of them). */
  minWords?: number;
  /** A word of the query that is not in the vocabulary: nothing can match. */
  impossible: boolean;
  excluded: number[];
  publishedAfter?: number;
  publishedBefore?: number;
  channel?: number;
  order: SearchOrder;
}

export interface SearchResult {
  indices: number[];
  totalResults: number;
}

export class SearchIndex {
  readonly #world: World;
  readonly #days = new Map<number, DayIndex>();
  readonly #maxDays: number;
  readonly #results = new Map<string, SearchResult>();
  readonly realism: SearchRealism;

  constructor(world: World, maxDays = 1000, realism: SearchRealism = PERFECT_SEARCH) {
    this.#world = world;
    this.#maxDays = maxDays;
    this.realism = realism;
  }

  #dayRange(d: number): { first: number; count: number } {
    const start = this.#world.historyStartMs + d * DAY_MS;
    const first = this.#world.firstIndexAtOrAfter(start);
    return { first, count: this.#world.firstIndexAtOrAfter(start + DAY_MS) - first };
  }

  #day(d: number): DayIndex {
    const hit = this.#days.get(d);
    if (hit) {
      this.#days.delete(d);
      this.#days.set(d, hit);
      return hit;
    }
    const w = this.#world;
    const { first, count } = this.#dayRange(d);
    const V = VOCABULARY.length;
    // two passes over the day's generated words: count per word, then fill (CSR layout)
    const buf = new Int32Array(16);
    const counts = new Uint32Array(V + 1);
    const flat = new Int32Array(count * 16);
    const lens = new Uint8Array(count);
    for (let j = 0; j < count; j++) {
      const n = w.wordIdsInto(first + j, buf);
      lens[j] = n;
      for (let k = 0; k < n; k++) {
        flat[j * 16 + k] = buf[k]!;
        counts[buf[k]! + 1]!++;
      }
    }
    for (let x = 0; x < V; x++) counts[x + 1]! += counts[x]!;
    const offsets = counts.slice();
    const fill = counts;
    // a day rarely holds 65,536 videos: half the memory for the usual case
    const postings = count <= 0xffff ? new Uint16Array(offsets[V]!) : new Uint32Array(offsets[V]!);
    for (let j = 0; j < count; j++)
      for (let k = 0; k < lens[j]!; k++) postings[fill[flat[j * 16 + k]!]!++] = j;
    const idx = { first, count, offsets, postings };
    this.#days.set(d, idx);
    if (this.#days.size > this.#maxDays) this.#days.delete(this.#days.keys().next().value!);
    return idx;
  }

  /** Relative indices (descending) of the day's videos carrying every word of `words`. */
  #matchDay(d: number, q: SearchQuery): { first: number; count: number; matches: number[] } {
    const out: number[] = [];
    if (q.words.length === 0 && q.excluded.length === 0) {
      const r = this.#dayRange(d);
      for (let j = r.count - 1; j >= 0; j--) out.push(j);
      return { ...r, matches: out };
    }
    const day = this.#day(d);
    const need = Math.min(q.words.length, q.minWords ?? q.words.length);
    if (q.words.length === 0) {
      for (let j = day.count - 1; j >= 0; j--) out.push(j);
    } else if (need < q.words.length) {
      // relevance without every word: count the query's words each video carries
      const hits = new Uint8Array(day.count);
      for (const x of q.words)
        for (let k = day.offsets[x]!; k < day.offsets[x + 1]!; k++) hits[day.postings[k]!]!++;
      for (let j = day.count - 1; j >= 0; j--) if (hits[j]! >= need) out.push(j);
    } else {
      const lists = q.words
        .map((x) => day.postings.subarray(day.offsets[x]!, day.offsets[x + 1]!))
        .sort((a, b) => a.length - b.length);
      const [shortest, ...rest] = lists;
      for (let k = shortest!.length - 1; k >= 0; k--) {
        const j = shortest![k]!;
        if (rest.every((l) => contains(l, j))) out.push(j);
      }
    }
    const ex = q.excluded.map((x) => day.postings.subarray(day.offsets[x]!, day.offsets[x + 1]!));
    const matches = ex.length ? out.filter((j) => !ex.some((l) => contains(l, j))) : out;
    return { first: day.first, count: day.count, matches };
  }

  /** Ranked video indices (at most 500) for a query at `now`; repeated pages of a query hit a cache. */
  search(q: SearchQuery, now: number): SearchResult {
    const key = `${JSON.stringify(q)}@${Math.floor(now / 1000)}`;
    const cached = this.#results.get(key);
    if (cached) return cached;
    const result = this.#search(q, now);
    this.#results.set(key, result);
    if (this.#results.size > 200) this.#results.delete(this.#results.keys().next().value!);
    return result;
  }

  #search(q: SearchQuery, now: number): SearchResult {
    const w = this.#world;
    if (q.impossible) return { indices: [], totalResults: 0 };
    const upper = Math.min(now, q.publishedBefore ?? now);
    const hi = w.firstIndexAtOrAfter(upper + 1); // exclusive
    const lo = w.firstIndexAtOrAfter(Math.max(q.publishedAfter ?? 0, w.historyStartMs));
    if (hi <= lo) return { indices: [], totalResults: 0 };
    const want = q.order === 'date' ? MAX_RESULTS : CANDIDATES;
    const found: number[] = [];
    let matchedTotal = 0;
    let scannedVideos = 0;
    const lastDay = Math.floor((w.publishedAt(hi - 1) - w.historyStartMs) / DAY_MS);
    const firstDay = Math.floor((w.publishedAt(lo) - w.historyStartMs) / DAY_MS);
    for (let d = lastDay; d >= firstDay && found.length < want; d--) {
      const day = this.#matchDay(d, q);
      for (const j of day.matches) {
        const i = day.first + j;
        if (i >= hi || i < lo) continue;
        if (q.channel !== undefined && w.channelOf(i) !== q.channel) continue;
        if (!w.isVisible(i, now)) continue;
        if (!this.realism.perfect && indexedAt(w, this.realism, i) > now) continue;
        matchedTotal++;
        if (found.length < want) found.push(i);
      }
      scannedVideos += Math.min(hi, day.first + day.count) - Math.max(lo, day.first);
    }
    const span = hi - lo;
    const totalResults = Math.min(
      1_000_000,
      estimateTotal(
        this.realism,
        scannedVideos >= span ? matchedTotal : Math.round((matchedTotal * span) / Math.max(1, scannedVideos)),
      ),
    );
    return { indices: this.#rank(found, q, now).slice(0, MAX_RESULTS), totalResults };
  }

  #rank(found: number[], q: SearchQuery, now: number): number[] {
    const w = this.#world;
    if (q.order === 'date') return found;
    if (q.order === 'title') {
      const titled = found.map((i) => [i, w.title(i)] as const);
      titled.sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
      return titled.map((t) => t[0]);
    }
    const qh = hash2(
      q.words.reduce((a, x) => hash2(a, x), 7),
      q.order.length,
    );
    const partial = (q.minWords ?? q.words.length) < q.words.length;
    const wanted = new Set(q.words);
    const score = (i: number): number => {
      const s = w.statistics(i, now);
      if (q.order === 'viewCount') return s.viewCount;
      if (q.order === 'rating') return s.likeCount ?? 0;
      // relevance: words matched, popularity, recency and a per-query draw
      const ageDays = (now - w.publishedAt(i)) / DAY_MS;
      const matched = partial ? w.wordIds(i).filter((x) => wanted.has(x)).length : 0;
      return 4 * matched + Math.log1p(s.viewCount) - 0.02 * ageDays + 3 * (hash2(i, qh) / 4294967296);
    };
    const scored = found.map((i) => [i, score(i)] as const);
    scored.sort((a, b) => b[1] - a[1]);
    return scored.map((s) => s[0]);
  }
}

function contains(sorted: Uint16Array | Uint32Array, x: number): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = sorted[mid]!;
    if (v === x) return true;
    if (v < x) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}
