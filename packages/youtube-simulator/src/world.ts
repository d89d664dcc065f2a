import { DAY_MS, HOUR_MS, MINUTE_MS } from './clock.ts';
import { type LiveSchedule, liveSchedule } from './live.ts';
import { decodeVideoId, encodeVideoId, Feistel64, hash2, mix32, normal, unit2 } from './rng.ts';
import {
  CHANNEL_PREFIXES,
  CHANNEL_SUFFIXES,
  COUNTRIES,
  GENERAL_WORDS,
  TOPICS,
  type Topic,
  VOCABULARY,
  WORD_INDEX,
} from './words.ts';

/**
 * The synthetic YouTube: channels and a never-ending stream of videos, a pure function of the seed.
 * Video `i` (0, 1, 2… in publish order) is published at a time computed from `i`; its id is a keyed
 * 64-bit permutation of `i`, so an id leads back to its video in O(1) and nothing is stored per video.
 * Statistics are curves of the video's age, so every read at a later clock shows grown counts.
 */
export interface WorldOptions {
  channels: number;
  /** Videos published per simulated day, all day long. */
  videosPerDay: number;
  /** Days of videos already published before `originMs`. */
  historyDays: number;
  /** Where the past history ends (videos keep appearing after it). Default: UTC midnight before start. */
  originMs: number;
  viralFraction: number;
  lateViralFraction: number;
  /** Fraction of videos deleted, and made private, at some age (mean age 20 days). */
  deletedFraction: number;
  privateFraction: number;
  likesHiddenFraction: number;
  commentsDisabledFraction: number;
  /** Fractions of videos that are scheduled live streams, and premieres (live.ts); default none. */
  liveFraction: number;
  premiereFraction: number;
}

export const DEFAULT_WORLD: Omit<WorldOptions, 'originMs'> = {
  channels: 2000,
  videosPerDay: 4000,
  historyDays: 365,
  viralFraction: 0.01,
  lateViralFraction: 0.005,
  deletedFraction: 0.02,
  privateFraction: 0.01,
  likesHiddenFraction: 0.03,
  commentsDisabledFraction: 0.04,
  liveFraction: 0,
  premiereFraction: 0,
};

export type VideoState = 'public' | 'private' | 'deleted' | 'likesHidden' | 'commentsDisabled';
export type Visibility = 'public' | 'private' | 'deleted';

export interface VideoStatistics {
  viewCount: number;
  /** null when the owner hides likes (YouTube then omits likeCount). */
  likeCount: number | null;
  /** null when comments are disabled (YouTube then omits commentCount). */
  commentCount: number | null;
}

export interface VideoDetails {
  index: number;
  id: string;
  publishedAt: number;
  channel: ChannelInfo;
  title: string;
  description: string;
  tags: string[];
  categoryId: string;
  durationS: number;
}

export interface ChannelInfo {
  index: number;
  id: string;
  title: string;
  handle: string;
  description: string;
  topic: Topic;
  country: string;
  createdAt: number;
  popularity: number;
  subscribers: number;
  /** Uploads before the world's history began. */
  olderUploads: number;
}

// Salts: each property of a video draws its own independent dice.
const S = {
  pub: 1,
  channel: 2,
  kind: 3,
  views1: 4,
  views2: 5,
  tau: 6,
  late: 7,
  lateW: 8,
  lateV: 9,
  likes: 10,
  comments: 11,
  hideLikes: 12,
  noComments: 13,
  fate: 14,
  fateAge: 15,
  duration1: 16,
  duration2: 17,
  short: 18,
  title: 19,
  tags: 20,
  suffix: 21,
  live: 22,
  liveLead: 23,
  liveDelay: 24,
  liveLength: 25,
  liveViewers: 26,
} as const;

