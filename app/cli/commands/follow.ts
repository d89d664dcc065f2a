import { Command } from 'commander';
import { enqueue } from '../../../queues/index.ts';
import { followChannelsByHand } from '../../../queues/manual.ts';
import { systemClock } from '../../../src/clock.ts';
import { topFollowedChannels } from '../../../src/dao/followed-channels.ts';
import { answer, humanDuration, plural, table } from '../output.ts';
import { withPool, withQueues } from '../resources.ts';

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
    .option('--json', 'print JSON (with --list: one object per line)')
    .action(async (ids: string[], o: { list?: boolean; dispatch: boolean; json?: boolean }) => {
      if (o.list || ids.length === 0) {
        await withPool(async (pool) => {
          const rows = (await topFollowedChannels(pool, 1000)).map((c) => ({
            channelId: c.channelId,
            origin: c.origin,
            videosFound: c.videosFound,
            uploadsPerDay: c.uploadsPerDay,
            pollEveryS: c.pollEveryS,
            nextPollAt: c.nextPollAt?.toISOString() ?? null,
            websub: c.websubState,
          }));
          // JSON lines: a thousand channels stream and grep well.
          if (o.json) for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`);
          else if (rows.length === 0)
            process.stdout.write('no channel is followed yet (pleiades follow <channelId…> adds one)\n');
          else
            process.stdout.write(
              `${table(
                ['channel', 'origin', 'videos', 'uploads/day', 'polled every', 'next poll (UTC)', 'websub'],
                rows.map((r) => [
                  r.channelId,
                  r.origin,
                  String(r.videosFound),
                  r.uploadsPerDay === null || r.uploadsPerDay === undefined
                    ? '–'
                    : Number(r.uploadsPerDay).toFixed(1),
                  humanDuration(r.pollEveryS),
                  r.nextPollAt ? r.nextPollAt.slice(0, 16).replace('T', ' ') : '–',
                  r.websub ?? '–',
                ]),
              )}\n`,
            );
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
      answer(o, { ...r, dispatched }, (d) =>
        [
          d.followed.length ? `following ${plural(d.followed.length, 'new channel')}` : 'no new channel',
          ...(d.alreadyFollowed.length
            ? [`${plural(d.alreadyFollowed.length, 'channel')} already followed`]
            : []),
          ...(d.dispatched ? ['their first poll is queued'] : []),
        ].join('; '),
      );
    });
}
