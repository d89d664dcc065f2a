import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { type ApiError, apiErrors, statsReason } from './api-errors.ts';
import { channelFeed, FEED_PATH, type FeedOptions } from './channel-feed.ts';
import { type Clock, ManualClock, ScaledClock } from './clock.ts';
import { type FaultInjector, faultsSchema } from './faults.ts';
import { keyFingerprint } from './fingerprint.ts';
import { ENDPOINTS, Reject } from './handlers.ts';
import type { WebSubHub } from './hub.ts';
import type { LatencySampler } from './latency.ts';
import type { KeyRateLimiter, PacificDays, QuotaLedger } from './quota.ts';
import type { SearchIndex } from './search.ts';
import type { StatsRecorder } from './stats.ts';
import type { World } from './world.ts';

/**
 * The HTTP face of the simulator on node:http (no framework: videos.list must stay cheap). API
 * requests go through key checks, rate limit, injected faults and quota before their handler; the
 * admin endpoints under /admin/ read stats and steer faults, the clock and video states.
 */

export interface ServerState {
  world: World;
  search: SearchIndex;
  clock: Clock;
  ledger: QuotaLedger;
  limiter: KeyRateLimiter;
  faults: FaultInjector;
  stats: StatsRecorder;
  days: PacificDays;
  /** null: every key is accepted. */
  keys: Set<string> | null;
  hub?: WebSubHub | null;
  /** YouTube's answer times per method (latency.ts); null: answers at once. */
  latency?: LatencySampler | null;
  /** The channels' public Atom feeds (channel-feed.ts); absent: the defaults. */
  feed?: FeedOptions;
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=UTF-8', 'cache-control': 'private' };

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...JSON_HEADERS, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const fingerprints = new Map<string, string>();
/** Fingerprints of accepted keys are cached; unknown keys are hashed each time (they are not kept). */
function fingerprintOf(key: string, known: boolean): string {
  if (!known) return keyFingerprint(key);
  let fp = fingerprints.get(key);
  if (!fp) {
    if (fingerprints.size >= 10_000) fingerprints.clear(); // open mode accepts any key: stay bounded
    fp = keyFingerprint(key);
    fingerprints.set(key, fp);
  }
  return fp;
}

export async function listen(
  state: ServerState,
  port: number,
  host: string,
): Promise<{ server: Server; url: string }> {
  const hung = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const params = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
    const done = (err: unknown) => {
      if (!res.headersSent)
        send(res, 500, { error: { code: 500, message: String((err as Error)?.message ?? err) } });
    };
    if (path.startsWith('/youtube/v3/')) {
      api(state, req, res, path.slice(12), params, hung).catch(done);
    } else if (path.startsWith('/admin/')) {
      admin(state, req, res, path.slice(7)).catch(done);
    } else if (path === FEED_PATH && req.method === 'GET') {
      // Not the Data API: no key, no quota, not counted in the key stats (as YouTube's feed).
      const xml = channelFeed(state.world, params.get('channel_id') ?? '', state.clock.now(), state.feed);
      if (xml === null) {
        res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' });
        res.end('Not Found');
      } else {
        res.writeHead(200, {
          'content-type': 'text/xml; charset=UTF-8',
          'content-length': Buffer.byteLength(xml),
        });
        res.end(xml);
      }
    } else if (path === '/websub/hub' && state.hub) {
      state.hub.handle(req, res).catch(done);
    } else send(res, 404, apiErrors.notFound().body);
  });
  server.keepAliveTimeout = 65_000;
  server.on('close', () => {
    for (const r of hung) r.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const h = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return { server, url: `http://${h}:${addr.port}` };
}

async function api(
  s: ServerState,
  req: IncomingMessage,
  res: ServerResponse,
  name: string,
  params: URLSearchParams,
  hung: Set<ServerResponse>,
): Promise<void> {
  s.stats.request();
  const endpoint = ENDPOINTS[name];
  const fail = (e: ApiError, fp?: string, day?: string) => {
    s.stats.error(statsReason(e), fp, day);
    send(res, e.status, e.body);
  };
  if (!endpoint || req.method !== 'GET') return fail(apiErrors.notFound());
  if (s.faults.latencyMs > 0) await sleep(s.faults.latencyMs);
  const delay = s.latency?.delayMs(endpoint.method) ?? 0;
  if (delay > 0) await sleep(delay);
  const key = params.get('key');
  if (!key) return fail(apiErrors.keyMissing());
  const known = s.keys === null || s.keys.has(key);
  const now = s.clock.now();
  const day = s.days.of(now);
  const fp = fingerprintOf(key, known);
  s.stats.call(fp, day, endpoint.method);
  if (!known) return fail(apiErrors.keyInvalid(), fp, day);
  if (!s.limiter.allow(fp)) return fail(apiErrors.rateLimitExceeded(), fp, day);
  const charge = s.ledger.chargeFor(endpoint.method);
  const fault = s.faults.roll();
  if (fault === 'error500') return fail(apiErrors.backendError(), fp, day);
  if (fault === 'error503') return fail(apiErrors.unavailable(), fp, day);
  if (!s.ledger.canPay(fp, day, charge)) return fail(apiErrors.quotaExceeded(), fp, day);
  if (fault === 'hang') {
    // YouTube did the work and charged for it; the answer never arrives (the client times out)
    s.ledger.pay(fp, day, charge);
    s.stats.charge(fp, day, charge.bucket, charge.cost);
    s.stats.error('timeout', fp, day);
    hung.add(res);
    res.on('close', () => hung.delete(res));
    return;
  }
  let body: unknown;
  try {
    body = endpoint.handle(params, { world: s.world, search: s.search, now });
  } catch (err) {
    if (!(err instanceof Reject)) throw err;
    // invalid requests cost too: one unit of the method's bucket
    const c = { bucket: charge.bucket, cost: Math.min(1, charge.cost) };
    s.ledger.pay(fp, day, c);
    s.stats.charge(fp, day, c.bucket, c.cost);
    return fail(err.apiError, fp, day);
  }
  s.ledger.pay(fp, day, charge);
  s.stats.charge(fp, day, charge.bucket, charge.cost);
  send(res, 200, body);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > 65_536) throw new Error('body too large');
    chunks.push(c);
  }
  const text = Buffer.concat(chunks).toString() || '{}';
  return JSON.parse(text);
}

