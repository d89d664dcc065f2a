import { z } from 'zod';
import type { ApiMethod } from './quota-costs.ts';
import { normal, stream } from './rng.ts';

/**
 * How long YouTube takes to answer, per API method: a log-normal distribution given by its median
 * (p50) and its 99th percentile, capped. Off unless asked for (`latency: 'youtube'` or a model of
 * one's own): tests want answers at once, benchmarks want what a user sees. The values and their
 * sources are in docs/simulator.md ("Latency").
 */

export interface MethodLatency {
  /** Median, real milliseconds. */
  p50Ms: number;
  /** 99th percentile, real milliseconds (≥ p50: the long tail). */
  p99Ms: number;
  /** No answer takes longer (default 10 × p99). */
  maxMs?: number;
}

export type LatencyModel = Partial<Record<ApiMethod, MethodLatency>>;

const methodLatency = z
  .object({
    p50Ms: z.number().min(0).max(60_000),
    p99Ms: z.number().min(0).max(600_000),
    maxMs: z.number().min(0).max(600_000).optional(),
  })
  .strict()
  .refine((m) => m.p99Ms >= m.p50Ms, { message: 'p99Ms must be at least p50Ms', path: ['p99Ms'] });

export const latencyModelSchema = z.record(z.string(), methodLatency);

/**
 * YouTube as seen from a server in a cloud region (docs/simulator.md names the sources): reads of
 * resources by id answer in about a tenth of a second, search in a few tenths, each with a tail
 * several times its median.
 */
export const YOUTUBE_LATENCY: Readonly<LatencyModel> = {
  'videos.list': { p50Ms: 120, p99Ms: 600 },
  'videos.batchGetStats': { p50Ms: 120, p99Ms: 600 },
  'channels.list': { p50Ms: 110, p99Ms: 550 },
  'playlistItems.list': { p50Ms: 110, p99Ms: 550 },
  'videoCategories.list': { p50Ms: 80, p99Ms: 400 },
  'search.list': { p50Ms: 350, p99Ms: 1_500 },
};

/** z of the 99th percentile of the standard normal distribution. */
const Z99 = 2.3263;

/** Draws each request's delay from the model; deterministic for a seed. */
export class LatencySampler {
  readonly #model: LatencyModel;
  readonly #dice: () => number;
  constructor(model: LatencyModel, seed = 42) {
    this.#model = model;
    this.#dice = stream(seed ^ 0x1a7e9c);
  }
  /** Milliseconds to wait before answering a call of `method` (0 when the model has no entry). */
  delayMs(method: ApiMethod): number {
    const m = this.#model[method];
    if (!m || m.p50Ms <= 0) return 0;
    const sigma = Math.log(Math.max(m.p99Ms, m.p50Ms) / m.p50Ms) / Z99;
    const ms = m.p50Ms * Math.exp(sigma * normal(this.#dice(), this.#dice()));
    return Math.min(ms, m.maxMs ?? m.p99Ms * 10);
  }
}

/** The simulator's `latency` option: 'youtube' (the model above), a model of one's own, or off. */
export function latencySampler(opt: 'youtube' | 'off' | LatencyModel | undefined, seed?: number) {
  if (opt === undefined || opt === 'off') return null;
  return new LatencySampler(
    opt === 'youtube' ? YOUTUBE_LATENCY : (latencyModelSchema.parse(opt) as LatencyModel),
    seed,
  );
}
