import { Command } from 'commander';
import {
  addSearchQueries,
  enqueueManualJob,
  MANUAL_JOB_QUEUES,
  trackVideos,
} from '../../../queues/manual.ts';
import { systemClock } from '../../../src/clock.ts';
import { parseInteger } from '../parse.ts';
import { withPool, withQueues } from '../resources.ts';

const out = (o: unknown) =>
  process.stdout.write(`${JSON.stringify(o, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}\n`);

export function enqueueCommand(): Command {
  const cmd = new Command('enqueue').description('add work by hand');
  cmd
    .command('search')
    .description('queue a search query for the Hunter')
    .argument('<query...>', 'the query (words are joined with spaces)')
    .option('--priority <n>', 'higher runs first (-1000..1000)', '100')
    .action(async (words: string[], o: { priority: string }) => {
      const priority = parseInteger(o.priority, '--priority', -1000, 1000);
      await withPool(async (pool) => {
        const r = await addSearchQueries(pool, [words.join(' ')], priority);
        out({ added: r.added.map((q) => ({ id: q.id, query: q.query })), alreadyQueued: r.alreadyQueued });
      });
    });
  cmd
    .command('track')
    .description('put videos on the watchlist, due now')
    .argument('<videoId...>', '11-character YouTube video ids')
    .action(async (ids: string[]) => {
      await withPool(async (pool) => {
        out(await trackVideos(pool, ids, systemClock.now()));
      });
    });
  for (const queue of MANUAL_JOB_QUEUES)
    cmd
      .command(queue)
      .description(`start a ${queue} job now`)
      .option('--force', queue === 'janitor' ? 'allow a retention under 1 day' : 'run even if not due')
      .action(async (o: { force?: boolean }) => {
        await withQueues(async (queues) => {
          out({ queue, jobId: await enqueueManualJob(queues, queue, o.force ? { force: true } : {}) });
        });
      });
  return cmd;
}
