import type { Observation } from './observation.ts';

/**
 * Lifecycle events (the vault's `lifecycle/`): each transition once, with the poll that first saw it.
 * YouTube's videos.list leaves out deleted and private videos alike, so both are `unavailable`.
 */
export const LIFECYCLE_EVENTS = [
  'unavailable',
  'available_again',
  'gone',
  'likes_hidden',
  'likes_shown',
  'comments_disabled',
  'comments_enabled',
  'title_changed',
  'capacity_demoted',
  'capacity_restored',
] as const;
export type LifecycleEventName = (typeof LIFECYCLE_EVENTS)[number];

/** Stored as smallints 1…10 (sql/005_dataset.sql, sql/006_capacity.sql). */
export const lifecycleCode = (e: LifecycleEventName): number => LIFECYCLE_EVENTS.indexOf(e) + 1;
export const lifecycleName = (code: number): LifecycleEventName =>
  LIFECYCLE_EVENTS[code - 1] ?? 'unavailable';

export interface LifecycleEvent {
  videoId: string;
  event: LifecycleEventName;
  /** The planned time of the poll that saw it (epoch ms, whole minutes). */
  dueAt: number;
  /** When that poll ran: the time the change was first seen. */
  seenAt: number;
  /** The snapshot before (the change happened after it); null before the first snapshot. */
  previousAt: number | null;
  /** The state was already so at the video's first observation: no change was seen happening. */
  initial: boolean;
  /** title_changed: the new title. */
  detail: string | null;
}

/**
 * Flag events between two observations of a video that YouTube returned. A video's first observation
 * reports the flags already set as `initial` events.
 */
export function flagChanges(
  before: Observation,
  now: Observation,
): { event: LifecycleEventName; initial: boolean }[] {
  const out: { event: LifecycleEventName; initial: boolean }[] = [];
  if (!before.seen) {
    if (now.likesHidden) out.push({ event: 'likes_hidden', initial: true });
    if (now.commentsDisabled) out.push({ event: 'comments_disabled', initial: true });
    return out;
  }
  if (now.likesHidden !== before.likesHidden)
    out.push({ event: now.likesHidden ? 'likes_hidden' : 'likes_shown', initial: false });
  if (now.commentsDisabled !== before.commentsDisabled)
    out.push({ event: now.commentsDisabled ? 'comments_disabled' : 'comments_enabled', initial: false });
  return out;
}