const zipfCdf = (n: number, s = 1.07): Float64Array => {
  const cdf = new Float64Array(n);
  let acc = 0;
  for (let k = 0; k < n; k++) {
    acc += 1 / (k + 1) ** s;
    cdf[k] = acc;
  }
  for (let k = 0; k < n; k++) cdf[k]! /= acc;
  return cdf;
};

const pick = (cdf: Float64Array, u: number): number => {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid]! > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
};

/** Appends `w` to out[from…end) unless already there; returns the new end. */
function pushDistinct(out: Int32Array, from: number, end: number, w: number): number {
  for (let k = from; k < end; k++) if (out[k] === w) return end;
  out[end] = w;
  return end + 1;
}

const capitalize = (w: string): string => w.charAt(0).toUpperCase() + w.slice(1);

/** Rounds to three significant digits, as YouTube shows subscriber counts. */
const threeSignificant = (n: number): number => {
  if (n < 1000) return Math.round(n);
  const p = 10 ** (Math.floor(Math.log10(n)) - 2);
  return Math.round(n / p) * p;
};

interface Override {
  /** A title the owner set (setVideoTitle). */
  title?: string;
  visibility?: Visibility;
  likesHidden?: boolean;
  commentsDisabled?: boolean;
}

const TOPIC_WORD_IDS = TOPICS.map((t) => t.words.map((w) => WORD_INDEX.get(w)!));
const TOPIC_NAME_IDS = TOPICS.map((t) => WORD_INDEX.get(t.name)!);
const TOPIC_CDFS = TOPICS.map((t) => zipfCdf(t.words.length));
const GENERAL_IDS = GENERAL_WORDS.map((w) => WORD_INDEX.get(w)!);
const GENERAL_CDF = zipfCdf(GENERAL_WORDS.length, 1.2);
const SHORTS_ID = WORD_INDEX.get('shorts')!;
/** Word buffer for building one title or tag list at a time (synchronous, so one suffices). */
const scratch = new Int32Array(16);

export class World {
  readonly seed: number;
  readonly options: WorldOptions;
  /** When video 0 was published. */
  readonly historyStartMs: number;
  readonly #k: number;
  readonly #tag: number;
  readonly #feistel: Feistel64;
  readonly #msPerVideo: number;
  readonly #channels: ChannelInfo[];
  readonly #channelByKey = new Map<string, number>();
  readonly #overrides = new Map<number, Override>();
  readonly #live = new Map<number, LiveSchedule>();
  readonly #channelTopic: Uint8Array;
  readonly #listeners: ((i: number, change: VideoState | 'title') => void)[] = [];

  constructor(seed: number, opts: Partial<WorldOptions> = {}, now: number = Date.now()) {
    this.seed = seed >>> 0;
    const originMs = opts.originMs ?? Math.floor(now / DAY_MS) * DAY_MS;
    this.options = { ...DEFAULT_WORLD, ...opts, originMs };
    const o = this.options;
    if (!(o.channels >= 1 && o.videosPerDay > 0 && o.historyDays >= 0))
      throw new RangeError('a world needs at least one channel and some videos per day');
    this.historyStartMs = originMs - Math.round(o.historyDays * DAY_MS);
    this.#k = mix32(this.seed ^ 0x5bd1e995);
    this.#tag = hash2(this.seed, 0x7a9);
    this.#feistel = new Feistel64(this.seed);
    this.#msPerVideo = DAY_MS / o.videosPerDay;
    this.#channels = Array.from({ length: o.channels }, (_, c) => this.#makeChannel(c));
    this.#channelTopic = Uint8Array.from(this.#channels, (ch) => TOPICS.indexOf(ch.topic));
    for (const ch of this.#channels) {
      this.#channelByKey.set(ch.id, ch.index);
      this.#channelByKey.set(ch.handle.toLowerCase(), ch.index);
    }
  }

  #u(i: number, salt: number): number {
    return unit2(i ^ this.#k, salt * 0x2545f491 + this.#k);
  }

  // ---- time and identity -------------------------------------------------------------------------

