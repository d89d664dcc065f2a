import express, { type Request, type Router } from 'express';
import { enqueue, isQueueName, payloadSchemas, QUEUE_NAMES, type QueueName } from '../queues/index.ts';
import { addSearchQueries, trackVideos } from '../queues/manual.ts';
import { NotFoundError, ValidationError } from '../src/errors/index.ts';
import { policyFromConfig } from '../src/tiers.ts';
import { capacityRouter } from './capacity.ts';
import type { DashboardDeps } from './deps.ts';
import { discoveryRouter } from './discovery.ts';
import { explorerApiRouter } from './explorer.ts';
import { checkHealth } from './health.ts';
import { BODY_LIMIT_BYTES, parseWith, refuseInvalidUtf8, sendError } from './http.ts';
import { isManualQueue, MANUAL_QUEUES, searchQueriesBody, trackBody } from './schemas.ts';
import { cached, computeStats } from './stats.ts';

const hasBody = (req: Request): boolean =>
  req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;

/** Job counts, pause state and job schedulers per queue (GET /api/queues). */
export async function queuesView(deps: Pick<DashboardDeps, 'queues'>) {
  const list = await Promise.all(
    QUEUE_NAMES.map(async (name: QueueName) => {
      const q = deps.queues.get(name);
      const [counts, paused, scheduled] = await Promise.all([
        q.getJobCounts(),
        q.isPaused(),
        q.getJobSchedulersCount(),
      ]);
      // `scheduled`: the job schedulers' next runs, counted among the delayed jobs by BullMQ.
      return { name, paused, counts, scheduled };
    }),
  );
  return { queues: list };
}

/** The stats cache of one dashboard, shared by /api/stats and the first render of the overview page. */
const statsCaches = new WeakMap<DashboardDeps, () => ReturnType<typeof computeStats>>();
export function statsOf(deps: DashboardDeps): () => ReturnType<typeof computeStats> {
  let c = statsCaches.get(deps);
  if (!c) {
    c = cached(deps.statsCacheMs ?? 3000, () => computeStats(deps));
    statsCaches.set(deps, c);
  }
  return c;
}

/**
 * The JSON API under /api. Writes validate everything before touching anything: a request with one
 * bad item stores and enqueues nothing.
 */
export function apiRouter(deps: DashboardDeps): Router {
  const { pool, queues, log, clock, config } = deps;
  const router = express.Router();
  const stats = statsOf(deps);

  router.use((req, res, next) => {
    // JSON only: a cross-site HTML form cannot send it without a CORS preflight this API never grants.
    if (req.method !== 'GET' && req.method !== 'HEAD' && hasBody(req) && !req.is('application/json'))
      return sendError(res, 415, 'unsupported media type', [
        { field: 'content-type', message: 'send the body as application/json' },
      ]);
    next();
  });
  router.use(express.json({ limit: BODY_LIMIT_BYTES, strict: true, verify: refuseInvalidUtf8 }));

  /** Starts a dispatcher now rather than at its next scheduled run; its schedule still does the rest. */
  async function kick(queue: 'hunter-dispatch' | 'tracker-dispatch'): Promise<boolean> {
    try {
      await enqueue(queues, queue, {});
      return true;
    } catch (err) {
      log.warn({ queue, err: (err as Error).message }, 'could not start the dispatcher early');
      return false;
    }
  }

  router.post('/search-queries', async (req, res) => {
    const body = parseWith(searchQueriesBody, req.body);
    // The system's clock: due now in its time, even when it runs faster.
    const { added, alreadyQueued } = await addSearchQueries(pool, body.queries, body.priority, clock.now());
    const dispatched = added.length > 0 ? await kick('hunter-dispatch') : false;
    res.status(added.length > 0 ? 201 : 200).json({
      added: added.map((q) => ({ id: String(q.id), query: q.query, priority: q.priority, state: q.state })),
      alreadyQueued,
      dispatched,
    });
  });

  router.post('/track', async (req, res) => {
    const ids = parseWith(trackBody, req.body);
    const { added, alreadyTracked } = await trackVideos(pool, ids, clock.now(), policyFromConfig(config));
    const dispatched = added > 0 ? await kick('tracker-dispatch') : false;
    res.status(added > 0 ? 201 : 200).json({ added, alreadyTracked, dispatched });
  });

  router.post('/jobs/:queue', async (req, res) => {
    const queue = String(req.params.queue);
    if (!isQueueName(queue))
      throw new NotFoundError([
        {
          field: 'queue',
          message: `unknown queue "${queue}"; jobs can be added to ${MANUAL_QUEUES.join(', ')}`,
        },
      ]);
    if (!isManualQueue(queue))
      throw new ValidationError([
        {
          field: 'queue',
          message: `"${queue}" is fed by its dispatcher; jobs can be added to ${MANUAL_QUEUES.join(', ')}`,
        },
      ]);
    const payload = parseWith(payloadSchemas[queue], req.body ?? {});
    const jobId = await enqueue(queues, queue, payload as never);
    res.status(202).json({ queue, jobId: jobId ?? null });
  });

  router.get('/queues', async (_req, res) => {
    res.json(await queuesView(deps));
  });

  router.get('/keys', async (_req, res) => {
    if (!deps.hydra) return res.json({ available: false, keys: [], pools: {} });
    const keys = await deps.hydra.keys();
    const poolNames = [...new Set(keys.map((k) => k.pool))].sort();
    const remaining = await Promise.all(poolNames.map((p) => deps.hydra!.remaining(p)));
    // Fields are copied one by one: whatever else a key record holds never reaches a response.
    res.json({
      available: true,
      keys: keys.map((k) => ({
        pool: k.pool,
        fingerprint: k.fingerprint,
        state: k.state,
        searchUsed: k.searchUsed,
        unitsUsed: k.unitsUsed,
        resetAt: k.resetAt === null ? null : new Date(k.resetAt).toISOString(),
      })),
      pools: Object.fromEntries(
        poolNames.map((p, i) => [
          p,
          { remaining: { search: remaining[i]!.search, units: remaining[i]!.units } },
        ]),
      ),
      quota: { searchPerKey: config.HYDRA_SEARCH_QUOTA, unitsPerKey: config.HYDRA_UNITS_QUOTA },
    });
  });

  router.get('/stats', async (_req, res) => {
    res.json(await stats());
  });

  router.use(discoveryRouter(deps));
  router.use(explorerApiRouter(deps));
  router.use(capacityRouter(deps));

  router.get('/health', async (_req, res) => {
    const report = await checkHealth(deps);
    res.status(report.status === 'down' ? 503 : 200).json(report);
  });

  router.use((req, res) => {
    sendError(res, 404, 'not found', [
      { field: 'path', message: `no API endpoint ${req.method} /api${req.path}` },
    ]);
  });
  return router;
}