const clockBody = z.union([
  z.object({ advanceMs: z.number().int().min(0) }).strict(),
  z.object({ set: z.union([z.number().int(), z.iso.datetime({ offset: true })]) }).strict(),
]);
const stateBody = z
  .object({ state: z.enum(['public', 'private', 'deleted', 'likesHidden', 'commentsDisabled']) })
  .strict();

const titleBody = z.object({ title: z.string().min(1).max(100) }).strict();

async function admin(s: ServerState, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const bad = (message: string, status = 400) => send(res, status, { error: { code: status, message } });
  const parse = async <T>(schema: z.ZodType<T>): Promise<T | undefined> => {
    let raw: unknown;
    try {
      raw = await readJson(req);
    } catch {
      bad('expected a JSON body');
      return undefined;
    }
    const r = schema.safeParse(raw);
    if (!r.success) {
      bad(r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
      return undefined;
    }
    return r.data;
  };
  const now = () => s.clock.now();
  if (path === 'stats' && req.method === 'GET')
    return send(res, 200, s.stats.snapshot(s.days.of(now()), now()));
  if (path === 'stats/reset' && req.method === 'POST') {
    s.stats.reset();
    return send(res, 200, { ok: true });
  }
  if (path === 'faults') {
    if (req.method === 'POST') {
      const f = await parse(faultsSchema);
      if (!f) return;
      s.faults.set(f);
    }
    return send(res, 200, s.faults.get());
  }
  if (path === 'clock') {
    if (req.method === 'POST') {
      const b = await parse(clockBody);
      if (!b) return;
      const c = s.clock;
      if ('advanceMs' in b) {
        if (c instanceof ManualClock || c instanceof ScaledClock) c.advance(b.advanceMs);
        else return bad('this simulator runs on the system clock, which cannot be moved', 409);
      } else {
        if (!(c instanceof ManualClock)) return bad('only a manual clock can be set', 409);
        c.set(typeof b.set === 'number' ? b.set : Date.parse(b.set));
      }
    }
    return send(res, 200, { now: new Date(now()).toISOString(), day: s.days.of(now()) });
  }
  const m = /^videos\/([^/]+)\/state$/.exec(path);
  if (m && req.method === 'POST') {
    const b = await parse(stateBody);
    if (!b) return;
    const id = decodeURIComponent(m[1]!);
    if (s.world.indexOf(id) < 0) return bad(`no video ${id} in this world`, 404);
    s.world.setVideoState(id, b.state);
    return send(res, 200, { id, state: b.state });
  }
  const t = /^videos\/([^/]+)\/title$/.exec(path);
  if (t && req.method === 'POST') {
    const b = await parse(titleBody);
    if (!b) return;
    const id = decodeURIComponent(t[1]!);
    if (s.world.indexOf(id) < 0) return bad(`no video ${id} in this world`, 404);
    s.world.setVideoTitle(id, b.title);
    return send(res, 200, { id, title: b.title });
  }
  if (path === 'health') return send(res, 200, { ok: true, now: new Date(now()).toISOString() });
  return bad('not found', 404);
}
