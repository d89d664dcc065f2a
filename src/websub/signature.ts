import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * WebSub's content signature: `X-Hub-Signature: <algo>=<hex HMAC of the raw body>` keyed with the
 * subscription's secret. YouTube's hub signs with sha1 (PubSubHubbub 0.4); WebSub also allows sha256,
 * sha384 and sha512. The sending side (signBody) is the hub's: the simulator package owns it.
 */

const ALGORITHMS = new Set(['sha1', 'sha256', 'sha384', 'sha512']);

/** Whether `header` is a valid signature of `body` under `secret` (constant-time comparison). */
export function verifySignature(secret: string, body: Buffer, header: string | undefined): boolean {
  if (!header) return false;
  const m = /^(sha1|sha256|sha384|sha512)=([0-9a-fA-F]+)$/.exec(header.trim());
  if (!m || !ALGORITHMS.has(m[1]!)) return false;
  const expected = createHmac(m[1]!, secret).update(body).digest();
  const given = Buffer.from(m[2]!, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
