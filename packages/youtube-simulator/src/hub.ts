import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from './clock.ts';
import {
  buildDeletedFeed,
  deliveryOffsets,
  type HubRealism,
  type HubRealismOption,
  hubRealism,
} from './hub-realism.ts';
import { hash2 } from './rng.ts';
import { buildFeed, signBody } from './websub-feed.ts';
import { channelOfTopic } from './websub-topic.ts';
import type { World } from './world.ts';

/**
 * A WebSub hub for the simulated channels, as YouTube's (pubsubhubbub.appspot.com) behaves: a
 * subscriber POSTs `hub.mode`, `hub.callback`, `hub.topic`, `hub.lease_seconds`, `hub.secret` (form
 * encoded) and gets 202; the hub then verifies intent with a GET to the callback carrying
 * `hub.challenge`, which must come back as the body. A verified subscription lasts its lease (on the
 * simulator's clock). When subscribed channels publish, `deliver()` POSTs an Atom feed per channel to
 * the callback, signed with `X-Hub-Signature: sha1=<HMAC of the body>` when a secret was given. With
 * `deliverEveryMs` a timer delivers by itself (the default start); tests call `deliver()`.
 */

export interface HubOptions {
  /** The lease granted: what the subscriber asks for, at most this (default 432,000 s, 5 days). */
  maxLeaseSeconds?: number;
  /** Deliver new uploads every this many real ms (0: only when `deliver()` is called). Default 1000. */
  deliverEveryMs?: number;
  timeoutMs?: number;
  /** Delays, duplicates and drops as YouTube's hub (default 'realistic'; docs/simulator.md). */
  realism?: HubRealismOption;
}

/** A change of a published video the hub announces: a new title, or its removal. */
interface Change {
  index: number;
  kind: 'title' | 'deleted';
  at: number;
  seq: number;
}

/** One notification due to a subscriber: an upload or a change, possibly a second copy. */
interface Due {
  index: number;
  kind: 'upload' | 'title' | 'deleted';
  at: number;
  copy: number;
  /** Changes only: their sequence number. */
  seq?: number;
}

interface Subscription {
  callback: string;
  topic: string;
  channel: number;
  secret: string | null;
  expiresAt: number;
  /** Uploads published up to this time (simulator clock) have been announced. */
  deliveredUntil: number;
  /** Changes (seq:copy) already announced: a change may be made at the very ms of a delivery. */
  sentChanges: Set<string>;
}

export interface HubStats {
  subscriptions: number;
  verified: number;
  refused: number;
  notifications: number;
  entries: number;
  /** Notifications the callback did not accept with a 2xx. */
  rejected: number;
}

const MAX_ENTRIES = 50;

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > 16_384) throw new Error('body too large');
    chunks.push(c);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString());
}

