import { describe, expect, it } from 'vitest';
import { extractFeatures } from '../src/features.ts';
import { snowballQueries } from '../src/snowball.ts';

describe('snowball', () => {
  const texts = [
    { title: 'Lofi hip hop radio to study', tags: ['lofi', 'study music'] },
    { title: 'Jazz lofi for study and relax', tags: ['study music', 'jazz'] },
    { title: 'Rainy jazz cafe', tags: ['jazz', 'rain'] },
  ];
  it('derives recurring terms not in the parent query, most frequent first', () => {
    expect(snowballQueries('lofi', texts, { max: 3 })).toEqual(['jazz', 'study', 'study music']);
  });
  it('skips what is already queued and respects the cap', () => {
    expect(snowballQueries('lofi', texts, { max: 1, alreadyQueued: (q) => q === 'jazz' })).toEqual(['study']);
    expect(snowballQueries('lofi', texts, { max: 0 })).toEqual([]);
  });
  it('ignores stopwords, numbers and one-off words', () => {
    const out = snowballQueries(
      'x',
      [
        { title: 'The 2024 best of the year', tags: [] },
        { title: 'the 2024 best', tags: [] },
      ],
      { max: 5 },
    );
    expect(out).toEqual(['best']);
  });
});

describe('features', () => {
  it('measures a title, its tags and the publication time', () => {
    const f = extractFeatures({
      id: 'dQw4w9WgXcQ',
      title: 'WOW this is AMAZING 🔥 part 2?',
      tags: ['a', 'b', 'c'],
      description: 'héllo',
      durationS: 212,
      publishedAt: new Date('2026-11-22T17:30:00Z'),
      categoryId: 10,
    });
    expect(f).toMatchObject({
      titleLength: 29,
      titleWords: 7,
      titleHasQuestion: true,
      titleHasNumber: true,
      tagCount: 3,
      descriptionLength: 5,
      durationS: 212,
      publishHourUtc: 17,
      publishWeekdayUtc: 0,
    });
    expect(f.titleCapsRatio).toBeCloseTo(10 / 20);
    expect(f.titleEmojiRatio).toBeCloseTo(1 / 29);
  });
});