  publishedAt(i: number): number {
    return this.historyStartMs + Math.floor((i + this.#u(i, S.pub)) * this.#msPerVideo);
  }

  /** The first video index published at or after `t`. Indices are in publish order. */
  firstIndexAtOrAfter(t: number): number {
    if (t <= this.historyStartMs) return 0;
    let i = Math.max(0, Math.floor((t - this.historyStartMs) / this.#msPerVideo) - 1);
    while (this.publishedAt(i) < t) i++;
    return i;
  }

  /** How many videos have been published by `now` (videos 0 … count-1). */
  publishedCount(now: number): number {
    return this.firstIndexAtOrAfter(now + 1);
  }

  videoIdAt(i: number): string {
    const [hi, lo] = this.#feistel.encrypt(this.#tag, i);
    return encodeVideoId(hi, lo);
  }

  /** The index of a video of this world (published or not yet), or -1 for any other string. */
  indexOf(id: string): number {
    const bits = decodeVideoId(id);
    if (!bits) return -1;
    const [tag, i] = this.#feistel.decrypt(bits[0], bits[1]);
    return tag === this.#tag && i < 0x7fffffff ? i : -1;
  }

  /**
   * Ids of videos published in [fromMs, toMs), oldest first, at most `limit` — whatever their state
   * (tests and benches build watchlists from this; some of these videos are private or deleted).
   */
  videoIdsPublishedBetween(fromMs: number, toMs: number, limit = 10_000): string[] {
    const a = this.firstIndexAtOrAfter(fromMs);
    const b = Math.min(this.firstIndexAtOrAfter(toMs), a + Math.max(0, limit));
    const out: string[] = new Array(Math.max(0, b - a));
    for (let i = a; i < b; i++) out[i - a] = this.videoIdAt(i);
    return out;
  }

  // ---- channels ----------------------------------------------------------------------------------

  #makeChannel(c: number): ChannelInfo {
    const h = (salt: number) => hash2(hash2(c, this.#k), salt);
    const u = (salt: number) => h(salt) / 4294967296;
    const bytes = Buffer.alloc(16);
    for (let j = 0; j < 4; j++) bytes.writeUInt32BE(h(100 + j), j * 4);
    const id = `UC${bytes.toString('base64url')}`;
    const topic = TOPICS[h(1) % TOPICS.length]!;
    const prefix = CHANNEL_PREFIXES[h(2) % CHANNEL_PREFIXES.length]!;
    const noun = capitalize(topic.words[h(3) % topic.words.length]!);
    const suffix = CHANNEL_SUFFIXES[h(4) % CHANNEL_SUFFIXES.length]!;
    const title = `${prefix} ${noun} ${suffix}`;
    const handle = `@${prefix}${noun}${suffix}${c}`.toLowerCase();
    const popularity = Math.exp(1.1 * normal(u(5), u(6)));
    return {
      index: c,
      id,
      title,
      handle,
      description: `${title}: ${topic.name} videos every week. ${topic.words.slice(0, 4).join(', ')} and more.`,
      topic,
      country: COUNTRIES[h(7) % COUNTRIES.length]!,
      createdAt: this.historyStartMs - Math.floor((0.2 + 12 * u(8)) * 365 * DAY_MS),
      popularity,
      subscribers: threeSignificant(1500 * popularity ** 1.4 * Math.exp(0.7 * normal(u(9), u(10)))),
      olderUploads: Math.floor(400 * u(11) ** 2),
    };
  }

  channelCount(): number {
    return this.#channels.length;
  }
  channel(c: number): ChannelInfo {
    return this.#channels[c]!;
  }
  channelIds(): string[] {
    return this.#channels.map((c) => c.id);
  }
  /** A channel by id or by @handle (case-insensitive), or undefined. */
  findChannel(idOrHandle: string): ChannelInfo | undefined {
    const c = this.#channelByKey.get(idOrHandle) ?? this.#channelByKey.get(idOrHandle.toLowerCase());
    return c === undefined ? undefined : this.#channels[c];
  }

  /** Popular channels upload more: channel of video i, skewed toward low channel indices. */
  channelOf(i: number): number {
    const u = this.#u(i, S.channel);
    return Math.min(this.#channels.length - 1, Math.floor(this.#channels.length * u * u));
  }

  /** Uploads of channel c published by `now` (an expectation over the skewed draw, plus older ones). */
  channelVideoCount(c: number, now: number): number {
    const n = this.#channels.length;
    const share = Math.sqrt((c + 1) / n) - Math.sqrt(c / n);
    return this.#channels[c]!.olderUploads + Math.round(share * this.publishedCount(now));
  }

  // ---- a video's life ----------------------------------------------------------------------------

  /** Whether the video can be seen at `now`: published, and neither private nor deleted. */
  visibility(i: number, now: number): Visibility | 'unpublished' {
    const pub = this.publishedAt(i);
    if (pub > now) return 'unpublished';
    const o = this.#overrides.get(i);
    if (o?.visibility) return o.visibility;
    const f = this.#u(i, S.fate);
    const o2 = this.options;
    if (f >= o2.deletedFraction + o2.privateFraction) return 'public';
    // ages exponential with a 20-day mean, at least an hour
    const age = HOUR_MS + -Math.log(1 - this.#u(i, S.fateAge)) * 20 * DAY_MS;
    if (now - pub < age) return 'public';
    return f < o2.deletedFraction ? 'deleted' : 'private';
  }

  isVisible(i: number, now: number): boolean {
    return this.visibility(i, now) === 'public';
  }

  /**
   * Statistics at `now`: saturating growth (most videos), a bigger and slower curve (viral ones), or
   * an ordinary start followed by a logistic surge weeks later (late-viral), plus a slow long tail.
   * Every count is non-decreasing in `now`.
   */
  statistics(i: number, now: number): VideoStatistics {
    // A live stream or premiere is watched from its start: nothing before.
    const born = this.live(i)?.actualStart ?? this.publishedAt(i);
    const ageH = Math.max(0, (now - born) / HOUR_MS);
    const popularity = this.#channels[this.channelOf(i)]!.popularity;
    const k = this.#u(i, S.kind);
    const o = this.options;
    const viral = k < o.viralFraction;
    const late = !viral && k < o.viralFraction + o.lateViralFraction;
    const n = normal(this.#u(i, S.views1), this.#u(i, S.views2));
    const vInf = viral ? 2e6 * Math.exp(1.0 * n) : 600 * popularity * Math.exp(1.3 * n);
    const tauH = (viral ? 72 : 30) * Math.exp(0.5 * (this.#u(i, S.tau) - 0.5));
    let views = vInf * (1 - Math.exp(-ageH / tauH)) + vInf * 0.0001 * ageH;
    if (late) {
      const atH = 24 * (3 + 50 * this.#u(i, S.late));
      const widthH = 12 + 36 * this.#u(i, S.lateW);
      const size = vInf * (50 + 450 * this.#u(i, S.lateV));
      const s0 = 1 / (1 + Math.exp(atH / widthH));
      const s = 1 / (1 + Math.exp(-(ageH - atH) / widthH));
      views += (size * (s - s0)) / (1 - s0);
    }
    const viewCount = Math.floor(views);
    const ov = this.#overrides.get(i);
    const likesHidden = ov?.likesHidden ?? this.#u(i, S.hideLikes) < o.likesHiddenFraction;
    const commentsOff = ov?.commentsDisabled ?? this.#u(i, S.noComments) < o.commentsDisabledFraction;
    return {
      viewCount,
      likeCount: likesHidden ? null : Math.floor(views * (0.01 + 0.05 * this.#u(i, S.likes))),
      commentCount: commentsOff ? null : Math.floor(views * (0.0005 + 0.004 * this.#u(i, S.comments))),
    };
  }

  /** Changes a video's lifecycle state from now on (tests and demos). */
  setVideoState(id: string, state: VideoState): void {
    const i = this.indexOf(id);
    if (i < 0) throw new RangeError(`no video ${id} in this world`);
    const prev = this.#overrides.get(i) ?? {};
    const next: Override =
      state === 'public'
        ? { title: prev.title, visibility: 'public', likesHidden: false, commentsDisabled: false }
        : state === 'likesHidden'
          ? { ...prev, visibility: 'public', likesHidden: true }
          : state === 'commentsDisabled'
            ? { ...prev, visibility: 'public', commentsDisabled: true }
            : { ...prev, visibility: state };
    this.#overrides.set(i, next);
    for (const l of this.#listeners) l(i, state);
  }

  /**
   * The broadcast of a live stream or premiere (live.ts), or null for an ordinary upload. Scheduled
   * 1 to 24 hours after the video appears (its publishedAt), as YouTube lists an upcoming broadcast.
   */
  live(i: number): LiveSchedule | null {
    const set = this.#live.get(i);
    if (set) return set;
    const o = this.options;
    if (o.liveFraction + o.premiereFraction === 0) return null;
    const u = this.#u(i, S.live);
    if (u >= o.liveFraction + o.premiereFraction) return null;
    const kind = u < o.premiereFraction ? 'premiere' : 'live';
    const scheduledStart =
      Math.ceil((this.publishedAt(i) + (1 + 23 * this.#u(i, S.liveLead)) * HOUR_MS) / MINUTE_MS) * MINUTE_MS;
    return liveSchedule({
      kind,
      scheduledStart,
      // Premieres start on the minute; streamers go live up to 10 minutes late.
      startDelayMs: kind === 'premiere' ? 0 : Math.floor(10 * this.#u(i, S.liveDelay)) * MINUTE_MS,
      durationMs:
        kind === 'premiere'
          ? Math.max(60, this.durationSeconds(i)) * 1000
          : (0.5 + 3 * this.#u(i, S.liveLength)) * HOUR_MS,
      peakViewers: Math.round(
        20 * this.#channels[this.channelOf(i)]!.popularity * Math.exp(1.5 * this.#u(i, S.liveViewers)),
      ),
    });
  }

  /** Makes a video a live stream or premiere with this schedule (tests and demos). */
  scheduleLive(id: string, schedule: Parameters<typeof liveSchedule>[0]): LiveSchedule {
    const i = this.indexOf(id);
    if (i < 0) throw new RangeError(`no video ${id} in this world`);
    const live = liveSchedule(schedule);
    this.#live.set(i, live);
    return live;
  }

  /** The owner renames a video from now on (tests and demos; the WebSub hub announces it). */
  setVideoTitle(id: string, title: string): void {
    const i = this.indexOf(id);
    if (i < 0) throw new RangeError(`no video ${id} in this world`);
    this.#overrides.set(i, { ...this.#overrides.get(i), title });
    for (const l of this.#listeners) l(i, 'title');
  }

  /** Calls `fn` after every setVideoState / setVideoTitle (the hub's change feed). */
  onChange(fn: (i: number, change: VideoState | 'title') => void): void {
    this.#listeners.push(fn);
  }

  durationSeconds(i: number): number {
    if (this.#u(i, S.short) < 0.2) return 15 + Math.floor(45 * this.#u(i, S.duration1));
    const s = 480 * Math.exp(0.9 * normal(this.#u(i, S.duration1), this.#u(i, S.duration2)));
    return Math.max(61, Math.min(4 * 3600, Math.round(s)));
  }

  // ---- words -------------------------------------------------------------------------------------

  /** Title words (distinct, in order) into `out` from position `at`; returns the new end. */
  #titleWords(i: number, topic: number, out: Int32Array, at: number): number {
    const n = 3 + Math.floor(5 * this.#u(i, S.title));
    let end = at;
    let x = hash2(i ^ this.#k, S.title);
    for (let j = 0; j < n; j++) {
      x = mix32(x + 0x9e3779b9);
      const u = (x & 0xffff) / 65536;
      const v = (x >>> 16) / 65536;
      const w =
        u < 0.65 ? TOPIC_WORD_IDS[topic]![pick(TOPIC_CDFS[topic]!, v)]! : GENERAL_IDS[pick(GENERAL_CDF, v)]!;
      end = pushDistinct(out, at, end, w);
    }
    return end;
  }

  /** Tags (distinct: the topic's name first) into `out` from position `at`; returns the new end. */
  #tagWords(i: number, topic: number, out: Int32Array, at: number): number {
    const n = 2 + Math.floor(4 * this.#u(i, S.tags));
    let end = pushDistinct(out, at, at, TOPIC_NAME_IDS[topic]!);
    let x = hash2(i ^ this.#k, S.tags);
    for (let j = 0; j < n; j++) {
      x = mix32(x + 0x9e3779b9);
      end = pushDistinct(out, at, end, TOPIC_WORD_IDS[topic]![pick(TOPIC_CDFS[topic]!, x / 4294967296)]!);
    }
    if (this.#u(i, S.short) < 0.2) end = pushDistinct(out, at, end, SHORTS_ID);
    return end;
  }

  #topicIndexOf(i: number): number {
    return this.#channelTopic[this.channelOf(i)]!;
  }

  /**
   * Distinct vocabulary indices of the video's title and tags (what search matches) into `out`;
   * returns how many. `out` needs room for 16.
   */
  wordIdsInto(i: number, out: Int32Array): number {
    const t = this.#topicIndexOf(i);
    return this.#tagWords(i, t, out, this.#titleWords(i, t, out, 0));
  }

  wordIds(i: number): number[] {
    const buf = new Int32Array(16);
    return [...buf.subarray(0, this.wordIdsInto(i, buf))];
  }

  title(i: number): string {
    const renamed = this.#overrides.get(i)?.title;
    if (renamed !== undefined) return renamed;
    const t = this.#topicIndexOf(i);
    const n = this.#titleWords(i, t, scratch, 0);
    let title = capitalize(VOCABULARY[scratch[0]!]!);
    for (let k = 1; k < n; k++) title += ` ${capitalize(VOCABULARY[scratch[k]!]!)}`;
    const r = this.#u(i, S.suffix);
    if (this.durationSeconds(i) <= 60) title += ' #shorts';
    else if (r < 0.15) title += ` | ${this.#channels[this.channelOf(i)]!.title}`;
    else if (r < 0.25) title = `${title} (Part ${1 + Math.floor(r * 40)})`;
    return title;
  }

  details(i: number): VideoDetails {
    const ch = this.#channels[this.channelOf(i)]!;
    const n = this.#tagWords(i, TOPICS.indexOf(ch.topic), scratch, 0);
    const tags: string[] = [];
    for (let k = 0; k < n; k++) tags.push(VOCABULARY[scratch[k]!]!);
    const title = this.title(i);
    return {
      index: i,
      id: this.videoIdAt(i),
      publishedAt: this.publishedAt(i),
      channel: ch,
      title,
      description: `${title}\n\nMore ${ch.topic.name} from ${ch.title}: ${tags.map((w) => `#${w}`).join(' ')}\nSubscribe for new videos every week.`,
      tags,
      categoryId: ch.topic.categoryId,
      durationS: this.durationSeconds(i),
    };
  }

  /** The most frequent search words (topic names first): seed queries for demos and tests. */
  popularWords(n = 20): string[] {
    return [...TOPICS.map((t) => t.name), ...TOPICS.flatMap((t) => t.words.slice(0, 3))].slice(0, n);
  }
}
