import type { Events } from './events/index.ts';
import { EVENT_NAMES } from './events/index.ts';
import type { Logger } from './log.ts';

/**
 * The built-in subscriber group `activity`: every event, logged at debug level (info for the rare,
 * operational ones that nothing else logs). It makes the event stream visible in the logs and gives
 * each event at least one consumer, so events are kept in pg-boss's tables until handled.
 *
 * Each event is logged once at info: Hydra already logs key and pool events where they happen, the
 * vault its flushes, the worker runtime its failed jobs — here they stay at debug. A janitor run that
 * deleted nothing is not news.
 */
const LOUD = new Set(['video.gone', 'janitor.completed']);
const isNews = (name: string, payload: Record<string, unknown>): boolean =>
  LOUD.has(name) && !(name === 'janitor.completed' && payload.deleted === 0);

export async function subscribeActivityLog(events: Events, log: Logger): Promise<void> {
  const l = log.child({ component: 'events' });
  for (const name of EVENT_NAMES)
    await events.on(name, 'activity', async (payload) => {
      (isNews(name, payload) ? l.info.bind(l) : l.debug.bind(l))({ event: name, ...payload }, name);
    });
}
