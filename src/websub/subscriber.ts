import { WebSubHubError } from '../errors/index.ts';
import { scrubText } from '../redact.ts';

/**
 * Asks the hub to (un)subscribe the callback to a topic (WebSub §5.1: a form POST). The hub answers
 * 202 Accepted and then verifies our intent with a GET to the callback (see receiver.ts); the
 * subscription exists only once that verification succeeded.
 */
export async function requestSubscription(o: {
  hubUrl: string;
  callbackUrl: string;
  topic: string;
  secret: string;
  leaseSeconds: number;
  mode?: 'subscribe' | 'unsubscribe';
  timeoutMs?: number;
}): Promise<void> {
  const body = new URLSearchParams({
    'hub.callback': o.callbackUrl,
    'hub.mode': o.mode ?? 'subscribe',
    'hub.topic': o.topic,
    'hub.verify': 'async',
    'hub.lease_seconds': String(o.leaseSeconds),
    'hub.secret': o.secret,
  });
  let status: number;
  let text = '';
  try {
    const r = await fetch(o.hubUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
      signal: AbortSignal.timeout(o.timeoutMs ?? 15_000),
    });
    status = r.status;
    if (!r.ok) text = (await r.text()).slice(0, 300);
    else await r.body?.cancel();
  } catch (err) {
    throw new WebSubHubError(`the WebSub hub could not be reached: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (status !== 202 && status !== 204)
    throw new WebSubHubError(
      `the WebSub hub refused to ${o.mode ?? 'subscribe'} (HTTP ${status}): ${scrubText(text.split(o.secret).join('***'))}`,
    );
}
