/**
 * YouTube video ids: 11 base64url characters holding exactly 64 bits (the last character carries only
 * 4 bits, so it is one of 16 letters). The watchlist and the hot table store them as int8.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Character code → 6-bit value (valid ids only: the regex is checked first). */
const INDEX = new Uint8Array(128);
for (let i = 0; i < ALPHABET.length; i++) INDEX[ALPHABET.charCodeAt(i)] = i;
export const VIDEO_ID_RE = /^[A-Za-z0-9_-]{10}[AEIMQUYcgkosw048]$/;

export function isVideoId(s: unknown): s is string {
  return typeof s === 'string' && VIDEO_ID_RE.test(s);
}

// The tracker converts every id of every job both ways: the 64 bits are handled as a 30-bit high part
// and a 34-bit low part in plain numbers (exact in a double), with three BigInt operations instead of
// one per character.
const LOW_BITS = 34n;
const LOW_MASK = (1n << LOW_BITS) - 1n;

/** Encodes a video id as a signed 64-bit integer (Postgres int8). */
export function videoIdToBigInt(id: string): bigint {
  if (!isVideoId(id)) throw new TypeError(`not a YouTube video id: ${JSON.stringify(id)}`);
  let hi = 0;
  for (let i = 0; i < 5; i++) hi = hi * 64 + INDEX[id.charCodeAt(i)]!;
  let lo = 0;
  for (let i = 5; i < 10; i++) lo = lo * 64 + INDEX[id.charCodeAt(i)]!;
  lo = lo * 16 + (INDEX[id.charCodeAt(10)]! >> 2);
  return BigInt.asIntN(64, (BigInt(hi) << LOW_BITS) | BigInt(lo));
}

export function bigIntToVideoId(n: bigint | string): string {
  const v = BigInt.asUintN(64, BigInt(n));
  let hi = Number(v >> LOW_BITS);
  const lo34 = Number(v & LOW_MASK);
  let lo = Math.floor(lo34 / 16);
  let low = '';
  for (let i = 0; i < 5; i++) {
    low = ALPHABET[lo % 64]! + low;
    lo = Math.floor(lo / 64);
  }
  let high = '';
  for (let i = 0; i < 5; i++) {
    high = ALPHABET[hi % 64]! + high;
    hi = Math.floor(hi / 64);
  }
  return high + low + ALPHABET[(lo34 % 16) << 2]!;
}

/** Makes a valid video id from 64 random-looking bits (the simulator and tests use it). */
export function videoIdFromBits(bits: bigint): string {
  return bigIntToVideoId(BigInt.asIntN(64, bits));
}
