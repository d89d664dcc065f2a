import { describe, expect, it } from 'vitest';
import { parsePayload, payloadSchemas } from '../queues/index.ts';
import { isPlainTrackerPayload } from '../queues/plain-tracker-payload.ts';
import { ValidationError } from '../src/errors/index.ts';

/** The tracker payload's check without zod: it passes only what the schema passes unchanged. */
describe('the quick check of tracker payloads', () => {
  const video = {
    id: 'dQw4w9WgXcQ',
    publishedMin: 29_000_000,
    dueMin: 29_100_000,
    tier: 1,
    misses: 0,
    lastTrackedMin: 0,
  };
  const base = () => ({
    leaseMin: 29_100_001,
    batchIds: ['12', '13'],
    videos: [{ ...video }, { ...video, id: 'dQw4w9WgXcA', tier: 0, misses: 2, lastTrackedMin: 29_099_000 }],
    capacity: { demoteBelowVph: 3.5, overloaded: true },
  });

  it('passes the dispatcher payload as it is, what the schema would return', () => {
    const p = base();
    expect(isPlainTrackerPayload(p)).toBe(true);
    expect(parsePayload('tracker', p)).toBe(p);
    expect(payloadSchemas.tracker.parse(p)).toEqual(p);
    const { capacity: _, ...noCapacity } = base();
    expect(isPlainTrackerPayload(noCapacity)).toBe(true);
  });

  it('sends anything else to the schema: bad payloads still fail with the field named', () => {
    type P = ReturnType<typeof base>;
    const variants: [string, (p: P) => unknown, boolean][] = [
      ['a bad video id', (p) => (p.videos[0]!.id = 'short'), false],
      ['a tier out of range', (p) => (p.videos[0]!.tier = 3), false],
      ['negative misses', (p) => (p.videos[0]!.misses = -1), false],
      ['a fractional minute', (p) => (p.videos[0]!.dueMin = 1.5), false],
      ['a batch id not digits', (p) => (p.batchIds[0] = '-1'), false],
      ['no batch', (p) => (p.batchIds = []), false],
      ['51 videos', (p) => (p.videos = Array.from({ length: 51 }, () => ({ ...video }))), false],
      ['an unknown payload field', (p) => Object.assign(p, { extra: 1 }), false],
      ['a negative threshold', (p) => (p.capacity.demoteBelowVph = -1), false],
      // zod drops an unknown field of a video: valid, but not passed as it is
      ['an unknown video field', (p) => Object.assign(p.videos[0]!, { extra: 1 }), true],
    ];
    for (const [what, change, valid] of variants) {
      const p = base();
      change(p);
      expect(isPlainTrackerPayload(p), what).toBe(false);
      if (valid) expect(parsePayload('tracker', p), what).toEqual(payloadSchemas.tracker.parse(p));
      else expect(() => parsePayload('tracker', p), what).toThrow(ValidationError);
    }
  });
});
