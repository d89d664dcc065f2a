import { channelOfTopic } from '@pleiades/youtube-simulator/websub-topic';
import express, { type Request, type Response, type Router } from 'express';
import { addToInbox } from '../src/dao/discovery-inbox.ts';
import {
  confirmSubscription,
  markSubscriptionDenied,
  subscribedChannelIds,
} from '../src/dao/followed-channels.ts';
import { WebSubRejectedError } from '../src/errors/index.ts';
import { parseFeed } from '../src/websub/feed.ts';
import { applyPushedChanges } from '../src/websub/pushed-changes.ts';
import type { WebSubSettings } from '../src/websub/settings.ts';
import { verifySignature } from '../src/websub/signature.ts';
import type { DashboardDeps } from './deps.ts';
import { sendError } from './http.ts';

/** YouTube's notifications are a few kB; anything near this is not one. */
const MAX_NOTIFICATION_BYTES = 512 * 1024;
const FEED_TYPES = /^(application\/(atom\+xml|xml|rss\+xml)|text\/xml)\b/i;

const reject = (res: Response, err: WebSubRejectedError, field: string) =>
  sendError(res, err.status, 'rejected', [{ field, message: err.message }]);

/**
 * The WebSub callback (WEBSUB_CALLBACK_URL's path) on the dashboard server. It is reached by the hub,
 * not by an operator, so it sits before the dashboard's login; what authenticates a notification is
 * its HMAC signature.
 *
 * - GET: the hub's verification of intent. The challenge is echoed only for a channel we follow and
 *   asked about (subscribe) or no longer follow (unsubscribe); anything else is 404.
 * - POST: a notification. Without a valid `X-Hub-Signature` → 403; not a well-formed YouTube Atom
 *   feed → 400; a topic without a live subscription → 404. Each refusal stores nothing. Accepted
 *   video ids that Pleiades does not know go to the discovery inbox, for the websub-ingest job.
 *   (WebSub lets a subscriber acknowledge a bad signature with 2xx and drop it; Pleiades answers 4xx,
 *   so that a misconfigured secret shows in the hub's delivery logs.)
 */
export function websubRouter(deps: DashboardDeps, settings: WebSubSettings): Router {
  const { pool, clock, log } = deps;
  const router = express.Router();

  router.get(settings.callbackPath, async (req: Request, res: Response) => {
    const q = req.query;
    const mode = typeof q['hub.mode'] === 'string' ? q['hub.mode'] : '';
    const topic = typeof q['hub.topic'] === 'string' ? q['hub.topic'] : '';
    const challenge = typeof q['hub.challenge'] === 'string' ? q['hub.challenge'] : '';
    const channelId = channelOfTopic(topic);
    if (!channelId)
      return sendError(res, 404, 'not found', [
        { field: 'hub.topic', message: 'not a topic Pleiades follows' },
      ]);
    if (mode === 'denied') {
      await markSubscriptionDenied(pool, channelId);
      log.warn(
        { channelId, reason: String(q['hub.reason'] ?? '').slice(0, 200) },
        'WebSub hub denied a subscription',
      );
      return res.status(200).type('text/plain').send('ok');
    }
    if (mode !== 'subscribe' && mode !== 'unsubscribe')
      return sendError(res, 400, 'invalid request', [
        { field: 'hub.mode', message: 'expected subscribe, unsubscribe or denied' },
      ]);
    if (!challenge || challenge.length > 512)
      return sendError(res, 400, 'invalid request', [
        { field: 'hub.challenge', message: 'missing or too long' },
      ]);
    const lease = Number(q['hub.lease_seconds']);
    if (mode === 'subscribe' && !(Number.isInteger(lease) && lease > 0))
      return sendError(res, 400, 'invalid request', [
        { field: 'hub.lease_seconds', message: 'expected a positive whole number of seconds' },
      ]);
    const agreed = await confirmSubscription(
      pool,
      channelId,
      mode,
      mode === 'subscribe' ? lease : null,
      new Date(clock.now()),
    );
    if (!agreed)
      return sendError(res, 404, 'not found', [
        { field: 'hub.topic', message: `no ${mode} of this topic was asked for` },
      ]);
    res.status(200).type('text/plain').send(challenge);
  });

  router.post(
    settings.callbackPath,
    express.raw({ type: () => true, limit: MAX_NOTIFICATION_BYTES }),
    async (req: Request, res: Response) => {
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      if (!verifySignature(settings.secret, body, req.get('x-hub-signature') ?? undefined))
        return reject(
          res,
          new WebSubRejectedError(403, 'the X-Hub-Signature is missing or does not match the body'),
          'x-hub-signature',
        );
      if (!FEED_TYPES.test(req.get('content-type') ?? ''))
        return reject(
          res,
          new WebSubRejectedError(415, 'expected an Atom feed (application/atom+xml)'),
          'content-type',
        );
      let feed: ReturnType<typeof parseFeed>;
      try {
        feed = parseFeed(body.toString('utf8'));
      } catch (err) {
        if (err instanceof WebSubRejectedError) return reject(res, err, 'body');
        throw err;
      }
      const now = new Date(clock.now());
      const live = await subscribedChannelIds(pool, [feed.channelId], now);
      if (!live.has(feed.channelId))
        return reject(
          res,
          new WebSubRejectedError(404, `no live subscription to ${feed.channelId}`),
          'topic',
        );
      const added = await addToInbox(
        pool,
        feed.entries.map((e) => ({ videoId: e.videoId, channelId: e.channelId, route: 'websub' })),
        now,
      );
      const changes = await applyPushedChanges(pool, feed, now.getTime(), {
        missesBeforeGone: deps.config.TRACKER_MISSES_BEFORE_GONE,
        titleRetentionMs: (deps.config.JANITOR_RETENTION_DAYS + 1) * 86_400_000,
      });
      res.status(202).json({ entries: feed.entries.length, new: added, ...changes });
    },
  );
  return router;
}
