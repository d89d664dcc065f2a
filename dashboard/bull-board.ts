import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Router } from 'express';
import type { QueueSet } from '../queues/index.ts';

export const BULL_BOARD_PATH = '/queues';

/**
 * Bull Board for every queue: jobs by state, retry, promote, clean. It shows job data as stored, which
 * is safe because job payloads never hold secrets (queues/definitions.ts: ids, queries, counters).
 */
export function bullBoardRouter(queues: QueueSet): Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(BULL_BOARD_PATH);
  createBullBoard({
    queues: queues.all().map((q) => new BullMQAdapter(q)),
    // @bull-board/express pins an older @bull-board/api whose types differ in name only.
    serverAdapter: serverAdapter as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'],
    options: {
      uiConfig: {
        boardTitle: 'Pleiades',
        hideDocsLink: true,
        miscLinks: [
          { text: 'Overview', url: '/' },
          { text: 'Metrics', url: '/metrics' },
        ],
      },
    },
  });
  return serverAdapter.getRouter() as Router;
}
