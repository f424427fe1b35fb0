import type { EventId } from '../common/index.js';

interface Entry<T> {
  readonly lastEventId: EventId;
  readonly value: T;
}

/**
 * Appended-but-not-yet-committed batches, in EventId order. The controller
 * takes them out only once the commit point has passed them, so committed
 * batches are published (to readers, to side effects) strictly in order even
 * if their promises settle in another order.
 */
export class CommitQueue<T> {
  #items: Entry<T>[] = [];
  #head = 0;

  push(lastEventId: EventId, value: T): void {
    this.#items.push({ lastEventId, value });
  }

  /** Removes and returns the batches whose last event is at or below `committed`. */
  takeCommitted(committed: EventId): T[] {
    const out: T[] = [];
    while (this.#head < this.#items.length && this.#items[this.#head]!.lastEventId <= committed) {
      out.push(this.#items[this.#head]!.value);
      this.#head++;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return out;
  }

  get size(): number {
    return this.#items.length - this.#head;
  }
}
