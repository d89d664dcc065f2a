import { z } from 'zod';
import { stream } from './rng.ts';

/** Injected trouble, from options or POST /admin/faults. */
export interface Faults {
  /** Probability that a request fails with 500 backendError or 503 (half each). */
  errorRate?: number;
  /** Added to every API request, in real milliseconds. */
  latencyMs?: number;
  /** Probability that a request hangs and is never answered (the client's timeout fires). */
  timeoutRate?: number;
}

export const faultsSchema = z
  .object({
    errorRate: z.number().min(0).max(1).optional(),
    latencyMs: z.number().int().min(0).max(600_000).optional(),
    timeoutRate: z.number().min(0).max(1).optional(),
  })
  .strict();

export type FaultOutcome = 'none' | 'hang' | 'error500' | 'error503';

export class FaultInjector {
  #faults: Faults;
  readonly #dice: () => number;
  constructor(faults: Faults = {}, seed = 42) {
    this.#faults = faultsSchema.parse(faults);
    this.#dice = stream(seed ^ 0xfa017);
  }
  set(f: Faults): void {
    this.#faults = faultsSchema.parse(f);
  }
  get(): Faults {
    return { ...this.#faults };
  }
  get latencyMs(): number {
    return this.#faults.latencyMs ?? 0;
  }
  /** Rolls the dice for one request. */
  roll(): FaultOutcome {
    const { errorRate = 0, timeoutRate = 0 } = this.#faults;
    if (timeoutRate > 0 && this.#dice() < timeoutRate) return 'hang';
    if (errorRate > 0 && this.#dice() < errorRate) return this.#dice() < 0.5 ? 'error500' : 'error503';
    return 'none';
  }
}
