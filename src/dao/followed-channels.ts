import type { Queryable } from '../db/pool.ts';

/**
 * Followed channels (sql/004_channels.sql): producers whose uploads playlists the channel poller reads,
 * and the candidates the Hunter's search hits may turn into followed channels.
 */

export type ChannelState = 'candidate' | 'active' | 'gone';
export type FollowOrigin = 'hunter' | 'manual';

/** Which candidates become followed channels (CHANNEL_AUTO_FOLLOW and its thresholds). */
export interface FollowPolicy {
  mode: 'all' | 'threshold' | 'none';
  /** threshold: at least this many videos found by search… */
  minHits: number;
  /** …or at least this many subscribers (known once the Painter has read the channel; 0: not used). */
  minSubscribers: number;
}

export interface FollowedChannel {
  channelId: string;
  state: ChannelState;
  origin: FollowOrigin;
  hits: number;
  uploadsPlaylistId: string | null;
  pollEveryS: number;
  nextPollAt: Date | null;
  leaseUntil: Date | null;
  lastPolledAt: Date | null;
  newestPublishedAt: Date | null;
  uploadsPerDay: number | null;
  polls: number;
  videosFound: number;
  unitsSpent: number;
  websubState: 'requested' | 'verified' | 'denied' | null;
  websubExpiresAt: Date | null;
}

// biome-ignore lint/suspicious/noExplicitAny: row shape from pg
const toChannel = (r: any): FollowedChannel => ({
  channelId: r.channel_id,
  state: r.state,
  origin: r.origin,
  hits: r.hits,
  uploadsPlaylistId: r.uploads_playlist_id,
  pollEveryS: r.poll_every_s,
  nextPollAt: r.next_poll_at,
  leaseUntil: r.lease_until,
  lastPolledAt: r.last_polled_at,
  newestPublishedAt: r.newest_published_at,
  uploadsPerDay: r.uploads_per_day,
  polls: r.polls,
  videosFound: r.videos_found,
  unitsSpent: r.units_spent,
  websubState: r.websub_state,
  websubExpiresAt: r.websub_expires_at,
});

/**
 * Counts new videos the Hunter found per channel: unknown channels become candidates, known ones add
 * to their hits. One statement; called in the Hunter's page transaction.
 */
export async function recordChannelHits(db: Queryable, channelIds: string[], now: Date): Promise<void> {
  const counts = new Map<string, number>();
  for (const id of channelIds) if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
  if (counts.size === 0) return;
  // Sorted, so that two concurrent pages lock shared rows in the same order (no deadlock).
  const ids = [...counts.keys()].sort();
  await db.query(
    `INSERT INTO followed_channels (channel_id, origin, hits, first_seen_at)
     SELECT id, 'hunter', n, $3 FROM unnest($1::text[], $2::int[]) AS u(id, n)
     ON CONFLICT (channel_id) DO UPDATE SET hits = followed_channels.hits + EXCLUDED.hits`,
    [ids, ids.map((id) => counts.get(id)!), now],
  );
}

/**
 * Follows channels by hand: new ones and candidates become active and due now; a `gone` one is tried
 * again. Returns the ids that were not followed before.
 */
export async function followChannels(db: Queryable, channelIds: string[], now: Date): Promise<string[]> {
  const ids = [...new Set(channelIds)].sort();
  if (ids.length === 0) return [];
  const r = await db.query<{ channel_id: string }>(
    `WITH before AS (
       SELECT channel_id FROM followed_channels WHERE channel_id = ANY($1::text[]) AND state = 'active'),
     up AS (
       INSERT INTO followed_channels AS f (channel_id, state, origin, first_seen_at, followed_at, next_poll_at)
       SELECT id, 'active', 'manual', $2, $2, $2 FROM unnest($1::text[]) AS id
       ON CONFLICT (channel_id) DO UPDATE SET state = 'active', followed_at = coalesce(f.followed_at, $2),
         next_poll_at = CASE WHEN f.state = 'active' THEN f.next_poll_at ELSE $2 END,
         uploads_playlist_id = CASE WHEN f.state = 'gone' THEN NULL ELSE f.uploads_playlist_id END
       RETURNING f.channel_id)
     SELECT channel_id FROM up WHERE channel_id NOT IN (SELECT channel_id FROM before)`,
    [ids, now],
  );
  return r.rows.map((x) => x.channel_id).sort();
}

