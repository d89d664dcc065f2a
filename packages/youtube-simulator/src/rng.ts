/**
 * Cheap deterministic randomness for the synthetic world. Everything about a video is a pure function
 * of (seed, video index), computed on demand with 32-bit integer hashes, so the world needs no stored
 * objects and answers in O(1) per video.
 */

/** A strong 32-bit integer mixer (Chris Wellons' lowbias32); returns an unsigned 32-bit value. */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Hash of two 32-bit values. */
export const hash2 = (a: number, b: number): number =>
  mix32(mix32(a) ^ Math.imul(b + 0x9e3779b9, 0x85ebca6b));

/** A float in [0, 1) from two 32-bit values. */
export const unit2 = (a: number, b: number): number => hash2(a, b) / 4294967296;

/** A standard normal variate from two uniform ones (Box–Muller). */
export function normal(u1: number, u2: number): number {
  return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
}

/** A seeded stream of floats in [0, 1) (mulberry32), for the simulator's fault dice. */
export function stream(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * An invertible permutation of 64-bit values held as two 32-bit halves: a four-round Feistel network.
 * Video index → id and id → index are both a handful of multiplications, with no table.
 */
export class Feistel64 {
  readonly #keys: number[];
  constructor(seed: number) {
    this.#keys = [1, 2, 3, 4].map((r) => hash2(seed, 0x51ed27 + r));
  }
  encrypt(hi: number, lo: number): [number, number] {
    let l = hi >>> 0;
    let r = lo >>> 0;
    for (const k of this.#keys) {
      const t = (l ^ mix32(r ^ k)) >>> 0;
      l = r;
      r = t;
    }
    return [l, r];
  }
  decrypt(hi: number, lo: number): [number, number] {
    let l = hi >>> 0;
    let r = lo >>> 0;
    for (let i = this.#keys.length - 1; i >= 0; i--) {
      const t = (r ^ mix32(l ^ this.#keys[i]!)) >>> 0;
      r = l;
      l = t;
    }
    return [l, r];
  }
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/**
 * The 11-character video id of 64 bits, laid out exactly as src/video-id.ts reads it: ten characters
 * of 6 bits from the top, then one character carrying the last 4 bits.
 */
export function encodeVideoId(hi: number, lo: number): string {
  let s = '';
  for (let shift = 58; shift >= 4; shift -= 6) {
    const v =
      shift >= 32
        ? (hi >>> (shift - 32)) & 63
        : shift + 6 <= 32
          ? (lo >>> shift) & 63
          : ((hi << (32 - shift)) | (lo >>> shift)) & 63;
    s += ALPHABET[v];
  }
  return s + ALPHABET[(lo & 15) << 2];
}

/** The 64 bits of a video id as [hi, lo], or null when `id` is not a well-formed video id. */
export function decodeVideoId(id: string): [number, number] | null {
  if (id.length !== 11) return null;
  let hi = 0;
  let lo = 0;
  for (let i = 0; i < 10; i++) {
    const c = id.charCodeAt(i);
    const v = c < 128 ? DECODE[c]! : -1;
    if (v < 0) return null;
    // shift the 64-bit (hi, lo) left by 6 and add v
    hi = ((hi << 6) | (lo >>> 26)) >>> 0;
    lo = ((lo << 6) | v) >>> 0;
  }
  const c = id.charCodeAt(10);
  const last = c < 128 ? DECODE[c]! : -1;
  if (last < 0 || (last & 3) !== 0) return null;
  hi = ((hi << 4) | (lo >>> 28)) >>> 0;
  lo = ((lo << 4) | (last >> 2)) >>> 0;
  return [hi, lo];
}

/** 27 base64url characters that look like a YouTube etag, from a 32-bit state. */
export function etagOf(state: number): string {
  let s = '';
  let x = state >>> 0;
  for (let i = 0; i < 6; i++) {
    x = mix32(x + 0x9e3779b9 + i);
    s += ALPHABET[x & 63]! + ALPHABET[(x >>> 6) & 63]! + ALPHABET[(x >>> 12) & 63]!;
    s += ALPHABET[(x >>> 18) & 63]! + ALPHABET[(x >>> 24) & 63]!;
  }
  return s.slice(0, 27);
}

/** A string hash (FNV-1a, then mixed) for query texts, handles and page-token signatures. */
export function hashString(s: string, seed = 0): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return mix32(h);
}
