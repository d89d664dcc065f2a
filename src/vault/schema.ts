import { TIER_NAMES } from '../tiers.ts';

/**
 * The vault's two tables, described once. Writers map these columns to their own schema types;
 * docs/dataset.md is the data dictionary for users. Bump a version when a column changes meaning or
 * type: it is stored in every file's key-value metadata (`pleiades.schema`).
 */
export type ColumnType = 'string' | 'int32' | 'int64' | 'timestamp_ms' | 'string_list';

export interface Column {
  name: string;
  type: ColumnType;
  nullable: boolean;
}

export interface TableSpec {
  name: 'metrics' | 'videos';
  version: number;
  columns: Column[];
}

const col = (name: string, type: ColumnType, nullable = false): Column => ({ name, type, nullable });

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

export const schemaTag = (t: TableSpec): string => `${t.name}/${t.version}`;

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
