import type { JournalPoint } from './journal-types.js';

interface Waiter {
  readonly since: JournalPoint;
  readonly signal: AbortSignal;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
  readonly onAbort: () => void;
}

/** Live readers waiting for the journal to grow past a point. */
export class ChangeWaiters {
  readonly #waiters = new Set<Waiter>();

  /** Resolves at the first `notify` for which `changed(since)` holds; rejects on abort or `stop`. */
  wait(since: JournalPoint, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        since,
        signal,
        resolve,
        reject,
        onAbort: () => {
          this.#waiters.delete(waiter);
          reject(signal.reason);
        },
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      this.#waiters.add(waiter);
    });
  }

  /** Wakes the waiters whose point has been passed. */
  notify(changed: (since: JournalPoint) => boolean): void {
    for (const waiter of this.#waiters) {
      if (changed(waiter.since)) this.#settle(waiter, undefined);
    }
  }

  /** Rejects every waiter with `err`. */
  stop(err: unknown): void {
    for (const waiter of this.#waiters) this.#settle(waiter, err);
  }

  get size(): number {
    return this.#waiters.size;
  }

  #settle(waiter: Waiter, err: unknown): void {
    this.#waiters.delete(waiter);
    waiter.signal.removeEventListener('abort', waiter.onAbort);
    if (err === undefined) waiter.resolve();
    else waiter.reject(err);
  }
}
