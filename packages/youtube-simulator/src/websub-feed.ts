import { createHmac } from 'node:crypto';

/**
 * What YouTube's WebSub hub puts on the wire: the Atom feed of a channel's new or edited videos and
 * its `X-Hub-Signature` (`<algo>=<hex HMAC of the raw body>` keyed with the subscription's secret;
 * YouTube signs with sha1, PubSubHubbub 0.4). Subscribers (Pleiades' src/websub/) parse and verify.
 */

export function signBody(secret: string, body: Buffer | string, algorithm = 'sha1'): string {
  return `${algorithm}=${createHmac(algorithm, secret).update(body).digest('hex')}`;
}

/** An Atom notification as YouTube's hub sends it (the simulator's hub and the tests build them). */
export function buildFeed(
  channelId: string,
  topic: string,
  entries: { videoId: string; title: string; channelTitle: string; publishedAt: Date; updatedAt?: Date }[],
): string {
  const esc = (s: string) =>
    s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const items = entries.map(
    (e) => `  <entry>
    <id>yt:video:${e.videoId}</id>
    <yt:videoId>${e.videoId}</yt:videoId>
    <yt:channelId>${channelId}</yt:channelId>
    <title>${esc(e.title)}</title>
    <link rel="alternate" href="https://www.youtube.com/watch?v=${e.videoId}"/>
    <author>
      <name>${esc(e.channelTitle)}</name>
      <uri>https://www.youtube.com/channel/${channelId}</uri>
    </author>
    <published>${e.publishedAt.toISOString()}</published>
    <updated>${(e.updatedAt ?? e.publishedAt).toISOString()}</updated>
  </entry>`,
  );
  return `<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" xmlns="http://www.w3.org/2005/Atom">
  <link rel="hub" href="https://pubsubhubbub.appspot.com"/>
  <link rel="self" href="${esc(topic)}"/>
  <title>YouTube video feed</title>
  <updated>${new Date(Math.max(0, ...entries.map((e) => +(e.updatedAt ?? e.publishedAt)))).toISOString()}</updated>
${items.join('\n')}
</feed>
`;
}
