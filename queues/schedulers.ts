import type { Config } from '../src/config/index.ts';
import { demoSchedule } from '../src/demo.ts';
import { websubSettings } from '../src/websub/settings.ts';
import type { QueueName } from './definitions.ts';
import type { QueueSet } from './index.ts';

/** How often each scheduled queue gets a job: ms, or a cron pattern (UTC), from configuration. */
export function scheduleEvery(config: Config): Partial<Record<QueueName, number | string>> {
  return {
    'hunter-dispatch': config.HUNTER_DISPATCH_EVERY_S * 1000,
    'tracker-dispatch': config.TRACKER_DISPATCH_EVERY_S * 1000,
    janitor: config.JANITOR_EVERY_S * 1000,
    painter: config.PAINTER_EVERY_S * 1000,
    scribe: config.SCRIBE_EVERY_S * 1000,
    'channel-dispatch': config.CHANNEL_DISPATCH_EVERY_S * 1000,
    // WebSub runs only with a public callback URL (websubSettings refuses one without a secret).
    ...(websubSettings(config)
      ? {
          'websub-subscribe': config.WEBSUB_EVERY_S * 1000,
          'websub-ingest': config.WEBSUB_INGEST_EVERY_S * 1000,
        }
      : {}),
    // The flush job runs often and decides by itself (rows staged, age of the oldest) whether to write.
    'vault-flush': Math.min(30_000, config.VAULT_FLUSH_INTERVAL_S * 1000),
    // Once a day, after the UTC day's partition is complete (not at every start, unlike an interval).
    'vault-compact': config.VAULT_COMPACT_CRON,
  };
}

/**
 * Installs one BullMQ job scheduler per scheduled queue, id = queue name. `upsertJobScheduler` is
 * idempotent: ten schedulers starting at once leave one schedule per queue.
 */
export async function installSchedulers(
  queues: QueueSet,
  config: Config,
  /** The demo's speed (src/demo.ts): real intervals shrink with it. */
  speed = 1,
): Promise<Record<string, number | string>> {
  const every = demoSchedule(scheduleEvery(config), speed);
  for (const [name, when] of Object.entries(every) as [QueueName, number | string][]) {
    const repeat = typeof when === 'number' ? { every: when } : { pattern: when, tz: 'UTC' };
    await queues.get(name).upsertJobScheduler(name, repeat, { name, data: {} });
  }
  return every as Record<string, number | string>;
}

export async function removeSchedulers(queues: QueueSet, config: Config): Promise<void> {
  for (const name of Object.keys(scheduleEvery(config)) as QueueName[])
    await queues.get(name).removeJobScheduler(name);
}
