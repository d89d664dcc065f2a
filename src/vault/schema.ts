import type { StagedLog } from '../dao/event-logs.ts';
import type { Queryable } from '../db/pool.ts';
import { TIER_NAMES } from '../tiers.ts';

/**
 * The vault's tables (and the export formats), described once. Writers map these columns to their own schema types;
 * docs/dataset.md is the data dictionary for users. Bump a version when a column changes meaning or
 * type: it is stored in every file's key-value metadata (`pleiades.schema`).
 */
export type ColumnType = 'string' | 'int32' | 'int64' | 'timestamp_ms' | 'string_list';
/** Types only the event logs and exports use; every ParquetEngine knows `ColumnType`, @dsnp/parquetjs all. */
export type AnyColumnType = ColumnType | 'bool' | 'date';

export interface Column {
  name: string;
  type: ColumnType;
  nullable: boolean;
}

export interface TableSpec {
  name: 'metrics' | 'videos' | 'lifecycle' | 'gaps' | 'ranks' | 'kaggle' | 'tidy';
  version: number;
  columns: Column[];
}

/** A table whose columns may use any type (`AnyColumnType`): written with @dsnp/parquetjs. */
export interface AnyTableSpec {
  /** Its vault directory; an event log's tables are named by their log (VaultLog). */
  name: string;
  version: number;
  columns: { name: string; type: AnyColumnType; nullable: boolean }[];
}

/**
 * An event log the vault flushes (src/vault/events.ts): rows staged in Postgres, taken by seq ranges,
 * written as Parquet under `<table.name>/dt=<UTC day>/`. The tracker signals of the registry declare
 * theirs (src/tracker/signal.ts); the vault iterates them (src/vault/logs.ts).
 */
export interface VaultLog {
  staging: StagedLog;
  table: AnyTableSpec;
  /** One line for the dataset card. */
  about: string;
  /** The Parquet rows of a staged range, each with the UTC day (YYYY-MM-DD) it belongs to. */
  rows(
    db: Queryable,
    firstSeq: bigint,
    lastSeq: bigint,
  ): Promise<{ day: string; row: Record<string, unknown> }[]>;
}

const col = (name: string, type: ColumnType, nullable = false): Column => ({ name, type, nullable });
const anyCol = (name: string, type: AnyColumnType, nullable = false) => ({ name, type, nullable });

export const METRICS_TABLE: TableSpec = {
  name: 'metrics',
  version: 1,
  columns: [
    col('video_id', 'string'),
    col('taken_at', 'timestamp_ms'),
    col('due_at', 'timestamp_ms'),
    col('views', 'int64', true),
    col('likes', 'int64', true),
    col('comments', 'int64', true),
    col('tier', 'string'),
  ],
};

export const VIDEOS_TABLE: TableSpec = {
  name: 'videos',
  version: 1,
  columns: [
    col('video_id', 'string'),
    col('channel_id', 'string'),
    col('channel_title', 'string'),
    col('title', 'string'),
    col('description', 'string'),
    col('tags', 'string_list'),
    col('category_id', 'int32', true),
    col('category_name', 'string', true),
    col('duration_s', 'int32', true),
    col('published_at', 'timestamp_ms'),
    col('discovered_at', 'timestamp_ms'),
    col('channel_subscribers', 'int64', true),
    col('channel_video_count', 'int64', true),
    col('channel_country', 'string', true),
    col('enriched_at', 'timestamp_ms', true),
  ],
};

/** Lifecycle events (src/observations/lifecycle.ts), one row per transition, by the UTC day of `seen_at`. */
export const LIFECYCLE_TABLE: AnyTableSpec = {
  name: 'lifecycle',
  version: 1,
  columns: [
    anyCol('video_id', 'string'),
    anyCol('event', 'string'),
    anyCol('seen_at', 'timestamp_ms'),
    anyCol('due_at', 'timestamp_ms'),
    anyCol('previous_at', 'timestamp_ms', true),
    anyCol('initial', 'bool'),
    anyCol('detail', 'string', true),
  ],
};