/** Turns the candidates the policy accepts into followed channels, due now. Returns how many. */
export async function promoteCandidates(
  db: Queryable,
  policy: FollowPolicy,
  now: Date,
  limit = 10_000,
): Promise<number> {
  if (policy.mode === 'none') return 0;
  const r = await db.query(
    `UPDATE followed_channels f SET state = 'active', followed_at = $1, next_poll_at = $1
     WHERE f.channel_id IN (
       SELECT c.channel_id FROM followed_channels c
       LEFT JOIN channels ch ON ch.channel_id = c.channel_id
       WHERE c.state = 'candidate'
         AND ($2 OR c.hits >= $3 OR ($4 > 0 AND coalesce(ch.subscriber_count, 0) >= $4))
       ORDER BY c.hits DESC, c.channel_id
       LIMIT $5
       FOR UPDATE OF c SKIP LOCKED)`,
    [now, policy.mode === 'all', policy.minHits, policy.minSubscribers, limit],
  );
  return r.rowCount ?? 0;
}

export interface ClaimedChannel {
  channelId: string;
  uploadsPlaylistId: string | null;
  newestPublishedAt: Date | null;
  pollEveryS: number;
  websubVerified: boolean;
}

/**
 * Claims up to `limit` due channels, most overdue first, by setting their lease (SKIP LOCKED: two
 * dispatchers never claim the same channel). A poll that never completes makes the channel due again
 * when the lease ends. Returns the lease (the fencing token) with the channels.
 */
export async function claimDueChannels(
  db: Queryable,
  opts: { limit: number; now: number; leaseMs: number },
): Promise<{ leaseUntil: number; channels: ClaimedChannel[] }> {
  const leaseUntil = opts.now + opts.leaseMs;
  if (opts.limit <= 0) return { leaseUntil, channels: [] };
  const r = await db.query(
    `WITH c AS (
       SELECT channel_id FROM followed_channels
       WHERE state = 'active' AND next_poll_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
       ORDER BY next_poll_at, channel_id
       LIMIT $2
       FOR UPDATE SKIP LOCKED)
     UPDATE followed_channels f SET lease_until = $3 FROM c WHERE f.channel_id = c.channel_id
     RETURNING f.channel_id, f.uploads_playlist_id, f.newest_published_at, f.poll_every_s,
               (f.websub_state = 'verified' AND f.websub_expires_at > $1) AS websub_verified`,
    [new Date(opts.now), opts.limit, new Date(leaseUntil)],
  );
  return {
    leaseUntil,
    channels: r.rows
      .map((x) => ({
        channelId: x.channel_id,
        uploadsPlaylistId: x.uploads_playlist_id,
        newestPublishedAt: x.newest_published_at,
        pollEveryS: x.poll_every_s,
        websubVerified: x.websub_verified === true,
      }))
      .sort((a, b) => a.channelId.localeCompare(b.channelId)),
  };
}

/** The channels still held by the claim whose lease ends at `leaseUntil`, with what a poll needs. */
export async function leasedChannels(
  db: Queryable,
  channelIds: string[],
  leaseUntil: number,
  now: number,
): Promise<ClaimedChannel[]> {
  if (channelIds.length === 0) return [];
  const r = await db.query(
    `SELECT channel_id, uploads_playlist_id, newest_published_at, poll_every_s,
            (websub_state = 'verified' AND websub_expires_at > $3) AS websub_verified
     FROM followed_channels WHERE channel_id = ANY($1::text[]) AND lease_until = $2 AND state = 'active'
     ORDER BY channel_id`,
    [channelIds, new Date(leaseUntil), new Date(now)],
  );
  return r.rows.map((x) => ({
    channelId: x.channel_id,
    uploadsPlaylistId: x.uploads_playlist_id,
    newestPublishedAt: x.newest_published_at,
    pollEveryS: x.poll_every_s,
    websubVerified: x.websub_verified === true,
  }));
}

/**
 * Uploads playlist ids the Painter already has in its `channels` cache (it reads channels.list for
 * every channel of the hot table): a followed channel found there costs no channels.list call.
 */
export async function cachedUploadsPlaylists(
  db: Queryable,
  channelIds: string[],
): Promise<Map<string, string>> {
  if (channelIds.length === 0) return new Map();
  const r = await db.query<{ channel_id: string; uploads_playlist_id: string }>(
    `SELECT channel_id, uploads_playlist_id FROM channels
     WHERE channel_id = ANY($1::text[]) AND uploads_playlist_id IS NOT NULL`,
    [channelIds],
  );
  return new Map(r.rows.map((x) => [x.channel_id, x.uploads_playlist_id]));
}

