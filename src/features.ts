import type { VideoFeatures } from './dao/features.ts';
import type { HotVideo } from './dao/videos.ts';

/** The Scribe's features of one video, computed from its metadata alone (docs/features.md). */
const EMOJI_RE = /\p{Extended_Pictographic}/gu;
const LETTER_RE = /\p{L}/gu;
const UPPER_RE = /\p{Lu}/gu;

export function extractFeatures(
  v: Pick<HotVideo, 'id' | 'title' | 'tags' | 'description' | 'durationS' | 'publishedAt' | 'categoryId'>,
): VideoFeatures {
  const title = v.title;
  const chars = [...title];
  const letters = title.match(LETTER_RE)?.length ?? 0;
  const upper = title.match(UPPER_RE)?.length ?? 0;
  const emoji = title.match(EMOJI_RE)?.length ?? 0;
  const words = title.trim() ? title.trim().split(/\s+/).length : 0;
  return {
    videoId: v.id,
    titleLength: chars.length,
    titleWords: words,
    titleCapsRatio: letters ? upper / letters : 0,
    titleEmojiRatio: chars.length ? emoji / chars.length : 0,
    titleHasQuestion: title.includes('?'),
    titleHasNumber: /\d/.test(title),
    tagCount: v.tags.length,
    descriptionLength: [...v.description].length,
    durationS: v.durationS,
    publishHourUtc: v.publishedAt.getUTCHours(),
    publishWeekdayUtc: v.publishedAt.getUTCDay(),
    categoryId: v.categoryId,
  };
}
