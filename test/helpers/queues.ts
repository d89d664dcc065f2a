import type { QueueName, QueueSet } from '../../queues/index.ts';

/** Waits until none of `names` has a job waiting, active, delayed or prioritized. */
export async function drain(queues: QueueSet, names: QueueName[], timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    let pending = 0;
    for (const n of names) {
      const c = await queues
        .get(n)
        .getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
      pending += Object.values(c).reduce((a, b) => a + b, 0);
    }
    if (pending === 0) return;
    if (Date.now() > until)
      throw new Error(`queues ${names.join(', ')} still have ${pending} jobs after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function failedJobs(
  queues: QueueSet,
  names: QueueName[],
): Promise<{ queue: string; reason: string }[]> {
  const out: { queue: string; reason: string }[] = [];
  for (const n of names)
    for (const j of await queues.get(n).getFailed()) out.push({ queue: n, reason: j.failedReason });
  return out;
}
