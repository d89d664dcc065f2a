import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { channelIdInput, videoIdInput } from '../queues/manual.ts';
import { NotFoundError } from '../src/errors/index.ts';
import { historyToCsv } from '../src/vault/export.ts';
import { dsnpEngine, writeTable } from '../src/vault/parquet.ts';
import { createVaultReader } from '../src/vault/reader.ts';
import { METRICS_TABLE, type MetricsRecord } from '../src/vault/schema.ts';
import { type Bundle, loadBundle, PUBLIC_DIR } from './assets.ts';
import type { DashboardDeps } from './deps.ts';
import { createExplorerData, type ExplorerData, type Snapshot } from './explorer-data.ts';
import {
  channelResponse,
  historyResponse,
  listsResponse,
  searchResponse,
  videoResponse,
} from './explorer-schemas.ts';
import { parseWith } from './http.ts';

/**
 * The explorer: pages /videos/:id, /channels/:id and /search (one HTML shell, drawn by
 * dashboard/client/explorer.ts), and their JSON under /api (dashboard/README.md). History comes from
 * the vault through src/vault/reader.ts, hot rows from Postgres.
 */

const videoParam = z.object({ id: videoIdInput });
const channelParam = z.object({ id: channelIdInput });
const historyQuery = z.object({ format: z.enum(['json', 'csv', 'parquet']).default('json') });
export const SEARCH_MAX = 200;
const searchQuery = z.object({
  q: z
    .string({ message: 'give a search text as ?q=' })
    .trim()
    .min(1, { message: 'the search text is empty' })
    .max(SEARCH_MAX, { message: `at most ${SEARCH_MAX} characters` }),
});

/** The data behind the explorer, one per dashboard (the reader's caches live as long as it does). */
const dataOf = new WeakMap<DashboardDeps, ExplorerData>();
export function explorerData(deps: DashboardDeps): ExplorerData {
  let d = dataOf.get(deps);
  if (!d) {
    const provider = deps.vault?.provider;
    d = createExplorerData(deps.pool, provider ? createVaultReader(provider) : null, () => deps.clock.now());
    dataOf.set(deps, d);
  }
  return d;
}

/** Closes the files the dashboard's explorer keeps open in the vault (when the dashboard stops). */
export async function closeExplorerData(deps: DashboardDeps): Promise<void> {
  const d = dataOf.get(deps);
  dataOf.delete(deps);
  await d?.close();
}

const asRecords = (videoId: string, rows: Snapshot[]): MetricsRecord[] =>
  rows.map((s) => ({
    video_id: videoId,
    taken_at: s.takenAt,
    due_at: s.dueAt,
    views: s.views === null ? null : BigInt(s.views),
    likes: s.likes === null ? null : BigInt(s.likes),
    comments: s.comments === null ? null : BigInt(s.comments),
    tier: s.tier,
  }));

const notTracked = (what: 'video' | 'channel', id: string) =>
  new NotFoundError([{ field: 'id', message: `${what} ${id} is not tracked` }]);

/** JSON under /api: mounted by the API router before its catch-all. */
export function explorerApiRouter(deps: DashboardDeps): Router {
  const router = express.Router();
  const data = () => explorerData(deps);

  router.get('/videos/:id', async (req, res) => {
    const { id } = parseWith(videoParam, req.params, 'id');
    const video = await data().video(id);
    if (!video) throw notTracked('video', id);
    res.json(videoResponse.parse({ video }));
  });

  router.get('/videos/:id/history', async (req, res) => {
    const { id } = parseWith(videoParam, req.params, 'id');
    const { format } = parseWith(historyQuery, req.query, 'query');
    const video = await data().video(id);
    const h = await data().history(id, video?.discoveredAt);
    if (!video && h.snapshots.length === 0) throw notTracked('video', id);
    if (format === 'json') return res.json(historyResponse.parse(h));
    const records = asRecords(id, h.snapshots);
    res.setHeader('Content-Disposition', `attachment; filename="${id}.${format}"`);
    if (format === 'csv') return res.type('text/csv').send(historyToCsv(records));
    res.type('application/vnd.apache.parquet').send(await parquetOf(records));
  });

  router.get('/channels/:id', async (req, res) => {
    const { id } = parseWith(channelParam, req.params, 'id');
    const channel = await data().channel(id);
    if (!channel) throw notTracked('channel', id);
    res.json(channelResponse.parse({ channel }));
  });

  router.get('/search', async (req, res) => {
    const { q } = parseWith(searchQuery, req.query, 'q');
    res.json(searchResponse.parse({ q, results: await data().search(q) }));
  });

  router.get('/explore/lists', async (_req, res) => {
    res.json(listsResponse.parse(await data().lists()));
  });
  return router;
}

