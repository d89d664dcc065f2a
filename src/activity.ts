import type { Events } from './events/index.ts';
import { EVENT_NAMES } from './events/index.ts';
import type { Logger } from './log.ts';

/**
 * The built-in subscriber group `activity`: every event, logged at debug level (info for the rare,
 * operational ones). It makes the event stream visible in the logs and gives each event at least one
 * consumer, so events are kept in pg-boss's tables until handled.
 */
const QUIET = new Set(['video.discovered', 'query.snowballed', 'vault.flushed']);

export async function subscribeActivityLog(events: Events, log: Logger): Promise<void> {
  const l = log.child({ component: 'events' });
  for (const name of EVENT_NAMES)
    await events.on(name, 'activity', async (payload) => {
      (QUIET.has(name) ? l.debug.bind(l) : l.info.bind(l))({ event: name, ...payload }, name);
    });
}
