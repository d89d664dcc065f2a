import { pacificOffsetByIntl as intlOffset, pacificOffsetMs } from '@pleiades/youtube-simulator/clock';
import { describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS, nextPacificMidnight, pacificDay } from '../src/clock.ts';

/**
 * YouTube's quota day (midnight America/Los_Angeles) is worked out by arithmetic on the US daylight
 * rule (packages/youtube-simulator/src/clock.ts), not by Intl: these tests hold it to Intl's time
 * zone data, so a change of the rule fails here once Node ships it.
 */

/** The Pacific calendar day and time of `ms` by Intl, as `YYYY-MM-DDTHH:MM:SS`. */
const intlWall = (ms: number) => new Date(ms + intlOffset(ms)).toISOString().slice(0, 19);
const intlDay = (ms: number) => intlWall(ms).slice(0, 10);

/** Every daylight-saving change of Los Angeles in [from, to), found by Intl: the first ms of the new offset. */
function transitions(from: number, to: number): number[] {
  const out: number[] = [];
  let before = intlOffset(from);
  for (let t = from; t < to; t += HOUR_MS) {
    const after = intlOffset(t + HOUR_MS);
    if (after !== before) {
      let lo = t;
      let hi = t + HOUR_MS;
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (intlOffset(mid) === before) lo = mid;
        else hi = mid;
      }
      out.push(hi);
    }
    before = after;
  }
  return out;
}

describe('the Pacific quota day', () => {
  const FROM = Date.UTC(2007, 0, 1);
  const TO = Date.UTC(2051, 0, 1);

  it('is the day Intl gives, every 3 hours 7 minutes from 2007 to 2050', () => {
    const wrong: string[] = [];
    for (let t = FROM; t < TO; t += 3 * HOUR_MS + 7 * 60_000) {
      if (pacificDay(t) !== intlDay(t)) wrong.push(new Date(t).toISOString());
    }
    expect(wrong).toEqual([]);
  });

  it('changes offset at the very millisecond Intl does, twice a year', () => {
    const changes = transitions(FROM, TO);
    expect(changes).toHaveLength(88);
    for (const t of changes)
      for (const ms of [t - 1, t, t + 1])
        expect([new Date(ms).toISOString(), pacificOffsetMs(ms)]).toEqual([
          new Date(ms).toISOString(),
          intlOffset(ms),
        ]);
  });

  it('resets at the next Pacific midnight, 23 and 25 hours apart on the change days', () => {
    const lengths = new Set<number>();
    let midnight = nextPacificMidnight(FROM);
    while (midnight < TO) {
      expect([new Date(midnight).toISOString(), intlWall(midnight).slice(11)]).toEqual([
        new Date(midnight).toISOString(),
        '00:00:00',
      ]);
      expect(intlDay(midnight - 1)).not.toBe(intlDay(midnight));
      // From any moment of the day, the same reset; at the reset itself, the next one.
      expect(nextPacificMidnight(midnight - 1)).toBe(midnight);
      expect(nextPacificMidnight(midnight - 13 * HOUR_MS - 7)).toBe(midnight);
      const next = nextPacificMidnight(midnight);
      lengths.add(next - midnight);
      midnight = next;
    }
    expect([...lengths].sort((a, b) => a - b)).toEqual([DAY_MS - HOUR_MS, DAY_MS, DAY_MS + HOUR_MS]);
  });

  it('asks Intl for the years before the 2007 rule (April to October then)', () => {
    // 2006: daylight time from the first Sunday of April to the last Sunday of October.
    const changes = transitions(Date.UTC(2006, 0, 1), Date.UTC(2007, 0, 1));
    expect(changes.map((t) => new Date(t).toISOString())).toEqual([
      '2006-04-02T10:00:00.000Z',
      '2006-10-29T09:00:00.000Z',
    ]);
    for (const t of changes)
      for (const ms of [t - 1, t, t + 7 * HOUR_MS, t + 8 * HOUR_MS]) {
        expect(pacificOffsetMs(ms)).toBe(intlOffset(ms));
        expect(pacificDay(ms)).toBe(intlDay(ms));
      }
    expect(nextPacificMidnight(Date.UTC(2006, 9, 29, 12))).toBe(Date.UTC(2006, 9, 30, 8));
  });
});
