import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { silentLogger } from '../src/log.ts';
import { createNotifier, type Notifier } from '../src/notifier/index.ts';
import { type Receiver, startReceiver } from './fixtures/events-receiver.ts';

/** The bodies docs/events.md documents. */
const webhookBody = z
  .object({
    source: z.literal('pleiades'),
    version: z.literal(1),
    level: z.enum(['info', 'warning', 'error', 'critical']),
    message: z.string(),
    dedupeKey: z.string(),
    count: z.number().int().min(1),
    repeat: z.boolean(),
    firstAt: z.iso.datetime(),
    lastAt: z.iso.datetime(),
    sentAt: z.iso.datetime(),
    host: z.string(),
    metadata: z.record(z.string(), z.unknown()),
  })
  .strict();
const slackBody = z
  .object({
    text: z.string(),
    blocks: z.array(z.object({ type: z.enum(['section', 'context']) }).loose()).min(1),
  })
  .strict();

const open: { receivers: Receiver[]; notifiers: Notifier[] } = { receivers: [], notifiers: [] };
afterEach(async () => {
  for (const n of open.notifiers.splice(0)) await n.stop(100);
  for (const r of open.receivers.splice(0)) await r.close();
});

async function receivers(webhookMode: Receiver['mode'] = 'ok', slackMode: Receiver['mode'] = 'ok') {
  const webhook = await startReceiver(webhookMode, '/hook');
  const slack = await startReceiver(slackMode, '/services/T000/B000/slacksecretpath');
  open.receivers.push(webhook, slack);
  return { webhook, slack };
}

function notifier(webhook: Receiver, slack: Receiver, throttleS = 600, delivery = {}) {
  const n = createNotifier({
    config: {
      NOTIFY_WEBHOOK_URL: webhook.url,
      NOTIFY_SLACK_WEBHOOK_URL: slack.url,
      NOTIFY_THROTTLE_S: throttleS,
    },
    log: silentLogger,
    groupWaitMs: 300,
    delivery: { timeoutMs: 300, baseDelayMs: 50, maxDelayMs: 200, ...delivery },
  });
  open.notifiers.push(n);
  return n;
}

