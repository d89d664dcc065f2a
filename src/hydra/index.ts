export { backoffMs, classify, type Verdict } from './classify.ts';
export type { HydraEvent, HydraEventType } from './events.ts';
export { EXHAUSTED_EXIT_CODE, handleExhaustion } from './exhaustion.ts';
export { createHydraFromConfig } from './from-config.ts';
export { createHydra, type Hydra, type HydraOptions, type KeyHealth, type KeyState } from './hydra.ts';
export { type KeyPools, resolvePool, singleKeyPools } from './pools.ts';
export { hydraKeys } from './redis-keys.ts';
