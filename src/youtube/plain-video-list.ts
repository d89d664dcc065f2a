import { isRecordOf } from '../plain-record.ts';
import type { VideoListResponse } from './schemas.ts';

/**
 * The tracker's usual videos.list answer (statistics, nothing else per video) checked by hand: zod's
 * walk over 50 items was a twentieth of a tracker worker's CPU and a good part of its garbage. This
 * accepts only answers that `videoListResponseSchema` accepts too, unchanged (no unknown field that
 * zod would drop): it returns the answer itself, or undefined for anything else (another part, an
 * unknown field, a count it cannot vouch for, a malformed answer), which the client then parses with
 * the schema — so a malformed answer still fails there, with zod's message.
 */
export function plainVideoList(data: unknown): VideoListResponse | undefined {
  if (!isRecordOf(data, TOP)) return undefined;
  if (data.kind !== 'youtube#videoListResponse' || typeof data.etag !== 'string') return undefined;
  if (data.nextPageToken !== undefined && typeof data.nextPageToken !== 'string') return undefined;
  if (!isPageInfo(data.pageInfo)) return undefined;
  const items = data.items;
  if (!Array.isArray(items)) return undefined;
  for (const item of items) if (!isPlainVideo(item)) return undefined;
  return data as unknown as VideoListResponse;
}

const TOP = new Set(['kind', 'etag', 'nextPageToken', 'items', 'pageInfo']);
const PAGE_INFO = new Set(['totalResults', 'resultsPerPage']);
const ITEM = new Set(['kind', 'etag', 'id', 'statistics']);
const STATISTICS = new Set(['viewCount', 'likeCount', 'dislikeCount', 'favoriteCount', 'commentCount']);
// Digits only, and at most 18 of them: below 2^63 without a BigInt (a longer count goes to zod).
const COUNT = /^\d{1,18}$/;

const isCount = (n: unknown): boolean => Number.isSafeInteger(n) && (n as number) >= 0;

function isPageInfo(p: unknown): boolean {
  if (!isRecordOf(p, PAGE_INFO)) return false;
  return isCount(p.totalResults) && isCount(p.resultsPerPage);
}

function isPlainVideo(v: unknown): boolean {
  if (!isRecordOf(v, ITEM)) return false;
  if (v.kind !== 'youtube#video' || typeof v.etag !== 'string' || typeof v.id !== 'string') return false;
  const s = v.statistics;
  if (s === undefined) return true;
  if (!isRecordOf(s, STATISTICS)) return false;
  for (const k in s) {
    const c = s[k];
    if (typeof c !== 'string' || !COUNT.test(c)) return false;
  }
  return true;
}
