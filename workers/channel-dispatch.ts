import { createHash } from 'node:crypto';
import { enqueueBulk } from '../queues/index.ts';
import { claimDueChannels, countLeasedChannels, promoteCandidates } from '../src/dao/followed-channels.ts';
import { currentBudget } from '../src/discovery/budget.ts';
import type { AgentDeps } from './deps.ts';

/** A channel-poll job's id, derived from its claim: the same claim never makes two jobs. */
export const channelPollJobId = (leaseUntil: number, channelIds: string[]): string =>
  `chpoll-${leaseUntil}-${createHash('sha1').update(channelIds.join(',')).digest('hex').slice(0, 16)}`;

/**
 * Units a channel poll is planned at: one playlistItems page, plus its share of the videos.list calls
 * for new uploads and of channels.list for a new channel. The actual spend is recorded per job, so a
 * wrong guess only shifts the next dispatch.
 */
export const UNITS_PER_POLL = 1.1;

export interface ChannelDispatchResult {
  promoted: number;
  /** Units channel polling may spend now (the budget's paced allowance), minus polls in flight. */
  allowance: number;
  channels: number;
  jobs: number;
}

/**
 * Follows the candidates the policy accepts, then claims as many due channels as the channel share of
 * today's quota allows (most overdue first, leased) and enqueues them in channel-poll jobs of
 * CHANNEL_POLL_BATCH channels. With no quota left for channels it claims nothing: channels stay due.
 */
export async function dispatchChannels(
  deps: AgentDeps,
  opts: { max?: number } = {},
): Promise<ChannelDispatchResult> {
  const { pool, config, clock, queues } = deps;
  const now = clock.now();
  const promoted = await promoteCandidates(
    pool,
    {
      mode: config.CHANNEL_AUTO_FOLLOW,
      minHits: config.CHANNEL_FOLLOW_MIN_HITS,
      minSubscribers: config.CHANNEL_FOLLOW_MIN_SUBSCRIBERS,
    },
    new Date(now),
  );
  const plan = await currentBudget({ pool, config, now, hydra: deps.hydra });
  const inFlight = await countLeasedChannels(pool, now);
  const allowance = Math.max(0, (plan?.routes.channels.pacedAllowanceUnits ?? 0) - inFlight * UNITS_PER_POLL);
  const limit = Math.min(opts.max ?? config.CHANNEL_MAX_PER_DISPATCH, Math.floor(allowance / UNITS_PER_POLL));
  const result: ChannelDispatchResult = { promoted, allowance: Math.floor(allowance), channels: 0, jobs: 0 };
  if (limit <= 0) return result;
  const { leaseUntil, channels } = await claimDueChannels(pool, {
    limit,
    now,
    leaseMs: config.CHANNEL_POLL_LEASE_S * 1000,
  });
  const jobs: { leaseUntil: number; channelIds: string[] }[] = [];
  for (let i = 0; i < channels.length; i += config.CHANNEL_POLL_BATCH)
    jobs.push({
      leaseUntil,
      channelIds: channels.slice(i, i + config.CHANNEL_POLL_BATCH).map((c) => c.channelId),
    });
  await enqueueBulk(
    queues,
    'channel-poll',
    jobs.map((data) => ({ data, opts: { jobId: channelPollJobId(data.leaseUntil, data.channelIds) } })),
  );
  result.channels = channels.length;
  result.jobs = jobs.length;
  return result;
}
