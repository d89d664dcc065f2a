import type { ApiMethod } from '@pleiades/youtube-simulator/quota-costs';
import type { QueueSet } from '../queues/index.ts';
import type { Clock } from '../src/clock.ts';
import type { Config } from '../src/config/index.ts';
import type { Pool, Queryable } from '../src/db/pool.ts';
import type { Logger } from '../src/log.ts';
import type { TierPolicy } from '../src/tiers.ts';
import type { Vault } from '../src/vault/index.ts';

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

export interface SearchItem {
  id: { videoId?: string | null };
  snippet?: {
    publishedAt?: string | null;
    channelId?: string | null;
    channelTitle?: string | null;
    title?: string | null;
    description?: string | null;
  } | null;
}

export interface VideoItem {
  id: string;
  snippet?: {
    publishedAt?: string | null;
    channelId?: string | null;
    channelTitle?: string | null;
    title?: string | null;
    description?: string | null;
    tags?: string[] | null;
    categoryId?: string | null;
  } | null;
  contentDetails?: { duration?: string | null } | null;
  statistics?: { viewCount?: string | null; likeCount?: string | null; commentCount?: string | null } | null;
}

export interface ChannelItem {
  id: string;
  snippet?: { title?: string | null; country?: string | null } | null;
  statistics?: {
    subscriberCount?: string | null;
    videoCount?: string | null;
    viewCount?: string | null;
  } | null;
  contentDetails?: { relatedPlaylists?: { uploads?: string | null } | null } | null;
}

export interface PlaylistItem {
  snippet?: { publishedAt?: string | null; resourceId?: { videoId?: string | null } | null } | null;
  contentDetails?: { videoId?: string | null; videoPublishedAt?: string | null } | null;
}

export interface YouTubeLike {
  searchList(
    key: string,
    p: {
      q: string;
      pageToken?: string;
      publishedAfter?: string;
      maxResults?: number;
      order?: 'date' | 'relevance' | 'viewCount';
    },
  ): Promise<{ nextPageToken?: string | null; items: SearchItem[] }>;
  videosList(
    key: string,
    ids: string[],
    parts?: ('snippet' | 'statistics' | 'contentDetails' | 'status')[],
  ): Promise<{ items: VideoItem[] }>;
  channelsList(key: string, ids: string[]): Promise<{ items: ChannelItem[] }>;
  playlistItemsList(
    key: string,
    playlistId: string,
    pageToken?: string,
  ): Promise<{ nextPageToken?: string | null; items: PlaylistItem[] }>;
  videoCategoriesList(
    key: string,
    regionCode?: string,
  ): Promise<{ items: { id: string; snippet?: { title?: string | null } | null }[] }>;
}

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
  policy: TierPolicy;
  vault: Vault;
  /** Publishes events (transactionally when `tx` is given); a no-op until the events bus is wired. */
  emit: EventEmitter;
}

export const noEmit: EventEmitter = async () => {};
