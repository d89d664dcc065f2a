import type { Payload } from '../queues/index.ts';
import { storeFeatures } from '../src/dao/features.ts';
import { fetchScribeTargets } from '../src/dao/videos.ts';
import { extractFeatures } from '../src/features.ts';
import type { AgentDeps } from './deps.ts';

/** Computes ML features of hot videos that have none yet (docs/features.md). Idempotent. */
export async function scribe(deps: AgentDeps, job: Payload<'scribe'>): Promise<{ computed: number }> {
  const { pool, clock } = deps;
  const videos = await fetchScribeTargets(pool, job.limit ?? 1000);
  const computed = await storeFeatures(pool, videos.map(extractFeatures), new Date(clock.now()));
  return { computed };
}
