import { Command } from 'commander';
import { QUEUE_NAMES } from '../../../queues/index.ts';
import { answer, plural } from '../output.ts';
import { parsePositiveInt, parseQueueList } from '../parse.ts';
import { withQueues } from '../resources.ts';

const STATES = ['waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed'] as const;

export function queuesCommand(): Command {
  return new Command('queues')
    .description('job counts per state per queue')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      await withQueues(async (queues) => {
        const rows: Record<string, Record<string, number>> = {};
        for (const name of QUEUE_NAMES) rows[name] = await queues.get(name).getJobCounts(...STATES);
        if (o.json) process.stdout.write(`${JSON.stringify(rows)}\n`);
        else {
          process.stdout.write(`${'queue'.padEnd(18)}${STATES.map((s) => s.padStart(12)).join('')}\n`);
          for (const [name, c] of Object.entries(rows))
            process.stdout.write(
              `${name.padEnd(18)}${STATES.map((s) => String(c[s] ?? 0).padStart(12)).join('')}\n`,
            );
        }
      });
    });
}

export function retryFailedCommand(): Command {
  return new Command('retry-failed')
    .description('move the failed jobs of a queue back to waiting')
    .argument('<queue>', `one of ${QUEUE_NAMES.join(', ')}`)
    .option('--count <n>', 'at most this many', '10000')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { count: string; json?: boolean }) => {
      const [queue] = parseQueueList(name, 'queue');
      const count = parsePositiveInt(o.count, '--count');
      await withQueues(async (queues) => {
        const failed = await queues.get(queue!).getFailed(0, count - 1);
        for (const job of failed) await job.retry();
        answer(o, { queue, retried: failed.length }, (d) =>
          d.retried
            ? `moved ${plural(d.retried, 'failed job')} of ${d.queue} back to waiting`
            : `no failed job in ${d.queue}`,
        );
      });
    });
}