/** Planned snapshots not taken on time, one row per video, by the UTC day of `polled_at`. */
export const GAPS_TABLE: AnyTableSpec = {
  name: 'gaps',
  version: 1,
  columns: [
    anyCol('video_id', 'string'),
    anyCol('due_at', 'timestamp_ms'),
    anyCol('polled_at', 'timestamp_ms'),
    anyCol('delay_s', 'int64'),
    anyCol('reason', 'string'),
    anyCol('taken', 'bool'),
    anyCol('tier', 'string'),
  ],
};

/** Search results in YouTube's order, one row per result, by the UTC day of `run_at`. */
export const RANKS_TABLE: AnyTableSpec = {
  name: 'ranks',
  version: 1,
  columns: [
    anyCol('run_at', 'timestamp_ms'),
    anyCol('query_id', 'int64'),
    anyCol('query', 'string'),
    anyCol('page', 'int32', true),
    anyCol('position', 'int32'),
    anyCol('rank', 'int32', true),
    anyCol('video_id', 'string'),
    anyCol('search_order', 'string'),
    anyCol('published_after', 'timestamp_ms', true),
  ],
};

/**
 * `pleiades vault export --format kaggle`: the columns of Kaggle's "Trending YouTube Video Statistics"
 * (datasnaek/youtube-new), one row per snapshot, plus channel_id, region and snapshot_time.
 */
export const KAGGLE_TABLE: AnyTableSpec = {
  name: 'kaggle',
  version: 1,
  columns: [
    anyCol('video_id', 'string'),
    anyCol('trending_date', 'date'),
    anyCol('title', 'string', true),
    anyCol('channel_title', 'string', true),
    anyCol('category_id', 'int32', true),
    anyCol('publish_time', 'timestamp_ms', true),
    anyCol('tags', 'string', true),
    anyCol('views', 'int64', true),
    anyCol('likes', 'int64', true),
    anyCol('dislikes', 'int64', true),
    anyCol('comment_count', 'int64', true),
    anyCol('thumbnail_link', 'string'),
    anyCol('comments_disabled', 'bool'),
    anyCol('ratings_disabled', 'bool'),
    anyCol('video_error_or_removed', 'bool'),
    anyCol('description', 'string', true),
    anyCol('channel_id', 'string', true),
    anyCol('region', 'string', true),
    anyCol('snapshot_time', 'timestamp_ms'),
  ],
};

/** `pleiades vault export --format parquet`: one tidy file, a snapshot per row with its video's metadata. */
export const TIDY_TABLE: AnyTableSpec = {
  name: 'tidy',
  version: 1,
  columns: [
    anyCol('video_id', 'string'),
    anyCol('taken_at', 'timestamp_ms'),
    anyCol('due_at', 'timestamp_ms'),
    anyCol('views', 'int64', true),
    anyCol('likes', 'int64', true),
    anyCol('comments', 'int64', true),
    anyCol('tier', 'string'),
    anyCol('title', 'string', true),
    anyCol('channel_id', 'string', true),
    anyCol('channel_title', 'string', true),
    anyCol('description', 'string', true),
    anyCol('tags', 'string_list'),
    anyCol('category_id', 'int32', true),
    anyCol('category_name', 'string', true),
    anyCol('duration_s', 'int32', true),
    anyCol('published_at', 'timestamp_ms', true),
    anyCol('discovered_at', 'timestamp_ms', true),
    anyCol('channel_subscribers', 'int64', true),
    anyCol('channel_video_count', 'int64', true),
    anyCol('channel_country', 'string', true),
  ],
};

export const schemaTag = (t: AnyTableSpec): string => `${t.name}/${t.version}`;

/** `pleiades.schema` of a file: its table and version; files written before the tag are version 1. */
export function parseSchemaTag(
  tag: string | undefined,
  fallback: TableSpec['name'],
): { name: string; version: number } {
  const m = tag ? /^([a-z]+)\/(\d+)$/.exec(tag) : null;
  return m ? { name: m[1]!, version: Number(m[2]) } : { name: fallback, version: 1 };
}

/** A row of the metrics table as JS values (timestamps in epoch ms). */
export interface MetricsRecord {
  video_id: string;
  taken_at: number;
  due_at: number;
  views: bigint | null;
  likes: bigint | null;
  comments: bigint | null;
  tier: string;
}

export const tierLabel = (code: number): string => TIER_NAMES[code] ?? String(code);
