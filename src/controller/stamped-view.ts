import type { StampedEvent } from '../journal/index.js';
import type { Event } from '../state/index.js';
import type { StampedView } from '../api/controller-port.js';

export type Stamped = StampedEvent<Event>;

/** A committed event as the API shows it. */
export function toView(s: Stamped): StampedView {
  return { eventId: s.eventId, event: s.event as unknown as Readonly<Record<string, unknown>> };
}
