import { channelOfTopic, isChannelId, topicForChannel } from '@pleiades/youtube-simulator/websub-topic';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { WebSubRejectedError } from '../errors/index.ts';
import { isVideoId } from '../video-id.ts';

/**
 * The Atom feed YouTube's hub pushes when a channel publishes (or edits) a video:
 *
 *   <feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" xmlns="http://www.w3.org/2005/Atom">
 *     <link rel="self" href="https://www.youtube.com/xml/feeds/videos.xml?channel_id=UC…"/>
 *     <entry><yt:videoId>…</yt:videoId><yt:channelId>UC…</yt:channelId><published>…</published>…</entry>
 *   </feed>
 *
 * and `<at:deleted-entry ref="yt:video:…">` when one is deleted. Parsed with fast-xml-parser after a
 * well-formedness check; a document type (entity declarations) is refused outright.
 */

export interface FeedEntry {
  videoId: string;
  channelId: string;
  title: string;
  publishedAt: Date;
}

export interface ParsedFeed {
  topic: string;
  channelId: string;
  entries: FeedEntry[];
  deleted: string[];
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: true,
  isArray: (name) => name === 'link' || name === 'entry' || name === 'at:deleted-entry',
  maxNestedTags: 20,
});

const malformed = (message: string, cause?: unknown): WebSubRejectedError =>
  new WebSubRejectedError(400, `malformed feed: ${message}`, cause === undefined ? undefined : { cause });

type Node = Record<string, unknown>;
const text = (v: unknown): string | null => {
  if (typeof v === 'string') return v.trim();
  if (v && typeof v === 'object' && typeof (v as Node)['#text'] === 'string')
    return ((v as Node)['#text'] as string).trim();
  return null;
};

export function parseFeed(xml: string): ParsedFeed {
  if (/<!DOCTYPE/i.test(xml)) throw malformed('a document type declaration is not accepted');
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw malformed(`not well-formed XML (${valid.err.msg}, line ${valid.err.line})`);
  let doc: Node;
  try {
    doc = parser.parse(xml) as Node;
  } catch (err) {
    throw malformed('the XML could not be read', err);
  }
  const feed = doc.feed;
  if (!feed || typeof feed !== 'object') throw malformed('no Atom <feed> element');
  const f = feed as Node;
  const links = (Array.isArray(f.link) ? f.link : []) as Node[];
  const tombstones = (Array.isArray(f['at:deleted-entry']) ? f['at:deleted-entry'] : []) as Node[];
  // A deletion notice has no rel=self link: its channel is in each tombstone's <at:by><uri>.
  const self = links.find((l) => l['@_rel'] === 'self')?.['@_href'] ?? topicOfTombstones(tombstones);
  if (typeof self !== 'string') throw malformed('no <link rel="self"> naming the topic');
  const channelId = channelOfTopic(self);
  if (!channelId) throw malformed(`the topic is not a YouTube channel feed: ${self.slice(0, 200)}`);
  const entries: FeedEntry[] = [];
  for (const e of (Array.isArray(f.entry) ? f.entry : []) as Node[]) {
    const videoId = text(e['yt:videoId']);
    const ch = text(e['yt:channelId']);
    const published = text(e.published);
    if (!isVideoId(videoId)) throw malformed(`an entry has no valid <yt:videoId>: ${String(videoId)}`);
    if (!isChannelId(ch)) throw malformed(`entry ${videoId} has no valid <yt:channelId>`);
    if (ch !== channelId) throw malformed(`entry ${videoId} belongs to ${ch}, not to the topic's channel`);
    const t = published === null ? Number.NaN : Date.parse(published);
    if (Number.isNaN(t)) throw malformed(`entry ${videoId} has no valid <published> time`);
    entries.push({ videoId, channelId: ch, title: text(e.title) ?? '', publishedAt: new Date(t) });
  }
  const deleted: string[] = [];
  for (const d of tombstones) {
    const ref = d['@_ref'];
    const id = typeof ref === 'string' ? ref.replace(/^yt:video:/, '') : null;
    if (isVideoId(id)) deleted.push(id);
  }
  return { topic: self, channelId, entries, deleted };
}

/** The channel feed topic named by the tombstones' `<at:by><uri>` (all of one channel), or undefined. */
function topicOfTombstones(tombstones: Node[]): string | undefined {
  const uris = new Set(
    tombstones.map(
      (d) => text((d['at:by'] as Node | undefined)?.uri)?.match(/\/channel\/(UC[\w-]{22})$/)?.[1],
    ),
  );
  const [channelId] = [...uris];
  return uris.size === 1 && channelId ? topicForChannel(channelId) : undefined;
}
