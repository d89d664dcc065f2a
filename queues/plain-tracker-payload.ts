import { isRecordOf } from '../src/plain-record.ts';
import { VIDEO_ID_RE } from '../src/video-id.ts';

/**
 * A tracker job's payload as the dispatcher writes it, checked by hand: zod's walk over 50 videos was
 * most of the runtime's own CPU per job. True only for a payload `payloadSchemas.tracker` accepts
 * unchanged (no unknown field it would drop); anything else goes through the schema, which names the
 * bad field.
 */
export function isPlainTrackerPayload(data: unknown): boolean {
  if (!isRecordOf(data, PAYLOAD)) return false;
  if (!Number.isSafeInteger(data.leaseMin)) return false;
  const { batchIds, videos, capacity } = data;
  if (!Array.isArray(batchIds) || batchIds.length < 1 || batchIds.length > 50) return false;
  for (const b of batchIds) if (typeof b !== 'string' || !DIGITS.test(b)) return false;
  if (!Array.isArray(videos) || videos.length < 1 || videos.length > 50) return false;
  for (const v of videos) if (!isPlainVideo(v)) return false;
  return capacity === undefined || isPlainCapacity(capacity);
}

const PAYLOAD = new Set(['leaseMin', 'batchIds', 'videos', 'capacity']);
const VIDEO = new Set(['id', 'publishedMin', 'dueMin', 'tier', 'misses', 'lastTrackedMin']);
const CAPACITY = new Set(['demoteBelowVph', 'overloaded']);
const DIGITS = /^\d+$/;

const int = (n: unknown): n is number => Number.isSafeInteger(n);

function isPlainVideo(v: unknown): boolean {
  if (!isRecordOf(v, VIDEO)) return false;
  return (
    typeof v.id === 'string' &&
    VIDEO_ID_RE.test(v.id) &&
    int(v.publishedMin) &&
    int(v.dueMin) &&
    int(v.tier) &&
    v.tier >= 0 &&
    v.tier <= 2 &&
    int(v.misses) &&
    v.misses >= 0 &&
    int(v.lastTrackedMin) &&
    v.lastTrackedMin >= 0
  );
}

function isPlainCapacity(c: unknown): boolean {
  if (!isRecordOf(c, CAPACITY)) return false;
  const d = c.demoteBelowVph;
  return typeof d === 'number' && Number.isFinite(d) && d >= 0 && typeof c.overloaded === 'boolean';
}
