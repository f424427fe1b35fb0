import type { EventId } from '../common/index.js';

interface Waiter {
  readonly eventId: EventId;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/** Callers waiting until an EventId is published (committed by the full commit rule), resolved in order. */
export class CommitWaiters {
  #waiters: Waiter[] = [];
  #failure: unknown;
  #failed = false;

  wait(eventId: EventId, published: EventId): Promise<void> {
    if (this.#failed) return Promise.reject(this.#failure);
    if (eventId <= published) return Promise.resolve();
    return new Promise((resolve, reject) => this.#waiters.push({ eventId, resolve, reject }));
  }

  /** Resolves every waiter at or below `published`. Waiters arrive in EventId order, so this stops at the first later one. */
  published(published: EventId): void {
    let i = 0;
    while (i < this.#waiters.length && this.#waiters[i]!.eventId <= published) this.#waiters[i++]!.resolve();
    if (i > 0) this.#waiters = this.#waiters.slice(i);
  }

  /** Rejects every present and future waiter. */
  fail(err: unknown): void {
    this.#failed = true;
    this.#failure = err;
    for (const w of this.#waiters) w.reject(err);
    this.#waiters = [];
  }

  get size(): number {
    return this.#waiters.length;
  }
}
