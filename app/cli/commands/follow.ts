import { Command } from 'commander';
import { enqueue } from '../../../queues/index.ts';
import { followChannelsByHand } from '../../../queues/manual.ts';
import { systemClock } from '../../../src/clock.ts';
import { topFollowedChannels } from '../../../src/dao/followed-channels.ts';
import { withPool, withQueues } from '../resources.ts';

const out = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);

/**
 * `pleiades follow <channelId…>`: follow channels by hand (their uploads playlists are polled, and
 * subscribed to with WebSub when it is configured). `--list` shows the most productive followed ones.
 */
export function followCommand(): Command {
  return new Command('follow')
    .description('follow YouTube channels: poll their uploads playlists for new videos')
    .argument('[channelId...]', 'channel ids (UC and 22 characters)')
    .option('--list', 'list followed channels, the most productive first')
    .option('--no-dispatch', 'do not start the channel dispatcher now')
    .action(async (ids: string[], o: { list?: boolean; dispatch: boolean }) => {
      if (o.list || ids.length === 0) {
        await withPool(async (pool) => {
          for (const c of await topFollowedChannels(pool, 1000))
            out({
              channelId: c.channelId,
              origin: c.origin,
              videosFound: c.videosFound,
              uploadsPerDay: c.uploadsPerDay,
              pollEveryS: c.pollEveryS,
              nextPollAt: c.nextPollAt?.toISOString() ?? null,
              websub: c.websubState,
            });
        });
        return;
      }
      const r = await withPool((pool) => followChannelsByHand(pool, ids, systemClock.now()));
      let dispatched = false;
      if (r.followed.length > 0 && o.dispatch)
        dispatched = await withQueues(async (queues) => {
          await enqueue(queues, 'channel-dispatch', {});
          return true;
        });
      out({ ...r, dispatched });
    });
}
