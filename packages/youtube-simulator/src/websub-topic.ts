/**
 * YouTube's WebSub topics: one Atom feed per channel, announced through Google's hub. A channel id is
 * `UC` and 22 base64url characters; its uploads playlist is usually `UU` and the same 22.
 */

export const CHANNEL_ID_RE = /^UC[A-Za-z0-9_-]{22}$/;
export const isChannelId = (s: unknown): s is string => typeof s === 'string' && CHANNEL_ID_RE.test(s);

const FEED_URL = 'https://www.youtube.com/xml/feeds/videos.xml';
const FEED_PATHS = new Set(['/xml/feeds/videos.xml', '/feeds/videos.xml']);

/** The topic URL of a channel's uploads feed. */
export const topicForChannel = (channelId: string): string =>
  `${FEED_URL}?channel_id=${encodeURIComponent(channelId)}`;

/**
 * The channel of a topic URL (YouTube's feed URL, http or https, with `channel_id`), or null for any
 * other URL. The hub's topic is `/xml/feeds/videos.xml`; the same feed served to readers is
 * `/feeds/videos.xml` (its `<link rel="self">` names that form), so both are accepted.
 */
export function channelOfTopic(topic: string): string | null {
  let u: URL;
  try {
    u = new URL(topic);
  } catch {
    return null;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return null;
  if (u.hostname !== 'www.youtube.com' || !FEED_PATHS.has(u.pathname)) return null;
  const id = u.searchParams.get('channel_id');
  return isChannelId(id) ? id : null;
}