describe('sinks', () => {
  it('send the documented webhook and Slack bodies', async () => {
    const { webhook, slack } = await receivers();
    const n = notifier(webhook, slack);
    expect(n.sinks).toEqual(['log', 'webhook', 'slack']);
    n.send(
      'error',
      'Vault flushes keep failing',
      { failuresInARow: 3, provider: 'gcs' },
      { dedupeKey: 'vault' },
    );
    await n.flush();

    expect(webhook.accepted).toHaveLength(1);
    const body = webhookBody.parse(webhook.accepted[0]);
    expect(body).toMatchObject({
      level: 'error',
      message: 'Vault flushes keep failing',
      dedupeKey: 'vault',
      count: 1,
      repeat: false,
      metadata: { failuresInARow: 3, provider: 'gcs' },
    });
    expect(slack.accepted).toHaveLength(1);
    const s = slackBody.parse(slack.accepted[0]);
    expect(s.text).toBe(':x: [ERROR] Vault flushes keep failing');
    expect(JSON.stringify(s.blocks)).toContain('failuresInARow');
  });

  it('fold 100 identical alerts inside the window into one, with the count', async () => {
    const { webhook, slack } = await receivers();
    const n = notifier(webhook, slack);
    for (let i = 0; i < 100; i++)
      n.send('warning', 'Pool default is running low on units quota', { remaining: 900 - i });
    n.send('warning', 'Pool hunting is running low on units quota', { remaining: 5 });
    await n.flush();

    const bodies = webhook.accepted.map((b) => webhookBody.parse(b));
    expect(bodies.map((b) => [b.message, b.count])).toEqual([
      ['Pool default is running low on units quota', 100],
      ['Pool hunting is running low on units quota', 1],
    ]);
    // The first occurrence's metadata is kept.
    expect(bodies[0]!.metadata).toEqual({ remaining: 900 });
    const texts = slack.accepted.map((b) => slackBody.parse(b).text);
    expect(texts).toEqual([
      ':warning: [WARNING] Pool default is running low on units quota (×100)',
      ':warning: [WARNING] Pool hunting is running low on units quota',
    ]);
  });

  it('delivers at least once: a receiver that answered too late gets the alert again, with the same Idempotency-Key', async () => {
    const { webhook, slack } = await receivers();
    // The first answer comes after the notifier's timeout (300 ms here): it retries, as it must when
    // it cannot know whether the alert arrived. This is the "delivered twice" seen under load.
    webhook.slowFirstMs = 1500;
    const n = notifier(webhook, slack);
    n.send('error', 'Vault flushes keep failing', {}, { dedupeKey: 'vault' });
    await n.flush();
    await waitFor(() => webhook.requests.length === 2);
    const [a, b] = webhook.requests;
    expect(a!.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(b!.idempotencyKey).toBe(a!.idempotencyKey);
    expect((b!.body as { message: string }).message).toBe((a!.body as { message: string }).message);
    expect(webhook.accepted).toHaveLength(1);
  });

  it('summarise the alerts folded after the first one when the window ends', async () => {
    const { webhook, slack } = await receivers();
    const n = notifier(webhook, slack, 1);
    n.send('error', 'Jobs of queue tracker are failing permanently', {}, { dedupeKey: 'job.failed:tracker' });
    const first = await waitFor(() => webhook.accepted.length === 1);
    expect(first).toBe(true);
    for (let i = 0; i < 7; i++)
      n.send(
        'error',
        'Jobs of queue tracker are failing permanently',
        {},
        { dedupeKey: 'job.failed:tracker' },
      );
    await waitFor(() => webhook.accepted.length === 2);
    const [a, b] = webhook.accepted.map((x) => webhookBody.parse(x));
    expect([a!.count, a!.repeat]).toEqual([1, false]);
    expect([b!.count, b!.repeat]).toEqual([7, true]);
  });

  it('never let a secret reach a sink', async () => {
    const { webhook, slack } = await receivers();
    const n = notifier(webhook, slack);
    const apiKey = 'AIzaSyD4x9Yq2W8bN1mK7vC3pL6tR0sH5jF2gE1';
    const hfToken = 'hf_abcdefghijklmnopqrstuvwxyzABCDEF';
    const secrets = [
      apiKey,
      hfToken,
      'hunter2-pw',
      'sekrit-bearer-token-value',
      's3cr3t-inline',
      'slacksecretpath',
    ];
    n.send(
      'critical',
      `Upload to postgres://vault:hunter2-pw@db.internal/pleiades failed for key ${apiKey}`,
      {
        apiKey,
        token: hfToken,
        nested: {
          url: 'https://user:hunter2-pw@storage.example.com/bucket?key=AIzaSyD4x9Yq2W8bN1mK7vC3pL6tR0sH5jF2gE1',
          headers: { authorization: 'Bearer sekrit-bearer-token-value' },
          note: `retrying with ${hfToken} and password=s3cr3t-inline`,
        },
        err: new Error(`request to https://www.googleapis.com/youtube/v3/videos?key=${apiKey} failed`),
        slack: slack.url,
      },
    );
    await n.flush();

    expect(webhook.accepted).toHaveLength(1);
    expect(slack.accepted).toHaveLength(1);
    for (const raw of [...webhook.requests, ...slack.requests].map((q) => q.raw))
      for (const s of secrets) expect(raw).not.toContain(s);
    const body = webhookBody.parse(webhook.accepted[0]);
    expect(body.message).toContain('postgres://vault:***@db.internal/pleiades');
    expect(body.metadata).toMatchObject({ apiKey: '***', token: '***', err: { name: 'Error' } });
  });
});

describe('failing sinks', () => {
  it('never block the caller: its work completes, a flaky sink gets everything after retries, a hanging one costs nothing', async () => {
    const { webhook, slack } = await receivers(2, 'hang');
    const n = notifier(webhook, slack, 600, { maxQueue: 1000 });
    // The caller's work: 200 units, each raising an alert of its own while both sinks misbehave.
    const results: number[] = [];
    for (let i = 0; i < 200; i++) {
      const r = n.send('error', `Batch ${i} failed`, { batch: i }, { dedupeKey: `batch-${i}` });
      expect(r).toBeUndefined(); // nothing to wait for
      results.push(i * 2);
    }
    expect(results).toHaveLength(200);
    expect(results[199]).toBe(398);

    await n.flush(5_000);
    const got = webhook.accepted
      .map((b) => webhookBody.parse(b).metadata.batch as number)
      .sort((a, b) => a - b);
    expect(got).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(webhook.requests.filter((q) => q.status === 500)).toHaveLength(2);
    const stats = n.stats();
    expect(stats.webhook).toMatchObject({ delivered: 200, retries: 2, failed: 0, queued: 0 });
    expect(slack.requests.length).toBeGreaterThan(0); // it was asked, and never answered
    expect(stats.slack!.delivered).toBe(0);
    expect(slack.accepted).toHaveLength(0);
  });

  it('gives up on a sink that keeps answering 500 while the other sink still receives', async () => {
    const { webhook, slack } = await receivers('fail', 'ok');
    const n = notifier(webhook, slack, 600, { attempts: 3 });
    n.send('warning', 'Every key of pool default is spent for units until tomorrow', { pool: 'default' });
    await n.flush(5_000);
    expect(slack.accepted).toHaveLength(1);
    expect(webhook.requests.map((q) => q.status)).toEqual([500, 500, 500]);
    expect(n.stats().webhook).toMatchObject({ delivered: 0, failed: 1, retries: 2 });
  });

  it('survives an unreachable sink', async () => {
    const { webhook, slack } = await receivers();
    const dead = await startReceiver();
    await dead.close(); // nothing listens on its port any more
    const n = notifier(dead, slack, 600, { attempts: 2 });
    n.send('info', 'Pool default has units quota again');
    await n.flush(5_000);
    expect(slack.accepted).toHaveLength(1);
    expect(n.stats().webhook).toMatchObject({ delivered: 0, failed: 1 });
    expect(webhook.requests).toHaveLength(0);
  });
});

async function waitFor(ok: () => boolean, timeoutMs = 10_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}
