import { TandemError, type EventId } from '../common/index.js';
import { assertNever } from './assert-never.js';
import type { EventRead, StampedView } from './controller-port.js';

/** One event as readers see it: `{eventId, TYPE, …the event's fields}` (JS7's shape). */
export function flattenStamped(stamped: StampedView): Readonly<Record<string, unknown>> {
  // fromEntries defines properties rather than assigning them, so an event field
  // named __proto__ stays a plain field; the event cannot override eventId.
  return Object.fromEntries([
    ['eventId', stamped.eventId],
    ...Object.entries(stamped.event).filter(([key]) => key !== 'eventId'),
  ]);
}

export type EventsBody =
  | { readonly TYPE: 'NonEmpty'; readonly stamped: readonly Readonly<Record<string, unknown>>[] }
  | { readonly TYPE: 'Empty'; readonly lastEventId: EventId };

/** The answer of `GET /event` for a read; a torn read is the 410 `EventsTorn` Problem. */
export function eventsBody(read: EventRead): EventsBody {
  switch (read.TYPE) {
    case 'NonEmpty':
      return { TYPE: 'NonEmpty', stamped: read.stamped.map(flattenStamped) };
    case 'Empty':
      return { TYPE: 'Empty', lastEventId: read.lastEventId };
    case 'Torn':
      throw tornError(read.after, read.oldestEventId);
    default:
      return assertNever(read);
  }
}

export function tornError(after: EventId, oldestEventId: EventId): TandemError {
  return new TandemError('EventsTorn', `Events after ${after} are no longer held (the oldest is ${oldestEventId}); re-read the state.`, {
    after,
    oldestEventId,
  });
}
