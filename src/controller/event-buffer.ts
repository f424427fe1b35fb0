import type { EventId } from '../common/index.js';
import type { EventRead, StampedView } from '../api/controller-port.js';

interface Waiter {
  readonly after: EventId;
  readonly resolve: () => void;
}

/**
 * The recent committed events, for event readers (`GET /event`). Older events
 * than the buffer holds are answered `Torn`, as JS7 does, so a reader re-reads
 * the state instead of silently missing events.
 */
export class EventBuffer {
  readonly #capacity: number;
  #items: StampedView[] = [];
  #start = 0;
  /** The EventId just before the oldest event held (0 for an empty journal). */
  #base: EventId;
  #last: EventId;
  #waiters = new Set<Waiter>();

  constructor(capacity: number, base: EventId) {
    this.#capacity = capacity;
    this.#base = base;
    this.#last = base;
  }

  get lastEventId(): EventId {
    return this.#last;
  }

  /** Adds committed events (in EventId order) and wakes the waiting readers. */
  push(events: readonly StampedView[]): void {
    if (events.length === 0) return;
    for (const e of events) this.#items.push(e);
    this.#last = events[events.length - 1]!.eventId;
    const size = this.#items.length - this.#start;
    if (size > this.#capacity) {
      const drop = size - this.#capacity;
      this.#base = this.#items[this.#start + drop - 1]!.eventId;
      this.#start += drop;
      // Compact rarely so pushes stay O(1) amortised.
      if (this.#start > this.#capacity) {
        this.#items = this.#items.slice(this.#start);
        this.#start = 0;
      }
    }
    this.#wake();
  }

  /**
   * An empty buffer whose events start later than it was told: the journal begins with a
   * snapshot at `base` (a backup that starts from a newer file). A reader asking for events
   * before `base` is then told they are torn instead of getting only the later ones.
   */
  startAt(base: EventId): void {
    if (this.#items.length > this.#start) throw new Error('EventBuffer.startAt: the buffer already holds events');
    if (base <= this.#last) return;
    this.#base = base;
    this.#last = base;
    this.#wake();
  }

  #wake(): void {
    for (const w of this.#waiters) {
      if (this.#last > w.after) {
        this.#waiters.delete(w);
        w.resolve();
      }
    }
  }

  read(after: EventId, limit: number): EventRead {
    if (after < this.#base) {
      const oldest = this.#items[this.#start]?.eventId ?? this.#last;
      return { TYPE: 'Torn', after, oldestEventId: oldest };
    }
    if (after >= this.#last) return { TYPE: 'Empty', lastEventId: this.#last };
    let lo = this.#start;
    let hi = this.#items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#items[mid]!.eventId <= after) lo = mid + 1;
      else hi = mid;
    }
    return { TYPE: 'NonEmpty', stamped: this.#items.slice(lo, lo + limit) };
  }

  /** Resolves once an event after `after` is held; rejects with the signal's reason on abort. */
  wait(after: EventId, signal: AbortSignal): Promise<void> {
    if (this.#last > after) return Promise.resolve();
    return new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = (): void => {
        this.#waiters.delete(waiter);
        reject(signal.reason);
      };
      const waiter: Waiter = {
        after,
        resolve: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      this.#waiters.add(waiter);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
