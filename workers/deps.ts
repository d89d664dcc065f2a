import type { ApiMethod } from '@pleiades/youtube-simulator/quota-costs';
import type { QueueSet } from '../queues/index.ts';
import type { Clock } from '../src/clock.ts';
import type { Config } from '../src/config/index.ts';
import type { Pool, Queryable } from '../src/db/pool.ts';
import type { Logger } from '../src/log.ts';
import type { TierPolicy } from '../src/tiers.ts';
import type { Vault } from '../src/vault/index.ts';
import type { ChannelFeedReader } from '../src/youtube/channel-feed.ts';
import type { YouTubeClient } from '../src/youtube/client.ts';

/**
 * What the agents need from the rest of the system, as the small structural interfaces they use.
 * The real Hydra, YouTube client and events bus satisfy them; the agents stay stateless: everything
 * lives in Postgres, Redis or the vault.
 */
export interface HydraLike {
  call<T>(o: { pool?: string; method: ApiMethod }, fn: (key: string) => Promise<T>): Promise<T>;
  remaining(pool?: string): Promise<{ search: number; units: number }>;
  /** Each key's use today, by fingerprint (the discovery budget reads it). */
  keys(): Promise<{ pool: string; state: string; searchUsed: number; unitsUsed: number }[]>;
}

/**
 * The YouTube items the agents read are the client's, declared once: derived from the zod schemas
 * that validate every answer (src/youtube/schemas.ts).
 */
export type {
  Channel as ChannelItem,
  PlaylistItem,
  SearchResult as SearchItem,
  Video as VideoItem,
} from '../src/youtube/schemas.ts';

/** The calls the agents make: the real client's, nothing more. */
export type YouTubeLike = Pick<
  YouTubeClient,
  'searchList' | 'videosList' | 'channelsList' | 'playlistItemsList' | 'videoCategoriesList'
>;

export type EventEmitter = (
  name: string,
  payloads: Record<string, unknown>[],
  opts?: { tx?: Queryable },
) => Promise<void>;

export interface AgentDeps {
  config: Config;
  pool: Pool;
  log: Logger;
  clock: Clock;
  queues: QueueSet;
  hydra: HydraLike;
  youtube: YouTubeLike;
  /** Channels' public feeds (free, no key): the channel poller's safety net behind WebSub. */
  feed?: ChannelFeedReader;
  policy: TierPolicy;
  vault: Vault;
  /** Publishes events (transactionally when `tx` is given); a no-op until the events bus is wired. */
  emit: EventEmitter;
}

export const noEmit: EventEmitter = async () => {};
