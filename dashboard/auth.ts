import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { InsecureDashboardError } from '../src/errors/index.ts';
import { sendError } from './http.ts';

/**
 * Operator access. A bearer token (header, or a cookie the login form sets) and/or a user and password
 * (HTTP basic). With neither configured the dashboard is open, which is only allowed on a loopback
 * address. Secrets are compared as SHA-256 digests with timingSafeEqual: equal lengths, constant time.
 */

export interface Credentials {
  token?: string | undefined;
  user?: string | undefined;
  password?: string | undefined;
}

export const SESSION_COOKIE = 'pleiades_session';

/** Paths anyone may fetch: the health probe, the login form and what it needs. */
const PUBLIC_PATHS = new Set(['/api/health', '/login', '/style.css', '/favicon.svg']);

const hasCredentials = (c: Credentials): boolean => Boolean(c.token || (c.user && c.password));

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (h.startsWith('::ffff:')) return h.slice(7).startsWith('127.');
  return false;
}

/** Refuses an open dashboard on anything but loopback. */
export function assertSafeBind(host: string, creds: Credentials): void {
  if (hasCredentials(creds) || isLoopbackHost(host)) return;
  throw new InsecureDashboardError(
    `refusing to serve the dashboard on ${host} without a credential: set DASHBOARD_TOKEN or ` +
      'DASHBOARD_USER and DASHBOARD_PASSWORD, or bind to a loopback address (HOST=127.0.0.1)',
  );
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time equality of two strings of any length. */
export function safeEqual(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** The cookie value: derived from every configured secret, so changing one logs everybody out. */
function sessionValue(c: Credentials): string {
  return createHmac('sha256', `${c.token ?? ''}\0${c.user ?? ''}\0${c.password ?? ''}`)
    .update('pleiades-dashboard-session-v1')
    .digest('hex');
}

function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return undefined;
}

type Verdict = 'ok' | 'none' | 'wrong';

function checkRequest(req: Request, c: Credentials): Verdict {
  const auth = req.headers.authorization ?? '';
  const [scheme, value = ''] = auth.split(/\s+/, 2) as [string, string?];
  if (c.token && /^bearer$/i.test(scheme)) return safeEqual(value, c.token) ? 'ok' : 'wrong';
  if (c.user && c.password && /^basic$/i.test(scheme)) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    const user = i < 0 ? decoded : decoded.slice(0, i);
    const pass = i < 0 ? '' : decoded.slice(i + 1);
    // Both comparisons always run, so the time does not tell which part was wrong.
    const okUser = safeEqual(user, c.user);
    const okPass = safeEqual(pass, c.password);
    return okUser && okPass ? 'ok' : 'wrong';
  }
  const cookie = readCookie(req, SESSION_COOKIE);
  if (cookie !== undefined) return safeEqual(cookie, sessionValue(c)) ? 'ok' : 'wrong';
  return auth ? 'wrong' : 'none';
}

