export {
  type CreateEventsOptions,
  createEvents,
  DEFAULT_EVENTS_SCHEMA,
  type EmitOptions,
  type EventHandler,
  type EventMeta,
  type Events,
  eventQueueName,
  type GroupOptions,
  installEventsSchema,
} from './bus.ts';
export {
  EVENT_NAMES,
  type EventData,
  type EventName,
  type EventPayload,
  eventSchemas,
  isEventName,
  parseEvent,
} from './schemas.ts';
export { createStateStore, STATE_QUEUE, type StateStore } from './state.ts';
