import type { StampedEvent } from '../journal/index.js';
import type { Event } from '../state/index.js';
import type { StampedView } from '../api/controller-port.js';

export type Stamped = StampedEvent<Event>;

/**
 * Committed events as the API shows them: the same objects, typed for the API (a
 * committed event is never changed), so publishing one allocates nothing per event.
 */
export function asViews(batch: readonly Stamped[]): readonly StampedView[] {
  return batch as unknown as readonly StampedView[];
}