/** Failed attempts per client address in a sliding minute: guessing a password is throttled. */
export class FailureLimiter {
  readonly #max: number;
  readonly #windowMs: number;
  readonly #hits = new Map<string, number[]>();
  constructor(max = 30, windowMs = 60_000) {
    this.#max = max;
    this.#windowMs = windowMs;
  }
  blocked(ip: string): boolean {
    const now = Date.now();
    const recent = (this.#hits.get(ip) ?? []).filter((t) => now - t < this.#windowMs);
    if (recent.length) this.#hits.set(ip, recent);
    else this.#hits.delete(ip);
    return recent.length >= this.#max;
  }
  fail(ip: string): void {
    const list = this.#hits.get(ip) ?? [];
    list.push(Date.now());
    this.#hits.set(ip, list);
    if (this.#hits.size > 10_000) this.#hits.delete(this.#hits.keys().next().value!);
  }
}

/**
 * The client's address: the socket's peer, or with TRUST_PROXY (Express's `trust proxy`) the address
 * the trusted proxies put in X-Forwarded-For.
 */
const clientAddress = (req: Request): string => req.ip ?? req.socket.remoteAddress ?? '?';

/**
 * Failed attempts only: once an address has failed too often, further wrong credentials get 429 until
 * the minute passes. Guessing is kept hopeless by the strength rule on the secrets themselves
 * (src/config/secrets.ts), not by the throttle, which only slows a script down and keeps logs quiet.
 */
const tooMany = (res: Response): void =>
  sendError(res, 429, 'too many failed attempts', [
    { field: 'authorization', message: 'wait a minute before trying again' },
  ]);

/** A browser navigating (it asks for HTML by name), not a script or a scraper. */
const wantsHtml = (req: Request): boolean =>
  req.method === 'GET' && (req.headers.accept ?? '').includes('text/html') && !/\/api(\/|$)/.test(req.path);

/**
 * Rejects cross-site writes (a page elsewhere posting to the dashboard with the operator's cookie or
 * cached basic credentials, or to an open loopback dashboard) and, on an open dashboard, requests
 * whose Host is not loopback (DNS rebinding).
 */
export function originGuard(open: boolean): RequestHandler {
  return (req, res, next) => {
    if (open) {
      const host = (req.headers.host ?? '').replace(/:\d+$/, '');
      if (!isLoopbackHost(host))
        return sendError(res, 403, 'forbidden', [
          { field: 'host', message: 'an open dashboard answers only to a loopback host name' },
        ]);
    }
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return next();
    // Browsers say where a request comes from in Sec-Fetch-Site; older ones only in Origin.
    const site = req.headers['sec-fetch-site'];
    const origin = req.headers.origin;
    let crossOrigin = false;
    if (typeof site === 'string') crossOrigin = site !== 'same-origin' && site !== 'none';
    else if (origin !== undefined) {
      try {
        crossOrigin = new URL(origin).host !== req.headers.host;
      } catch {
        crossOrigin = true; // "null": a sandboxed or privacy-stripped origin
      }
    }
    if (crossOrigin)
      return sendError(res, 403, 'forbidden', [
        { field: 'origin', message: 'cross-site requests may not change anything' },
      ]);
    next();
  };
}

/** Everything but the public paths needs a credential when one is configured. */
export function requireAuth(c: Credentials, limiter: FailureLimiter): RequestHandler {
  const challenge =
    c.user && c.password ? 'Basic realm="Pleiades", charset="UTF-8"' : 'Bearer realm="Pleiades"';
  return (req, res, next) => {
    if (!hasCredentials(c) || PUBLIC_PATHS.has(req.path)) return next();
    // The credential is checked first: a valid one always passes, so failures from an address (or
    // from everyone behind the same proxy, without TRUST_PROXY) cannot lock the operator out.
    const verdict = checkRequest(req, c);
    if (verdict === 'ok') return next();
    const ip = clientAddress(req);
    if (verdict === 'wrong' && limiter.blocked(ip)) return tooMany(res);
    if (verdict === 'wrong') limiter.fail(ip);
    if (wantsHtml(req)) return res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
    res.setHeader('WWW-Authenticate', challenge);
    sendError(res, 401, 'unauthorized', [
      {
        field: 'authorization',
        message:
          verdict === 'wrong'
            ? 'the credential is not valid'
            : 'send "Authorization: Bearer <DASHBOARD_TOKEN>" or basic credentials',
      },
    ]);
  };
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** Only same-site paths: a login link cannot redirect the operator elsewhere. */
const safeNext = (next: unknown): string =>
  typeof next === 'string' && next.startsWith('/') && !next.startsWith('//') && !next.includes('\\')
    ? next
    : '/';

function loginPage(c: Credentials, next: string, failed: boolean): string {
  const token = c.token
    ? '<label>Token<input name="token" type="password" autocomplete="current-password" autofocus></label>'
    : '';
  const basic =
    c.user && c.password
      ? `${c.token ? '<p class="or">or</p>' : ''}<label>User<input name="user" autocomplete="username"${c.token ? '' : ' autofocus'}></label>
      <label>Password<input name="password" type="password" autocomplete="current-password"></label>`
      : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Pleiades · sign in</title><link rel="stylesheet" href="/style.css"><link rel="icon" href="/favicon.svg"></head>
<body class="login"><form method="post" action="/login" class="card login-card">
<h1><span class="logo">✦</span> Pleiades</h1>
${failed ? '<p class="error" role="alert">That did not match. Try again.</p>' : ''}
<input type="hidden" name="next" value="${escapeHtml(next)}">
${token}${basic}
<button type="submit">Sign in</button></form></body></html>`;
}

/** GET/POST /login and POST /logout: the cookie for browsers. */
export function loginRoutes(c: Credentials, limiter: FailureLimiter): Router {
  const router = express.Router();
  const secure = (req: Request): string => (req.secure ? '; Secure' : '');
  router.get('/login', (req, res) => {
    if (!hasCredentials(c)) return res.redirect(303, '/');
    res.type('html').send(loginPage(c, safeNext(req.query.next), req.query.failed === '1'));
  });
  router.post('/login', express.urlencoded({ extended: false, limit: '4kb' }), (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const next = safeNext(body.next);
    const str = (v: unknown): string => (typeof v === 'string' ? v : '');
    const tokenOk = c.token ? safeEqual(str(body.token), c.token) : false;
    const userOk = c.user && c.password ? safeEqual(str(body.user), c.user) : false;
    const passOk = c.user && c.password ? safeEqual(str(body.password), c.password) : false;
    if (!hasCredentials(c)) return res.redirect(303, next);
    if (!tokenOk && !(userOk && passOk)) {
      const ip = clientAddress(req);
      if (limiter.blocked(ip)) return tooMany(res);
      limiter.fail(ip);
      return res.redirect(303, `/login?failed=1&next=${encodeURIComponent(next)}`);
    }
    res.setHeader(
      'Set-Cookie',
      `${SESSION_COOKIE}=${sessionValue(c)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${30 * 86400}${secure(req)}`,
    );
    res.redirect(303, next);
  });
  router.post('/logout', (req, res) => {
    res.setHeader(
      'Set-Cookie',
      `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure(req)}`,
    );
    res.redirect(303, hasCredentials(c) ? '/login' : '/');
  });
  return router;
}
