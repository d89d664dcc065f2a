import { isIP } from 'node:net';
import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';
import { searchQueryText } from '../query-text.ts';
import { LIMITS, numericText } from './ranges.ts';
import { secretText, trustProxy, userName } from './secrets.ts';

/** The parser BullMQ's job schedulers use, so a pattern accepted here is one they accept. */
const isCronPattern = (s: string): boolean => {
  try {
    CronExpressionParser.parse(s, { tz: 'UTC' });
    return true;
  } catch {
    return false;
  }
};

/**
 * Every environment variable Pleiades reads, in one schema. `.env.example` lists the same names;
 * a test keeps the two in step. Names ending in KEY/TOKEN/SECRET/PASSWORD/_JSON are secrets: their
 * values are never echoed in errors or logs.
 */

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

// Every number has a ceiling the code can use (src/config/ranges.ts): LIMITS names the common ones.
const int = (min: number, max: number) => numericText(min, max, { int: true });
const num = (min: number, max: number) => numericText(min, max);
const { timerS, durationS, days, hours, count } = LIMITS;

const url = (protocols: string[]) =>
  z.string().refine(
    (s) => {
      try {
        return protocols.includes(new URL(s).protocol);
      } catch {
        return false;
      }
    },
    { message: `expected a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
  );

/** `host:port,host:port`: seed nodes of a Redis Cluster, or the sentinels of a Sentinel deployment. */
const hostPortList = z.string().transform((s, ctx): { host: string; port: number }[] => {
  const out: { host: string; port: number }[] = [];
  for (const item of s.split(',').map((x) => x.trim())) {
    const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(item);
    const port = m ? Number(m[2]) : 0;
    if (!m || port < 1 || port > 65535) {
      ctx.addIssue({
        code: 'custom',
        message: `expected comma-separated host:port pairs, like 10.0.0.1:7000,10.0.0.2:7000 (bad item ${JSON.stringify(item)})`,
      });
      return z.NEVER;
    }
    out.push({ host: m[1]!.replace(/^\[|\]$/g, ''), port });
  }
  return out;
});

const keyList = z
  .array(z.string().min(1, { message: 'a key is empty' }))
  .min(1, { message: 'a pool is empty' });

/** `["k1","k2"]` (one pool named "default") or `{"hunting":[...],"tracking":[...]}`. */
export const keyPoolJson = z
  .string()
  .transform((s, ctx) => {
    try {
      return JSON.parse(s) as unknown;
    } catch {
      ctx.addIssue({
        code: 'custom',
        message: 'expected JSON (an array of keys or an object of named pools)',
      });
      return z.NEVER;
    }
  })
  .pipe(
    z.union([keyList.transform((keys) => ({ default: keys })), z.record(z.string().min(1), keyList)], {
      message: 'expected an array of keys or an object of named pools, each a non-empty array of keys',
    }),
  )
  .refine((pools) => Object.keys(pools).length > 0, { message: 'no pool is defined' });

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),

  DATABASE_URL: url(['postgres:', 'postgresql:']).default('postgresql://postgres@127.0.0.1:5432/pleiades'),
  DATABASE_POOL_MAX: int(1, 1000).default(10),
  REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
  /** Prefix of every Redis key; braces make a Redis Cluster keep a queue's keys in one slot. */
  REDIS_PREFIX: z
    .string()
    .regex(/^\{[A-Za-z0-9_.:-]+\}$/, { message: 'expected a name in braces, like {pleiades}' })
    .default('{pleiades}'),
  /**
   * Redis beyond one node (docs/deploy.md, "Redis topologies"). REDIS_URL's user, password, database
   * and TLS (rediss://) still apply to every data node; only where to connect comes from these.
   */
  REDIS_CLUSTER_NODES: hostPortList.optional(),
  REDIS_SENTINELS: hostPortList.optional(),
  REDIS_SENTINEL_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,100}$/, { message: 'expected the master group name, like mymaster' })
    .optional(),
  /** The sentinels' own password (`requirepass` in sentinel.conf), when it differs from none. */
  REDIS_SENTINEL_PASSWORD: z.string().min(1).optional(),

  PORT: int(0, 65535).default(3000),
  HOST: z
    .string()
    .refine(
      (h) =>
        isIP(h) !== 0 ||
        /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(h),
      {
        message: 'expected a host name or an IP address to listen on, like 127.0.0.1 or 0.0.0.0 (no port)',
      },
    )
    .default('127.0.0.1'),
  /** Rule for both secrets in src/config/secrets.ts: long enough, half the characters different, unpadded. */
  DASHBOARD_TOKEN: secretText(16).optional(),
  DASHBOARD_USER: userName.optional(),
  DASHBOARD_PASSWORD: secretText(10).optional(),
  /** Express's `trust proxy`: which X-Forwarded-For hops to believe (docs/deploy.md). */
  TRUST_PROXY: trustProxy.default(false),

  VAULT_PROVIDER: z.enum(['local', 'gcs', 'huggingface']).default('local'),
  VAULT_DIR: z.string().min(1).default('./data/vault'),
  VAULT_FLUSH_ROWS: int(1, 10_000_000).default(50_000),
  // Compared with the oldest staged row's age; the flush job itself runs at least every 30 s.
  VAULT_FLUSH_INTERVAL_S: int(1, durationS).default(60),
  VAULT_COMPACT_CRON: z
    .string()
    .regex(/^(\S+\s+){4,5}\S+$/, { message: 'expected a cron pattern of 5 or 6 fields, like "20 0 * * *"' })
    .refine(isCronPattern, { message: 'expected a valid cron pattern, like "20 0 * * *"' })
    .default('20 0 * * *'),
  GCS_BUCKET: z.string().min(1).optional(),
  GCS_PREFIX: z.string().default(''),
  GCS_API_ENDPOINT: url(['http:', 'https:']).optional(),
  GOOGLE_APPLICATION_CREDENTIALS: z.string().optional(),
  HF_DATASET_ID: z
    .string()
    .regex(/^[\w.-]+\/[\w.-]+$/, { message: 'expected owner/name' })
    .optional(),
  HF_TOKEN: z.string().min(1).optional(),
  HF_ENDPOINT: url(['http:', 'https:']).optional(),

  YOUTUBE_API_KEY_POOL_JSON: keyPoolJson.optional(),
  YOUTUBE_API_ROOT: url(['http:', 'https:']).optional(),
  /**
   * Where channels' public Atom feeds are read (`<root>/feeds/videos.xml?channel_id=`): by default
   * YOUTUBE_API_ROOT when set (a simulator serves both), else https://www.youtube.com.
   */
  YOUTUBE_FEED_ROOT: url(['http:', 'https:']).optional(),
  /** Per request: a YouTube call with no answer by then is a timeout (Hydra retries it). */
  YOUTUBE_TIMEOUT_MS: int(100, 600_000).default(15_000),
  HYDRA_ENABLED: bool.default(true),
  HYDRA_EXIT_ON_EXHAUSTION: bool.default(false),
  HYDRA_KEY_RPS: int(1, 100_000).default(50),
  HYDRA_SEARCH_QUOTA: int(0, count).default(100),
  HYDRA_UNITS_QUOTA: int(0, count).default(10_000),
  HYDRA_QUOTA_LOW_FRACTION: num(0, 1).default(0.1),

  SIMULATOR_PORT: int(0, 65535).default(0),
  SIMULATOR_SEED: int(0, 2 ** 32 - 1).default(42),
  SIMULATOR_SPEED: num(0.001, 1_000_000).default(1),
  // `start` with the simulator: simulated seconds per real second (480: a simulated day in 3 minutes).
  DEMO_SPEED: num(1, 10_000).default(480),

  JANITOR_RETENTION_DAYS: num(0, days).default(7),
  JANITOR_FORCE: bool.default(false),
  JANITOR_BATCH_SIZE: int(1, 1_000_000).default(10_000),
  JANITOR_EVERY_S: int(1, timerS).default(3600),

  TIER_HOURLY_UNTIL_H: num(0, hours).default(48),
  TIER_DAILY_UNTIL_D: num(0, days).default(30),
  /** Velocity-aware tiers (docs/dataset.md): views gained per hour move a video off its age tier. */
  TIER_VELOCITY_ENABLED: bool.default(true),
  TIER_VELOCITY_HOURLY_VPH: num(0, count).default(1000),
  TIER_VELOCITY_DAILY_VPH: num(0, count).default(50),
  TIER_VELOCITY_DORMANT_VPH: num(0, count).default(1),
  TIER_VELOCITY_DORMANT_AFTER_H: num(0, hours).default(72),
  /** Titles are read (part=snippet) at most once per this many hours while the hot row exists; 0: never. */
  TRACKER_TITLE_CHECK_H: num(0, hours).default(24),
  TRACKER_MISSES_BEFORE_GONE: int(1, 1000).default(3),
  TRACKER_LEASE_S: int(30, timerS).default(900),
  TRACKER_DISPATCH_EVERY_S: int(1, timerS).default(10),
  TRACKER_MAX_BATCHES_PER_DISPATCH: int(1, 1_000_000).default(2000),
  // How far (% of its tier's interval, at most 5) a poll may move so that tracker jobs are full.
  TRACKER_PACK_WINDOW_PCT: num(0, 5).default(4),
  // When the watchlist needs more units than the pool has (docs/dataset.md, "Overload policies").
  TRACKER_OVERLOAD_POLICY: z.enum(['defer', 'demote']).default('demote'),

  HUNTER_DISPATCH_EVERY_S: int(1, timerS).default(5),
  HUNTER_MAX_PAGES: int(1, 100).default(10),
  HUNTER_RERUN_AFTER_H: num(0, hours).default(6),
  HUNTER_LEASE_S: int(10, timerS).default(300),
  SNOWBALL_MAX_DEPTH: int(0, 100).default(3),
  SNOWBALL_PER_PARENT: int(0, 1000).default(5),
  SEED_QUERIES: z
    .string()
    .refine((s) => s.split(',').every((q) => q.trim() === '' || searchQueryText.safeParse(q).success), {
      message:
        'expected comma-separated queries of at most 200 characters each, as valid text (src/query-text.ts)',
    })
    .default('music,gaming,cooking'),

  /** Discovery beyond search: followed channels, WebSub, the daily budget (README "Discovery routes"). */
  CHANNEL_AUTO_FOLLOW: z.enum(['all', 'threshold', 'none']).default('all'),
  CHANNEL_FOLLOW_MIN_HITS: int(1, count).default(3),
  CHANNEL_FOLLOW_MIN_SUBSCRIBERS: int(0, 100 * count).default(0),
  CHANNEL_POOL: z.string().min(1).default('hunting'),
  CHANNEL_DISPATCH_EVERY_S: int(1, timerS).default(60),
  CHANNEL_MAX_PER_DISPATCH: int(1, 1_000_000).default(2000),
  CHANNEL_POLL_BATCH: int(1, 500).default(25),
  CHANNEL_POLL_LEASE_S: int(30, timerS).default(600),
  CHANNEL_POLL_MIN_S: int(60, durationS).default(3600),
  CHANNEL_POLL_MAX_S: int(60, durationS).default(604_800),
  CHANNEL_POLL_TARGET_VIDEOS: num(0.01, 10_000).default(1),
  CHANNEL_POLL_MAX_PAGES: int(1, 100).default(4),
  CHANNEL_FIRST_POLL_PAGES: int(1, 100).default(1),
  DISCOVERY_SHARE_SEARCH: num(0, 1).default(0.02),
  DISCOVERY_SHARE_CHANNELS: num(0, 1).default(0.38),
  DISCOVERY_SHARE_TRACKING: num(0, 1).default(0.6),
  DISCOVERY_PACE_SLACK: num(0, 1).default(0.05),
  WEBSUB_CALLBACK_URL: url(['http:', 'https:']).optional(),
  WEBSUB_SECRET: z
    .string()
    .min(16, { message: 'expected at least 16 characters' })
    .max(199, { message: 'expected at most 199 characters (the hub limit)' })
    .optional(),
  WEBSUB_HUB_URL: url(['http:', 'https:']).default('https://pubsubhubbub.appspot.com/subscribe'),
  WEBSUB_LEASE_S: int(60, durationS).default(432_000),
  WEBSUB_RENEW_BEFORE_S: int(60, durationS).default(86_400),
  WEBSUB_EVERY_S: int(1, timerS).default(60),
  WEBSUB_INGEST_EVERY_S: int(1, timerS).default(10),
  /** Pushed ids wait up to this long for a full videos.list batch of 50 (0: ingest every push at once). */
  WEBSUB_BATCH_WAIT_S: int(0, timerS).default(300),
  WEBSUB_POLL_FACTOR: num(1, 1000).default(6),
  /**
   * A channel with a live WebSub subscription is polled through its free public feed (no quota) at
   * the normal cadence instead of its uploads playlist WEBSUB_POLL_FACTOR times less often.
   */
  CHANNEL_FEED_POLL: bool.default(true),

  PAINTER_EVERY_S: int(1, timerS).default(60),
  SCRIBE_EVERY_S: int(1, timerS).default(60),
  WORKER_CONCURRENCY: int(1, 1000).default(16),
  WORKER_LOCK_MS: int(1000, LIMITS.timerMs).default(30_000),
  WORKER_STALLED_INTERVAL_MS: int(500, LIMITS.timerMs).default(30_000),

  NOTIFY_WEBHOOK_URL: url(['http:', 'https:']).optional(),
  NOTIFY_SLACK_WEBHOOK_URL: url(['http:', 'https:']).optional(),
  NOTIFY_THROTTLE_S: int(0, durationS).default(600),
});

export type Env = z.infer<typeof envSchema>;

/** Variables whose values are secrets: never echoed back. */
export const isSecretVar = (name: string): boolean =>
  /(KEY|TOKEN|SECRET|PASSWORD|_JSON|CREDENTIALS)/.test(name) || name.endsWith('_URL');
