/**
 * A video's last observation, 4 bytes kept in its schedule batch (sql/005_dataset.sql): enough to
 * compute the views gained since the last snapshot and to tell which lifecycle flags changed, without a
 * lookup per video and within the watchlist's byte budget. One big-endian 32-bit word:
 *
 *   bit 31      statistics seen (0: never polled yet)
 *   bit 30      the view count was present
 *   bit 29      likes hidden (likeCount absent)
 *   bit 28      comments disabled (commentCount absent)
 *   bits 0-27   the view count's low 28 bits
 *
 * The change between two snapshots is exact from −1,048,576 (YouTube removing views) to +267,386,879:
 * no video gains more between two polls of its tier.
 */
export const OBS_BYTES = 4;

export interface Observation {
  /** Statistics were read at least once. */
  seen: boolean;
  /** Low 28 bits of the view count at the last snapshot; null when YouTube gave none. */
  viewsLow: number | null;
  likesHidden: boolean;
  commentsDisabled: boolean;
}

const SEEN = 0x8000_0000;
const VIEWS = 0x4000_0000;
const LIKES_HIDDEN = 0x2000_0000;
const COMMENTS_OFF = 0x1000_0000;
const LOW_BITS = 28;
const LOW_MASK = 0x0fff_ffff;
const SPAN = 2 ** LOW_BITS;
/** Differences this close below 2^28 are removals, not gains. */
const REMOVAL_RANGE = 2 ** 20;

export const UNKNOWN: Observation = {
  seen: false,
  viewsLow: null,
  likesHidden: false,
  commentsDisabled: false,
};

/** The observation's 32-bit word (unsigned), as `encodeObservation` writes it big-endian. */
export function observationWord(o: Observation): number {
  const word =
    (o.seen ? SEEN : 0) |
    (o.viewsLow !== null ? VIEWS : 0) |
    (o.likesHidden ? LIKES_HIDDEN : 0) |
    (o.commentsDisabled ? COMMENTS_OFF : 0) |
    ((o.viewsLow ?? 0) & LOW_MASK);
  return word >>> 0;
}

export function encodeObservation(o: Observation, out: Buffer = Buffer.alloc(OBS_BYTES), at = 0): Buffer {
  out.writeUInt32BE(observationWord(o), at);
  return out;
}

export function decodeObservation(buf: Buffer, at = 0): Observation {
  const word = buf.readUInt32BE(at);
  return {
    seen: (word & SEEN) !== 0,
    viewsLow: word & VIEWS ? word & LOW_MASK : null,
    likesHidden: (word & LIKES_HIDDEN) !== 0,
    commentsDisabled: (word & COMMENTS_OFF) !== 0,
  };
}

export const lowBits = (views: bigint): number => Number(BigInt.asUintN(LOW_BITS, views));

/** Views gained since an earlier count's low bits (negative when YouTube removed views). */
export function viewsGained(earlierLow: number, now: bigint): number {
  const d = (lowBits(now) - earlierLow + SPAN) % SPAN;
  return d >= SPAN - REMOVAL_RANGE ? d - SPAN : d;
}

/** What a poll saw of a video that was in YouTube's answer. */
export function observe(stats: {
  views: bigint | null;
  likes: bigint | null;
  comments: bigint | null;
}): Observation {
  return {
    seen: true,
    viewsLow: stats.views === null ? null : lowBits(stats.views),
    likesHidden: stats.likes === null,
    commentsDisabled: stats.comments === null,
  };
}
