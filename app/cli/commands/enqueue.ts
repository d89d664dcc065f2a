import { Command } from 'commander';
import {
  addSearchQueries,
  enqueueManualJob,
  MANUAL_JOB_QUEUES,
  trackVideos,
} from '../../../queues/manual.ts';
import { systemClock } from '../../../src/clock.ts';
import { answer, plural } from '../output.ts';
import { parseInteger } from '../parse.ts';
import { withPool, withQueues } from '../resources.ts';

/** Query ids are bigints in Postgres: JSON gets them as strings. */
const jsonSafe = <T>(o: T): T =>
  JSON.parse(JSON.stringify(o, (_k, v) => (typeof v === 'bigint' ? String(v) : v)));

export function enqueueCommand(): Command {
  const cmd = new Command('enqueue').description('add work by hand');
  cmd
    .command('search')
    .description('queue a search query for the Hunter')
    .argument('<query...>', 'the query (words are joined with spaces)')
    .option('--priority <n>', 'higher runs first (-1000..1000)', '100')
    .option('--json', 'print JSON')
    .action(async (words: string[], o: { priority: string; json?: boolean }) => {
      const priority = parseInteger(o.priority, '--priority', -1000, 1000);
      await withPool(async (pool) => {
        const r = await addSearchQueries(pool, [words.join(' ')], priority);
        const data = jsonSafe({
          added: r.added.map((q) => ({ id: q.id, query: q.query })),
          alreadyQueued: r.alreadyQueued,
        });
        answer(o, data, (d) =>
          [
            ...d.added.map((q) => `queued search "${q.query}" (id ${q.id}, priority ${priority})`),
            ...d.alreadyQueued.map((q) => `"${q}" is already queued`),
          ].join('\n'),
        );
      });
    });
  cmd
    .command('track')
    .description('put videos on the watchlist, due now')
    .argument('<videoId...>', '11-character YouTube video ids')
    .option('--json', 'print JSON')
    .action(async (ids: string[], o: { json?: boolean }) => {
      await withPool(async (pool) => {
        answer(o, await trackVideos(pool, ids, systemClock.now()), (d) =>
          [
            `added ${plural(d.added, 'video')} to the watchlist, due now`,
            ...(d.alreadyTracked ? [`${plural(d.alreadyTracked, 'video')} already tracked`] : []),
          ].join('; '),
        );
      });
    });
  for (const queue of MANUAL_JOB_QUEUES)
    cmd
      .command(queue)
      .description(`start a ${queue} job now`)
      .option('--force', queue === 'janitor' ? 'allow a retention under 1 day' : 'run even if not due')
      .option('--json', 'print JSON')
      .action(async (o: { force?: boolean; json?: boolean }) => {
        await withQueues(async (queues) => {
          const jobId = await enqueueManualJob(queues, queue, o.force ? { force: true } : {});
          answer(o, { queue, jobId }, (d) => `started a ${d.queue} job (id ${d.jobId ?? '?'})`);
        });
      });
  return cmd;
}
