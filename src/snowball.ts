import { normalizeQuery } from './dao/search-queue.ts';

/**
 * Snowballing: from the videos one query found, derive related queries — the words and tags that
 * recur across results, which the parent query did not already contain. Pure and deterministic.
 */
const STOPWORDS = new Set(
  `a an the and or but of to in on at for with from by is are was were be been it its this that these those
  i you he she we they me my your our their his her as not no so if then than too very can will just how what
  why who when where which all any more most new official video videos full hd 4k part vs ft feat amp
  de la el en y los las le les des du et un une il est para por con que del`.split(/\s+/),
);

const WORD_RE = /[\p{L}\p{N}][\p{L}\p{N}'-]*/gu;

export function candidateTerms(texts: { title: string; tags: string[] }[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const t of texts) {
    const seen = new Set<string>();
    for (const m of t.title.toLowerCase().matchAll(WORD_RE)) seen.add(m[0]);
    for (const tag of t.tags) {
      const n = normalizeQuery(tag);
      if (n.length >= 3 && n.length <= 40) seen.add(n);
    }
    for (const w of seen) {
      // Longer than any real search term (and a query may hold 200 characters at most).
      if (w.length < 3 || w.length > 40 || STOPWORDS.has(w) || /^\d+$/.test(w)) continue;
      counts.set(w, (counts.get(w) ?? 0) + 1);
    }
  }
  return counts;
}

/**
 * Up to `max` new queries: terms found in at least two results, most frequent first (ties by term),
 * skipping terms of the parent query and ones already queued.
 */
export function snowballQueries(
  parent: string,
  texts: { title: string; tags: string[] }[],
  opts: { max: number; alreadyQueued?: (norm: string) => boolean },
): string[] {
  if (opts.max <= 0) return [];
  const parentWords = new Set(normalizeQuery(parent).split(' '));
  const ranked = [...candidateTerms(texts)]
    .filter(([term, n]) => n >= 2 && !term.split(' ').every((w) => parentWords.has(w)))
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const out: string[] = [];
  for (const [term] of ranked) {
    if (opts.alreadyQueued?.(normalizeQuery(term))) continue;
    out.push(term);
    if (out.length >= opts.max) break;
  }
  return out;
}
