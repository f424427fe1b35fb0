import type { EventId } from '../common/index.js';

export interface PendingBatch<T> {
  readonly lastEventId: EventId;
  /** Appended while Coupled: committed only once the passive has acknowledged it. */
  readonly needsAck: boolean;
  readonly value: T;
}

/**
 * Appended-but-not-yet-committed batches, in EventId order. The controller
 * takes them out only once the commit point has passed them, so committed
 * batches are published (to readers, to side effects) strictly in order even
 * if their promises settle in another order.
 */
export class CommitQueue<T> {
  #items: PendingBatch<T>[] = [];
  #head = 0;

  push(batch: PendingBatch<T>): void {
    this.#items.push(batch);
  }

  /** Removes and returns the batches from the head on for which `isCommitted` holds, stopping at the first that is not. */
  takeCommitted(isCommitted: (batch: PendingBatch<T>) => boolean): PendingBatch<T>[] {
    const out: PendingBatch<T>[] = [];
    while (this.#head < this.#items.length && isCommitted(this.#items[this.#head]!)) {
      out.push(this.#items[this.#head]!);
      this.#head++;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return out;
  }

  /** The batches not yet taken, oldest first. */
  *pending(): Generator<PendingBatch<T>> {
    for (let i = this.#head; i < this.#items.length; i++) yield this.#items[i]!;
  }

  /** The oldest batch still waiting, if any. */
  peek(): PendingBatch<T> | undefined {
    return this.#items[this.#head];
  }

  get size(): number {
    return this.#items.length - this.#head;
  }
}
