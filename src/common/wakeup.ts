import type { Clock } from './clock.js';
import { linkedAbort, type LinkedAbort } from './linked-abort.js';

/**
 * A sleep that can be cut short: the controller's timer loop sleeps until the
 * next due time, and `poke()` wakes it early when an earlier time appears.
 */
export class Wakeup {
  readonly #clock: Clock;
  #poke: LinkedAbort | undefined;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Sleeps up to `ms`, or less when poked; rejects only when `signal` aborts. */
  async sleep(ms: number, signal: AbortSignal): Promise<void> {
    const poke = linkedAbort(signal);
    this.#poke = poke;
    try {
      await this.#clock.sleep(Math.max(0, ms), poke.signal);
    } catch (err) {
      if (signal.aborted) throw err;
    } finally {
      poke.dispose();
      if (this.#poke === poke) this.#poke = undefined;
    }
  }

  poke(): void {
    this.#poke?.abort();
  }
}
