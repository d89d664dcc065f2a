import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { QueueSet } from '../queues/index.ts';

export const BULL_BOARD_PATH = '/queues';

/**
 * The overview's dark palette (dashboard/public/style.css) as Bull Board's design tokens. The same
 * tokens go to its light and its dark scheme: Bull Board follows the browser's colour scheme, and the
 * queues page should look like the rest of the dashboard whatever the browser prefers.
 */
const PALETTE = {
  background: '#0b1020',
  foreground: '#e6ebf5',
  card: '#121a2e',
  'card-foreground': '#e6ebf5',
  popover: '#18223a',
  'popover-foreground': '#e6ebf5',
  primary: '#8ab4ff',
  'primary-foreground': '#0b1020',
  secondary: '#18223a',
  'secondary-foreground': '#e6ebf5',
  muted: '#18223a',
  'muted-foreground': '#8c97b2',
  accent: '#1d2945',
  'accent-foreground': '#e6ebf5',
  'state-hover': '#1d2945',
  'state-selected': '#24304d',
  'state-selected-hover': '#2b3a5c',
  'state-selected-foreground': '#e6ebf5',
  destructive: '#f87171',
  'destructive-foreground': '#0b1020',
  border: '#24304d',
  input: '#24304d',
  ring: '#8ab4ff',
  overlay: '#000000d9',
  'font-sans': 'system-ui, -apple-system, "Segoe UI", sans-serif',
  'font-mono': 'ui-monospace, SFMono-Regular, Menlo, monospace',
  sidebar: '#0e1528',
  'sidebar-foreground': '#c9d2e6',
  'sidebar-primary': '#8ab4ff',
  'sidebar-primary-foreground': '#0b1020',
  'sidebar-accent': '#18223a',
  'sidebar-accent-foreground': '#e6ebf5',
  'sidebar-state-hover': '#18223a',
  'sidebar-state-selected': '#24304d',
  'sidebar-state-selected-hover': '#2b3a5c',
  'sidebar-state-selected-foreground': '#e6ebf5',
  'sidebar-border': '#24304d',
  'sidebar-ring': '#8ab4ff',
  'status-failed': '#f87171',
  'status-completed': '#4ade80',
  'status-waiting': '#fbbf24',
  'status-waiting-children': '#f59e0b',
  'status-prioritized': '#c084fc',
  'status-active': '#8ab4ff',
  'status-delayed': '#a78bfa',
  'status-paused': '#8c97b2',
} as const;

/**
 * Bull Board's page links a Google Fonts stylesheet: a request to a third party on every visit (the
 * operator's address and when they look). The palette's fonts are local, so the link goes.
 */
export function withoutExternalLinks(html: string): string {
  return html.replace(/<link\b[^>]*\bhref="https?:\/\/[^"]*"[^>]*>\s*/gi, '');
}

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
        theme: { light: PALETTE, dark: PALETTE },
      },
    },
  });
  const router = express.Router();
  // The adapter renders its page with res.render; the page passes through withoutExternalLinks.
  router.use((_req: Request, res: Response, next: NextFunction) => {
    const render = res.render.bind(res) as (
      view: string,
      options: object,
      cb: (err: Error | null, html: string) => void,
    ) => void;
    (res as unknown as { render: (view: string, options?: object) => void }).render = (view, options) =>
      render(view, options ?? {}, (err, html) => (err ? next(err) : res.send(withoutExternalLinks(html))));
    next();
  });
  router.use(serverAdapter.getRouter() as Router);
  return router;
}
