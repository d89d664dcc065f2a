/**
 * YouTube video ids: 11 base64url characters holding exactly 64 bits (the last character carries only
 * 4 bits, so it is one of 16 letters). The watchlist and the hot table store them as int8.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const INDEX = new Map([...ALPHABET].map((c, i) => [c, i]));
export const VIDEO_ID_RE = /^[A-Za-z0-9_-]{10}[AEIMQUYcgkosw048]$/;

export function isVideoId(s: unknown): s is string {
  return typeof s === 'string' && VIDEO_ID_RE.test(s);
}

/** Encodes a video id as a signed 64-bit integer (Postgres int8). */
export function videoIdToBigInt(id: string): bigint {
  if (!isVideoId(id)) throw new TypeError(`not a YouTube video id: ${JSON.stringify(id)}`);
  let v = 0n;
  for (let i = 0; i < 10; i++) v = (v << 6n) | BigInt(INDEX.get(id[i]!)!);
  v = (v << 4n) | BigInt(INDEX.get(id[10]!)! >> 2);
  return BigInt.asIntN(64, v);
}

export function bigIntToVideoId(n: bigint | string): string {
  let v = BigInt.asUintN(64, BigInt(n));
  const last = ALPHABET[Number(v & 15n) << 2]!;
  v >>= 4n;
  const chars: string[] = [];
  for (let i = 0; i < 10; i++) {
    chars.push(ALPHABET[Number(v & 63n)]!);
    v >>= 6n;
  }
  return chars.reverse().join('') + last;
}

/** Makes a valid video id from 64 random-looking bits (the simulator and tests use it). */
export function videoIdFromBits(bits: bigint): string {
  return bigIntToVideoId(BigInt.asIntN(64, bits));
}
