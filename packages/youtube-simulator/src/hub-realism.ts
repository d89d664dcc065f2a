import { hash2, normal, unit2 } from './rng.ts';
import { type RealismOption, resolveRealism } from './search-realism.ts';

/**
 * How YouTube's hub departs from a perfect one (docs/simulator.md names the public observation behind
 * each knob): notifications arrive late, some twice, some never. On by default; `perfect` delivers
 * every notification once, at the moment of publication.
 */
export interface HubRealism {
  perfect: boolean;
  /** Delivery delay after the event: log-normal with this median (seconds)… */
  delayMedianS: number;
  /** …this spread (sigma of the log)… */
  delaySigma: number;
  /** …and at most this long (seconds). */
  maxDelayS: number;
  /** Share of notifications delivered a second time, in a separate POST. */
  duplicateRate: number;
  /** Share of notifications never delivered. */
  dropRate: number;
}

export const REALISTIC_HUB: HubRealism = {
  perfect: false,
  delayMedianS: 90,
  delaySigma: 1.2,
  maxDelayS: 3 * 3600,
  duplicateRate: 0.05,
  dropRate: 0.03,
};

export const PERFECT_HUB: HubRealism = {
  perfect: true,
  delayMedianS: 0,
  delaySigma: 0,
  maxDelayS: 0,
  duplicateRate: 0,
  dropRate: 0,
};

export type HubRealismOption = RealismOption<HubRealism>;

export const hubRealism = (o: HubRealismOption | undefined): HubRealism =>
  resolveRealism(o, REALISTIC_HUB, PERFECT_HUB);

/**
 * When the hub sends the notification of one event (an upload, or change `key` of a video), as
 * offsets in ms after the event: none (dropped), one, or two (duplicated). A pure function of the
 * event, so repeated deliveries agree on it.
 */
export function deliveryOffsets(r: HubRealism, seed: number, key: number): number[] {
  if (r.perfect) return [0];
  const k = hash2(seed, key);
  if (unit2(k, 1) < r.dropRate) return [];
  const delay = (salt: number) =>
    Math.min(
      r.maxDelayS * 1000,
      Math.round(r.delayMedianS * 1000 * Math.exp(r.delaySigma * normal(unit2(k, salt), unit2(k, salt + 1)))),
    );
  const first = delay(2);
  if (unit2(k, 4) >= r.duplicateRate) return [first];
  return [first, first + delay(5)];
}

/**
 * The Atom notification YouTube's hub sends when a video is deleted: one `at:deleted-entry`
 * (RFC 6721 tombstone) per video, its channel in `at:by`; no `<entry>` and no rel=self link.
 */
export function buildDeletedFeed(
  channelId: string,
  channelTitle: string,
  deleted: { videoId: string; at: Date }[],
): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const items = deleted.map(
    (d) => `  <at:deleted-entry ref="yt:video:${d.videoId}" when="${d.at.toISOString()}">
    <link href="https://www.youtube.com/watch?v=${d.videoId}"/>
    <at:by>
      <name>${esc(channelTitle)}</name>
      <uri>https://www.youtube.com/channel/${channelId}</uri>
    </at:by>
  </at:deleted-entry>`,
  );
  return `<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns:at="http://purl.org/atompub/tombstones/1.0" xmlns="http://www.w3.org/2005/Atom">
${items.join('\n')}
</feed>
`;
}
