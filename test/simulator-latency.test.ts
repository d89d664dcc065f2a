import { LatencySampler, latencySampler, YOUTUBE_LATENCY } from '@pleiades/youtube-simulator/latency';
import { describe, expect, it } from 'vitest';

/** The simulator's answer-time model: its draws have the medians and tails docs/simulator.md states. */

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))]!;

describe('YouTube latency model', () => {
  it('draws each method with its stated p50 and p99', () => {
    const s = new LatencySampler(YOUTUBE_LATENCY, 7);
    for (const method of ['videos.list', 'search.list'] as const) {
      const draws = Array.from({ length: 20_000 }, () => s.delayMs(method));
      const m = YOUTUBE_LATENCY[method]!;
      expect(quantile(draws, 0.5) / m.p50Ms).toBeGreaterThan(0.93);
      expect(quantile(draws, 0.5) / m.p50Ms).toBeLessThan(1.07);
      expect(quantile(draws, 0.99) / m.p99Ms).toBeGreaterThan(0.85);
      expect(quantile(draws, 0.99) / m.p99Ms).toBeLessThan(1.15);
      expect(Math.max(...draws)).toBeLessThanOrEqual(m.p99Ms * 10);
    }
  });

  it('is off unless asked for, and refuses a model whose tail is below its median', () => {
    expect(latencySampler(undefined)).toBeNull();
    expect(latencySampler('off')).toBeNull();
    expect(latencySampler('youtube')?.delayMs('videos.list')).toBeGreaterThan(0);
    expect(() => latencySampler({ 'videos.list': { p50Ms: 200, p99Ms: 100 } })).toThrow(/p99Ms/);
  });

  it('is the same for the same seed', () => {
    const a = new LatencySampler(YOUTUBE_LATENCY, 3);
    const b = new LatencySampler(YOUTUBE_LATENCY, 3);
    expect(Array.from({ length: 5 }, () => a.delayMs('channels.list'))).toEqual(
      Array.from({ length: 5 }, () => b.delayMs('channels.list')),
    );
  });
});
