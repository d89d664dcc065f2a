import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { websubSettings } from '../src/websub/settings.ts';
import { apiRouter } from './api.ts';
import { type Bundle, loadBundle, PUBLIC_DIR } from './assets.ts';
import {
  assertSafeBind,
  type Credentials,
  FailureLimiter,
  loginRoutes,
  originGuard,
  requireAuth,
} from './auth.ts';
import { BULL_BOARD_PATH, bullBoardRouter } from './bull-board.ts';
import type { DashboardDeps } from './deps.ts';
import { closeExplorerData, explorerPages } from './explorer.ts';
import { overviewHtml } from './first-data.ts';
import { errorHandler, sendError } from './http.ts';
import { createMetrics } from './metrics.ts';
import { websubRouter } from './websub.ts';

export type { DashboardDeps, HydraView, KeyView, VaultView } from './deps.ts';

/** The overview page's policy: only its own script, styles and API; never framed. */
const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

export const credentialsOf = (config: DashboardDeps['config']): Credentials => ({
  token: config.DASHBOARD_TOKEN,
  user: config.DASHBOARD_USER,
  password: config.DASHBOARD_PASSWORD,
});

/**
 * The dashboard as an Express app: the overview page at /, Bull Board at /queues, the JSON API at
 * /api, Prometheus metrics at /metrics. Everything but /api/health (and the login form) needs the
 * configured credential.
 */
export function createDashboardApp(
  deps: DashboardDeps,
  opts: { bundle?: Promise<Bundle> } = {},
): express.Express {
  const creds = credentialsOf(deps.config);
  const open = !creds.token && !(creds.user && creds.password);
  const limiter = new FailureLimiter();
  const metrics = createMetrics(deps);
  let bundle = opts.bundle;

  const app = express();
  app.disable('x-powered-by');
  // Behind a reverse proxy, the client's address (for the login throttle) and scheme (Secure cookies)
  // come from X-Forwarded-* headers, believed only from the proxies TRUST_PROXY names.
  app.set('trust proxy', deps.config.TRUST_PROXY);
  app.use((req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'same-origin');
    if (!req.path.startsWith(BULL_BOARD_PATH)) {
      res.setHeader('Content-Security-Policy', PAGE_CSP);
      res.setHeader('X-Frame-Options', 'DENY');
    }
    next();
  });
  // The WebSub callback is the hub's, not an operator's: its notifications carry their own HMAC.
  const websub = websubSettings(deps.config);
  if (websub) app.use(websubRouter(deps, websub));
  app.use(originGuard(open));
  app.use(loginRoutes(creds, limiter));
  app.use(requireAuth(creds, limiter));

  app.get('/dist/app.js', async (req, res) => {
    bundle ??= loadBundle();
    const b = await bundle;
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('ETag', b.etag);
    if (req.headers['if-none-match'] === b.etag) return res.status(304).end();
    res.type('application/javascript').send(b.js);
  });
  app.get(['/', '/index.html'], async (_req, res) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.type('html').send(await overviewHtml(deps, PUBLIC_DIR));
  });
  app.use(explorerPages(deps));
  app.use(express.static(PUBLIC_DIR, { index: false, dotfiles: 'ignore' }));

  app.use('/api', apiRouter(deps));
  app.get('/metrics', async (_req, res) => {
    const text = await metrics.render();
    res.setHeader('Content-Type', metrics.contentType);
    res.send(text);
  });
  app.use(BULL_BOARD_PATH, bullBoardRouter(deps.queues));

  app.use((req, res) => {
    sendError(res, 404, 'not found', [{ field: 'path', message: `nothing at ${req.method} ${req.path}` }]);
  });
  app.use(errorHandler(deps.log));
  return app;
}

export interface RunningDashboard {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/**
 * Serves the dashboard on host:port (port 0: any free port). Refuses to start open (no credential)
 * on a non-loopback address.
 */
export async function startDashboard(
  deps: DashboardDeps,
  listen: { port: number; host: string },
): Promise<RunningDashboard> {
  assertSafeBind(listen.host, credentialsOf(deps.config));
  const bundle = loadBundle();
  await bundle; // a missing script fails the start, not the first page view
  const app = createDashboardApp(deps, { bundle });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(listen.port, listen.host, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}`;
  const c = credentialsOf(deps.config);
  const auth =
    [c.token ? 'token' : '', c.user && c.password ? 'basic' : ''].filter(Boolean).join(' + ') ||
    'none (loopback only)';
  deps.log.info({ url, auth }, 'dashboard listening');
  return {
    url,
    server,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await closeExplorerData(deps);
    },
  };
}
