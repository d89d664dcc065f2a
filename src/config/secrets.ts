import { isIP } from 'node:net';
import { z } from 'zod';

/**
 * The rule for operator secrets (DASHBOARD_TOKEN, DASHBOARD_PASSWORD): at least `min` characters, at
 * least half of them different (so `aaaa…` or `1212…` is refused), and no whitespace at either end (a
 * padded value is almost always a copy-paste slip, and a blank one is no secret at all). The login
 * throttle lets a valid credential through whatever an address did before, so it is this rule, not
 * the throttle, that keeps guessing hopeless: `openssl rand -hex 32` makes a good token.
 */
export function secretText(min: number) {
  return z
    .string()
    .refine((s) => s.trim() === s, { message: 'must not start or end with whitespace' })
    .refine((s) => s.length >= min, { message: `expected at least ${min} characters` })
    .refine((s) => new Set(s).size >= Math.ceil(min / 2), {
      message: `too weak: expected at least ${Math.ceil(min / 2)} different characters`,
    });
}

/** A basic-auth user name: not blank, not padded, and without ":" (which ends the user in basic auth). */
export const userName = z
  .string()
  .refine((s) => s.trim() === s && s.length > 0, {
    message: 'must not be blank or start or end with whitespace',
  })
  .refine((s) => !s.includes(':'), { message: 'must not contain ":" (basic auth splits there)' });

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

const isProxyAddress = (s: string): boolean => {
  if (PROXY_NAMES.has(s)) return true;
  const [ip, bits, ...rest] = s.split('/');
  if (rest.length || !ip || isIP(ip) === 0) return false;
  if (bits === undefined) return true;
  const max = isIP(ip) === 4 ? 32 : 128;
  return /^\d+$/.test(bits) && Number(bits) <= max;
};

/**
 * Express's `trust proxy` (https://expressjs.com/en/guide/behind-proxies.html): `false` (default: the
 * socket's peer is the client), `true` (trust every hop: only when the port is reachable through the
 * proxy alone), a number of hops, or proxies by address, subnet or name (loopback, linklocal,
 * uniquelocal), comma-separated.
 */
export const trustProxy = z.string().transform((s, ctx): boolean | number | string[] => {
  const v = s.trim();
  if (v === 'true' || v === 'false') return v === 'true';
  if (/^\d+$/.test(v)) {
    if (Number(v) <= 100) return Number(v);
    ctx.addIssue({ code: 'custom', message: 'expected at most 100 (hops)' });
    return z.NEVER;
  }
  const list = v.split(',').map((x) => x.trim());
  if (list.length > 0 && list.every(isProxyAddress)) return list;
  ctx.addIssue({
    code: 'custom',
    message:
      'expected true, false, a hop count (0-100) or comma-separated proxy addresses/subnets (or loopback, linklocal, uniquelocal)',
  });
  return z.NEVER;
});