/** Channels claimed by a poll that has not written back yet (their units are about to be spent). */
export async function countLeasedChannels(db: Queryable, now: number): Promise<number> {
  const r = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM followed_channels WHERE state = 'active' AND lease_until > $1`,
    [new Date(now)],
  );
  return r.rows[0]!.n;
}

/** Caches uploads playlist ids; a channel YouTube does not know (null) becomes `gone`. */
export async function setUploadsPlaylists(
  db: Queryable,
  found: { channelId: string; uploadsPlaylistId: string | null }[],
): Promise<void> {
  if (found.length === 0) return;
  const sorted = [...found].sort((a, b) => a.channelId.localeCompare(b.channelId));
  await db.query(
    `UPDATE followed_channels f SET uploads_playlist_id = u.pl,
       state = CASE WHEN u.pl IS NULL THEN 'gone' ELSE f.state END,
       lease_until = CASE WHEN u.pl IS NULL THEN NULL ELSE f.lease_until END
     FROM unnest($1::text[], $2::text[]) AS u(id, pl) WHERE f.channel_id = u.id`,
    [sorted.map((c) => c.channelId), sorted.map((c) => c.uploadsPlaylistId)],
  );
}

export interface PollOutcome {
  channelId: string;
  /** null: the playlist is gone (the channel becomes `gone`). */
  newestPublishedAt: Date | null;
  uploadsPerDay: number | null;
  pollEveryS: number;
  nextPollAt: Date;
  found: number;
  units: number;
  gone?: boolean;
}

/**
 * Writes the polls' results — only for channels still held by the lease `leaseUntil` (a poll that
 * lost its lease writes nothing) — and releases them. Returns the ids written.
 */
export async function completePolls(
  db: Queryable,
  outcomes: PollOutcome[],
  leaseUntil: number,
  now: Date,
): Promise<string[]> {
  if (outcomes.length === 0) return [];
  const o = [...outcomes].sort((a, b) => a.channelId.localeCompare(b.channelId));
  const r = await db.query<{ channel_id: string }>(
    `UPDATE followed_channels f SET
       lease_until = NULL, last_polled_at = $9, polls = f.polls + 1,
       state = CASE WHEN u.gone THEN 'gone' ELSE f.state END,
       newest_published_at = CASE WHEN u.newest IS NULL THEN f.newest_published_at
                                  ELSE greatest(f.newest_published_at, u.newest) END,
       uploads_per_day = coalesce(u.rate, f.uploads_per_day),
       poll_every_s = u.every, next_poll_at = u.next,
       videos_found = f.videos_found + u.found, units_spent = f.units_spent + u.units
     FROM unnest($1::text[], $2::timestamptz[], $3::real[], $4::int[], $5::timestamptz[], $6::int[], $7::int[],
                 $10::boolean[])
       AS u(id, newest, rate, every, next, found, units, gone)
     WHERE f.channel_id = u.id AND f.lease_until = $8
     RETURNING f.channel_id`,
    [
      o.map((x) => x.channelId),
      o.map((x) => x.newestPublishedAt),
      o.map((x) => x.uploadsPerDay),
      o.map((x) => x.pollEveryS),
      o.map((x) => x.nextPollAt),
      o.map((x) => x.found),
      o.map((x) => x.units),
      new Date(leaseUntil),
      now,
      o.map((x) => x.gone === true),
    ],
  );
  return r.rows.map((x) => x.channel_id).sort();
}

export async function getFollowedChannels(db: Queryable, channelIds: string[]): Promise<FollowedChannel[]> {
  if (channelIds.length === 0) return [];
  const r = await db.query('SELECT * FROM followed_channels WHERE channel_id = ANY($1::text[]) ORDER BY 1', [
    channelIds,
  ]);
  return r.rows.map(toChannel);
}

/** Of these channels, the ones followed now (state active). */
export async function activeChannelIds(db: Queryable, channelIds: string[]): Promise<Set<string>> {
  if (channelIds.length === 0) return new Set();
  const r = await db.query<{ channel_id: string }>(
    `SELECT channel_id FROM followed_channels WHERE channel_id = ANY($1::text[]) AND state = 'active'`,
    [channelIds],
  );
  return new Set(r.rows.map((x) => x.channel_id));
}

export async function countChannelsByState(db: Queryable): Promise<Record<ChannelState, number>> {
  const r = await db.query<{ state: ChannelState; n: number }>(
    'SELECT state, count(*)::int AS n FROM followed_channels GROUP BY state',
  );
  const out: Record<ChannelState, number> = { candidate: 0, active: 0, gone: 0 };
  for (const x of r.rows) out[x.state] = x.n;
  return out;
}

/** Followed channels, the most productive first (the dashboard and the CLI list them). */
export async function topFollowedChannels(db: Queryable, limit: number): Promise<FollowedChannel[]> {
  const r = await db.query(
    `SELECT * FROM followed_channels WHERE state = 'active' ORDER BY videos_found DESC, channel_id LIMIT $1`,
    [limit],
  );
  return r.rows.map(toChannel);
}

// ---- WebSub subscriptions ----------------------------------------------------------------------

/**
 * Followed channels whose WebSub subscription must be asked for: never asked, lapsing within
 * `renewBeforeMs`, or asked `retryAfterMs` ago without the hub's verification.
 */
export async function channelsToSubscribe(
  db: Queryable,
  opts: { now: number; renewBeforeMs: number; retryAfterMs: number; limit: number },
): Promise<string[]> {
  const r = await db.query<{ channel_id: string }>(
    `SELECT channel_id FROM followed_channels
     WHERE state = 'active'
       AND (websub_expires_at IS NULL OR websub_expires_at <= $1)
       AND (websub_requested_at IS NULL OR websub_requested_at <= $2)
     ORDER BY websub_expires_at NULLS FIRST, channel_id
     LIMIT $3`,
    [new Date(opts.now + opts.renewBeforeMs), new Date(opts.now - opts.retryAfterMs), opts.limit],
  );
  return r.rows.map((x) => x.channel_id);
}

export async function markSubscriptionsRequested(
  db: Queryable,
  channelIds: string[],
  now: Date,
): Promise<void> {
  if (channelIds.length === 0) return;
  await db.query(
    `UPDATE followed_channels SET websub_requested_at = $2,
       websub_state = CASE WHEN websub_state = 'verified' THEN 'verified' ELSE 'requested' END
     WHERE channel_id = ANY($1::text[])`,
    [channelIds, now],
  );
}

/** A hub's verification is accepted only this long after Pleiades asked for the subscription. */
export const VERIFY_WITHIN_MS = 60 * 60_000;

/**
 * The hub's verification of intent for `channelId`: a subscription is confirmed only for a channel we
 * follow and asked about within the last VERIFY_WITHIN_MS; an unsubscription only for one we do not
 * follow. Returns whether we agree.
 */
export async function confirmSubscription(
  db: Queryable,
  channelId: string,
  mode: 'subscribe' | 'unsubscribe',
  leaseSeconds: number | null,
  now: Date,
): Promise<boolean> {
  if (mode === 'unsubscribe') {
    const r = await db.query(
      `SELECT 1 FROM followed_channels WHERE channel_id = $1 AND state = 'active' AND websub_state IS NOT NULL`,
      [channelId],
    );
    if ((r.rowCount ?? 0) > 0) return false;
    await db.query(
      `UPDATE followed_channels SET websub_state = NULL, websub_expires_at = NULL WHERE channel_id = $1`,
      [channelId],
    );
    return true;
  }
  const r = await db.query(
    `UPDATE followed_channels SET websub_state = 'verified',
       websub_expires_at = $2::timestamptz + make_interval(secs => $3)
     WHERE channel_id = $1 AND state = 'active' AND websub_requested_at >= $4`,
    [channelId, now, leaseSeconds ?? 0, new Date(now.getTime() - VERIFY_WITHIN_MS)],
  );
  return (r.rowCount ?? 0) > 0;
}

/** The hub refused a subscription (hub.mode=denied). */
export async function markSubscriptionDenied(db: Queryable, channelId: string): Promise<void> {
  await db.query(
    `UPDATE followed_channels SET websub_state = 'denied', websub_expires_at = NULL WHERE channel_id = $1`,
    [channelId],
  );
}

/** Of these channels, the ones with a verified, unexpired WebSub subscription. */
export async function subscribedChannelIds(
  db: Queryable,
  channelIds: string[],
  now: Date,
): Promise<Set<string>> {
  if (channelIds.length === 0) return new Set();
  const r = await db.query<{ channel_id: string }>(
    `SELECT channel_id FROM followed_channels WHERE channel_id = ANY($1::text[]) AND state = 'active'
       AND websub_state = 'verified' AND websub_expires_at > $2`,
    [channelIds, now],
  );
  return new Set(r.rows.map((x) => x.channel_id));
}

export async function countSubscriptions(
  db: Queryable,
  now: Date,
): Promise<{ verified: number; requested: number; denied: number; expired: number }> {
  const r = await db.query(
    `SELECT count(*) FILTER (WHERE websub_state = 'verified' AND websub_expires_at > $1)::int AS verified,
            count(*) FILTER (WHERE websub_state = 'verified' AND websub_expires_at <= $1)::int AS expired,
            count(*) FILTER (WHERE websub_state = 'requested')::int AS requested,
            count(*) FILTER (WHERE websub_state = 'denied')::int AS denied
     FROM followed_channels WHERE state = 'active'`,
    [now],
  );
  const x = r.rows[0];
  return { verified: x.verified, requested: x.requested, denied: x.denied, expired: x.expired };
}