export class WebSubHub {
  readonly #world: World;
  readonly #clock: Clock;
  readonly #maxLease: number;
  readonly #timeoutMs: number;
  readonly #subs = new Map<string, Subscription>();
  readonly #pending = new Set<Promise<void>>();
  readonly #stats: HubStats = {
    subscriptions: 0,
    verified: 0,
    refused: 0,
    notifications: 0,
    entries: 0,
    rejected: 0,
  };
  #timer: NodeJS.Timeout | null = null;
  #delivering: Promise<unknown> | null = null;
  /** Tests may change the knobs between deliveries. */
  realism: HubRealism;
  #changes: Change[] = [];
  #changeSeq = 0;

  constructor(world: World, clock: Clock, opts: HubOptions = {}) {
    this.#world = world;
    this.#clock = clock;
    this.#maxLease = opts.maxLeaseSeconds ?? 432_000;
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
    this.realism = hubRealism(opts.realism);
    world.onChange((index, change) => {
      const kind =
        change === 'title' ? 'title' : change === 'deleted' || change === 'private' ? 'deleted' : null;
      if (kind) this.#changes.push({ index, kind, at: clock.now(), seq: ++this.#changeSeq });
    });
    const every = opts.deliverEveryMs ?? 1000;
    if (every > 0) {
      this.#timer = setInterval(() => {
        if (this.#subs.size > 0 && !this.#delivering) void this.deliver().catch(() => {});
      }, every);
      this.#timer.unref();
    }
  }

  /** POST /websub/hub: a (un)subscription request. Verification follows asynchronously. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply = (status: number, text: string) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(text);
    };
    if (req.method !== 'POST') return reply(405, 'POST a form to subscribe');
    let form: URLSearchParams;
    try {
      form = await readForm(req);
    } catch {
      return reply(400, 'unreadable body');
    }
    const mode = form.get('hub.mode');
    const callback = form.get('hub.callback') ?? '';
    const topic = form.get('hub.topic') ?? '';
    const secret = form.get('hub.secret');
    const lease = Number(form.get('hub.lease_seconds') ?? this.#maxLease);
    if (mode !== 'subscribe' && mode !== 'unsubscribe')
      return reply(400, 'hub.mode must be subscribe or unsubscribe');
    let url: URL;
    try {
      url = new URL(callback);
    } catch {
      return reply(400, 'hub.callback must be a URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      return reply(400, 'hub.callback must be http(s)');
    const channelId = channelOfTopic(topic);
    const channel = channelId ? this.#world.findChannel(channelId) : undefined;
    if (!channel || channel.id !== channelId)
      return reply(400, `hub.topic is not a channel feed of this world`);
    if (secret !== null && (secret.length === 0 || Buffer.byteLength(secret) >= 200))
      return reply(400, 'hub.secret must be 1 to 199 bytes');
    const leaseSeconds =
      Number.isFinite(lease) && lease > 0 ? Math.min(Math.floor(lease), this.#maxLease) : this.#maxLease;
    reply(202, '');
    const p = this.#verify({ mode, callback, topic, channel: channel.index, secret, leaseSeconds }).finally(
      () => this.#pending.delete(p),
    );
    this.#pending.add(p);
  }

  async #verify(o: {
    mode: 'subscribe' | 'unsubscribe';
    callback: string;
    topic: string;
    channel: number;
    secret: string | null;
    leaseSeconds: number;
  }): Promise<void> {
    const challenge = randomBytes(16).toString('hex');
    const url = new URL(o.callback);
    url.searchParams.set('hub.mode', o.mode);
    url.searchParams.set('hub.topic', o.topic);
    url.searchParams.set('hub.challenge', challenge);
    if (o.mode === 'subscribe') url.searchParams.set('hub.lease_seconds', String(o.leaseSeconds));
    let ok = false;
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(this.#timeoutMs) });
      ok = r.status >= 200 && r.status < 300 && (await r.text()) === challenge;
    } catch {
      ok = false;
    }
    const key = `${o.callback}\u0000${o.topic}`;
    if (!ok) {
      this.#stats.refused++;
      return;
    }
    this.#stats.verified++;
    if (o.mode === 'unsubscribe') {
      this.#subs.delete(key);
      return;
    }
    const now = this.#clock.now();
    const prev = this.#subs.get(key);
    this.#subs.set(key, {
      callback: o.callback,
      topic: o.topic,
      channel: o.channel,
      secret: o.secret,
      expiresAt: now + o.leaseSeconds * 1000,
      // A renewal keeps its place; a new subscription announces what is published from now on.
      deliveredUntil: prev?.deliveredUntil ?? now,
      sentChanges: prev?.sentChanges ?? new Set(),
    });
  }

  /** Resolves when every verification started so far has finished. */
  async settled(): Promise<void> {
    while (this.#pending.size) await Promise.all([...this.#pending]);
  }

  /**
   * Sends every notification that has come due since the last delivery: uploads of subscribed channels
   * and changes of their videos (a new title, a removal), each after its delivery delay, some twice,
   * some never (HubRealism). One signed Atom POST per subscription and kind (50 entries at most each);
   * a second copy goes in a POST of its own. Lapsed subscriptions are dropped, as the hub does.
   */
  async deliver(): Promise<{ notifications: number; entries: number; rejected: number }> {
    const now = this.#clock.now();
    const w = this.#world;
    const live: Subscription[] = [];
    for (const [key, s] of this.#subs)
      if (s.expiresAt <= now) this.#subs.delete(key);
      else live.push(s);
    const out = { notifications: 0, entries: 0, rejected: 0 };
    if (live.length === 0) return out;
    const maxDelay = this.realism.maxDelayS * 2000; // a duplicate comes after two delays at most
    const from = Math.min(...live.map((s) => s.deliveredUntil)) - maxDelay;
    const byChannel = new Map<number, Due[]>();
    for (const s of live) byChannel.set(s.channel, []);
    const due = (list: Due[] | undefined, d: Omit<Due, 'at' | 'copy'>, at: number, key: number) => {
      if (!list) return;
      deliveryOffsets(this.realism, w.seed, key).forEach((off, copy) => {
        if (at + off <= now) list.push({ ...d, at: at + off, copy });
      });
    };
    const end = w.publishedCount(now);
    for (let i = w.firstIndexAtOrAfter(from + 1); i < end; i++) {
      const list = byChannel.get(w.channelOf(i));
      if (list && w.isVisible(i, now)) due(list, { index: i, kind: 'upload' }, w.publishedAt(i), i);
    }
    for (const c of this.#changes) due(byChannel.get(w.channelOf(c.index)), c, c.at, hash2(c.index, c.seq));
    const kept = this.#changes.filter((c) => c.at > from);
    if (kept.length < this.#changes.length) {
      const seqs = new Set(kept.map((c) => String(c.seq)));
      for (const s of live)
        for (const k of s.sentChanges) if (!seqs.has(k.split(':')[0]!)) s.sentChanges.delete(k);
    }
    this.#changes = kept;
    const sends: Promise<void>[] = [];
    for (const s of live) {
      const since = s.deliveredUntil;
      s.deliveredUntil = now;
      const fresh = (byChannel.get(s.channel) ?? [])
        .filter((d) => (d.seq === undefined ? d.at > since : !s.sentChanges.has(`${d.seq}:${d.copy}`)))
        .sort((a, b) => b.at - a.at);
      for (const d of fresh) if (d.seq !== undefined) s.sentChanges.add(`${d.seq}:${d.copy}`);
      const ch = w.channel(s.channel);
      for (const copy of [0, 1]) {
        const mine = fresh.filter((d) => d.copy === copy);
        const entries = mine.filter((d) => d.kind !== 'deleted' && w.isVisible(d.index, now));
        for (let k = 0; k < entries.length; k += MAX_ENTRIES) {
          const feed = entries.slice(k, k + MAX_ENTRIES).map((d) => {
            const v = w.details(d.index);
            return {
              videoId: v.id,
              title: v.title,
              channelTitle: v.channel.title,
              publishedAt: new Date(v.publishedAt),
              updatedAt: new Date(Math.max(v.publishedAt, d.at)),
            };
          });
          sends.push(this.#post(s, buildFeed(ch.id, s.topic, feed), feed.length, out));
        }
        const gone = mine.filter((d) => d.kind === 'deleted' && !w.isVisible(d.index, now));
        if (gone.length)
          sends.push(
            this.#post(
              s,
              buildDeletedFeed(
                ch.id,
                ch.title,
                gone.map((d) => ({ videoId: w.videoIdAt(d.index), at: new Date(d.at) })),
              ),
              gone.length,
              out,
            ),
          );
      }
    }
    const all = Promise.all(sends);
    this.#delivering = all;
    try {
      await all;
    } finally {
      this.#delivering = null;
    }
    return out;
  }

  async #post(
    s: Subscription,
    body: string,
    entries: number,
    out: { notifications: number; entries: number; rejected: number },
  ): Promise<void> {
    const headers: Record<string, string> = {
      'content-type': 'application/atom+xml',
      link: `<https://pubsubhubbub.appspot.com>; rel=hub, <${s.topic}>; rel=self`,
    };
    if (s.secret) headers['x-hub-signature'] = signBody(s.secret, body);
    let ok = false;
    try {
      const r = await fetch(s.callback, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      await r.body?.cancel();
      ok = r.status >= 200 && r.status < 300;
    } catch {
      ok = false;
    }
    out.notifications++;
    out.entries += entries;
    this.#stats.notifications++;
    this.#stats.entries += entries;
    if (!ok) {
      out.rejected++;
      this.#stats.rejected++;
    }
  }

  stats(): HubStats {
    return { ...this.#stats, subscriptions: this.#subs.size };
  }

  /** Live subscriptions: topic, callback and when each lapses (simulator clock ms); never the secret. */
  subscriptions(): { topic: string; callback: string; expiresAt: number }[] {
    return [...this.#subs.values()].map((s) => ({
      topic: s.topic,
      callback: s.callback,
      expiresAt: s.expiresAt,
    }));
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }
}
