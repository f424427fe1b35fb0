import type { Clock } from './clock.js';

/**
 * A sleep that can be cut short: the controller's timer loop sleeps until the
 * next due time, and `poke()` wakes it early when an earlier time appears. A poke
 * is on the hot path (every acknowledgement the passive sends), so it settles the
 * sleep directly and cancels its timer instead of aborting it.
 */
export class Wakeup {
  readonly #clock: Clock;
  #wake: (() => void) | undefined;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Sleeps up to `ms`, or less when poked; rejects only when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const settle = (): void => {
        cancel();
        signal.removeEventListener('abort', onAbort);
        if (this.#wake === wake) this.#wake = undefined;
      };
      const wake = (): void => {
        settle();
        resolve();
      };
      const onAbort = (): void => {
        settle();
        reject(signal.reason);
      };
      const cancel = this.#clock.timer(Math.max(0, ms), wake);
      signal.addEventListener('abort', onAbort, { once: true });
      this.#wake = wake;
    });
  }

  poke(): void {
    this.#wake?.();
  }
}