/** The history as a metrics-table Parquet file (the vault's own columns and writer). */
async function parquetOf(rows: MetricsRecord[]): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'pleiades-explorer-'));
  try {
    const path = join(dir, 'history.parquet');
    await writeTable(dsnpEngine, path, METRICS_TABLE, rows as unknown as Record<string, unknown>[], {
      codec: 'GZIP',
    });
    return await readFile(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A page for an id that is not tracked (or not an id): says so plainly, with the search box. */
function notTrackedPage(what: string, id: string, reason: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pleiades · not tracked</title><link rel="icon" href="/favicon.svg">
<link rel="stylesheet" href="/style.css"><link rel="stylesheet" href="/explorer.css"></head>
<body><header class="top"><h1><a href="/"><span class="logo">✦</span> Pleiades</a></h1>
<form class="search" action="/search" method="get"><input name="q" type="search" placeholder="Video id, link, title words or channel" aria-label="search"></form></header>
<main><section class="card not-tracked" id="not-tracked"><h2>Not tracked</h2>
<p>${escapeHtml(what)} <code>${escapeHtml(id)}</code> ${escapeHtml(reason)}</p>
<p class="muted">Search above, or <a href="/">go to the overview</a> to track videos.</p></section></main></body></html>`;
}

/** The explorer's pages and script, behind the same authentication as the overview. */
export function explorerPages(deps: DashboardDeps): Router {
  const router = express.Router();
  let bundle: Promise<Bundle> | undefined;
  const shell = (res: Response, status = 200) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.status(status).sendFile(join(PUBLIC_DIR, 'explorer.html'));
  };

  router.get('/dist/explorer.js', async (req, res) => {
    bundle ??= loadBundle('explorer.js');
    const b = await bundle;
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('ETag', b.etag);
    if (req.headers['if-none-match'] === b.etag) return res.status(304).end();
    res.type('application/javascript').send(b.js);
  });

  const page = (
    what: 'Video' | 'Channel',
    schema: z.ZodType<{ id: string }>,
    exists: (id: string) => Promise<boolean>,
  ) => {
    return async (req: Request, res: Response) => {
      const raw = String(req.params.id);
      const r = schema.safeParse({ id: raw });
      if (!r.success)
        return res
          .status(400)
          .type('html')
          .send(notTrackedPage(what, raw, `is not a valid ${what.toLowerCase()} id.`));
      if (!(await exists(r.data.id)))
        return res
          .status(404)
          .type('html')
          .send(notTrackedPage(what, r.data.id, 'is not tracked by this Pleiades.'));
      shell(res);
    };
  };
  router.get(
    '/videos/:id',
    page('Video', videoParam, async (id) => {
      if (await explorerData(deps).video(id)) return true;
      return (await explorerData(deps).history(id)).snapshots.length > 0;
    }),
  );
  router.get(
    '/channels/:id',
    page('Channel', channelParam, async (id) => (await explorerData(deps).channel(id, 1)) !== null),
  );
  router.get('/search', (_req, res) => shell(res));
  return router;
}
