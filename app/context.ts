import { randomBytes } from 'node:crypto';
import type { Simulator, SimulatorOptions } from '@pleiades/youtube-simulator';
import type { Redis } from 'ioredis';
import { createQueues, type QueueSet } from '../queues/index.ts';
import { type Clock, ScaledClock, systemClock } from '../src/clock.ts';
import { type Config, usesSimulator } from '../src/config/index.ts';
import { createPool, type Pool } from '../src/db/pool.ts';
import { createEvents, type Events } from '../src/events/index.ts';
import { createHydraFromConfig, type Hydra, type KeyPools } from '../src/hydra/index.ts';
import type { Logger } from '../src/log.ts';
import { registerSecret } from '../src/redact.ts';
import { createRedis, redisTarget } from '../src/redis.ts';
import { policyFromConfig } from '../src/tiers.ts';
import { createVault } from '../src/vault/index.ts';
import { createChannelFeedReader } from '../src/youtube/channel-feed.ts';
import { createYouTubeClient } from '../src/youtube/client.ts';
import { type AgentDeps, type EventEmitter, noEmit } from '../workers/deps.ts';

export interface Context {
  deps: AgentDeps;
  events: Events | null;
  hydra: Hydra;
  pool: Pool;
  redis: Redis;
  queues: QueueSet;
  simulator: Simulator | null;
  close(): Promise<void>;
}

export interface ContextOptions {
  clock?: Clock;
  /** Start the built-in simulator in this process (default: when no key pool is configured). */
  simulator?: boolean | SimulatorOptions;
  /** Publish events on the pg-boss bus (default true); false leaves `emit` a no-op. */
  events?: boolean;
}

/**
 * Connections and services the agents share in one process: Postgres pool, Redis, queues, Hydra,
 * the YouTube client — and, when no key pool is configured, the built-in simulator with keys made up
 * for this run (they exist only in this process's memory).
 */
export async function createContext(
  config: Config,
  log: Logger,
  opts: ContextOptions = {},
): Promise<Context> {
  let clock = opts.clock ?? systemClock;
  let simulator: Simulator | null = null;
  let pools: KeyPools | undefined = config.YOUTUBE_API_KEY_POOL_JSON;
  let rootUrl = config.YOUTUBE_API_ROOT;
  const wantSimulator = opts.simulator ?? usesSimulator(config);
  if (wantSimulator) {
    if (!opts.clock && config.SIMULATOR_SPEED !== 1)
      clock = new ScaledClock({ speed: config.SIMULATOR_SPEED });
    const keys = pools
      ? Object.values(pools).flat()
      : [1, 2, 3].map(() => `sim-${randomBytes(12).toString('hex')}`);
    pools ??= { default: keys };
    // Loaded only here: worker replicas talking to YouTube never pay for the simulator's modules.
    const { startSimulator } = await import('@pleiades/youtube-simulator');
    simulator = await startSimulator({
      port: config.SIMULATOR_PORT,
      seed: config.SIMULATOR_SEED,
      clock,
      keys,
      searchQuota: config.HYDRA_SEARCH_QUOTA,
      unitsQuota: config.HYDRA_UNITS_QUOTA,
      ...(typeof wantSimulator === 'object' ? wantSimulator : {}),
    });
    rootUrl = simulator.url;
  }
  for (const k of Object.values(pools ?? {}).flat()) registerSecret(k);
  const events =
    opts.events === false ? null : await createEvents({ databaseUrl: config.DATABASE_URL, log, clock });
  const emit: EventEmitter = events ? (name, payloads, o) => events.emitAny(name, payloads, o) : noEmit;
  const pool = createPool(config.DATABASE_URL, { max: config.DATABASE_POOL_MAX });
  const redis = createRedis(redisTarget(config), 'client');
  const queues = createQueues({
    redisUrl: redisTarget(config),
    prefix: config.REDIS_PREFIX,
    connection: redis,
  });
  const hydra = createHydraFromConfig(config, {
    redis,
    clock,
    log,
    ...(pools ? { pools } : {}),
    // Key and pool events go to the bus (and from there to the alert rules); never the key itself.
    onEvent: ({ type, ...payload }) => {
      emit(type, [payload]).catch((err: Error) =>
        log.warn({ event: type, err: err.message }, 'could not publish event'),
      );
    },
  });
  const youtube = createYouTubeClient({
    timeoutMs: config.YOUTUBE_TIMEOUT_MS,
    ...(rootUrl ? { rootUrl } : {}),
  });
  const feed = createChannelFeedReader({
    rootUrl: config.YOUTUBE_FEED_ROOT ?? rootUrl ?? 'https://www.youtube.com',
    timeoutMs: config.YOUTUBE_TIMEOUT_MS,
  });
  const deps: AgentDeps = {
    config,
    pool,
    log,
    clock,
    queues,
    hydra,
    youtube,
    feed,
    policy: policyFromConfig(config),
    vault: createVault(config, log),
    emit,
  };
  return {
    deps,
    events,
    hydra,
    pool,
    redis,
    queues,
    simulator,
    async close() {
      await queues.close();
      await hydra.close();
      await events?.stop();
      await pool.end();
      redis.disconnect();
      await simulator?.close();
    },
  };
}
