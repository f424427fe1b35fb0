import { setTimeout as delay } from 'node:timers/promises';

/**
 * Time as domain code sees it. Nothing outside `app.ts` and tests reads the real
 * clock directly, so tests can drive time.
 */
export interface Clock {
  /** Wall-clock milliseconds since 1970 (may step back). */
  now(): number;
  /** Monotonic milliseconds from an arbitrary origin (never steps back). */
  monotonic(): number;
  /** Resolves after `ms`; rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Calls `fire` after `ms` unless the returned cancel is called first. For hot
   * paths that cut waits short: cancelling an aborted sleep costs two errors with
   * stack traces (the abort's and the timer's), about 50 µs here.
   */
  timer(ms: number, fire: () => void): () => void;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  sleep: async (ms, signal) => {
    await delay(ms, undefined, signal === undefined ? undefined : { signal });
  },
  timer: (ms, fire) => {
    const handle = setTimeout(fire, ms);
    return () => clearTimeout(handle);
  },
};

/** A clock that only moves when the test says so. */
export class ManualClock implements Clock {
  #now: number;
  #mono = 0;
  #sleepers: { until: number; resolve: () => void }[] = [];

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  monotonic(): number {
    return this.#mono;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const cancel = this.timer(ms, resolve);
      signal?.addEventListener(
        'abort',
        () => {
          cancel();
          reject(signal.reason);
        },
        { once: true },
      );
    });
  }

  timer(ms: number, fire: () => void): () => void {
    const entry = { until: this.#mono + ms, resolve: fire };
    this.#sleepers.push(entry);
    return () => {
      this.#sleepers = this.#sleepers.filter((s) => s !== entry);
    };
  }

  /** Moves both clocks forward and wakes the sleepers that are due. */
  advance(ms: number): void {
    this.#now += ms;
    this.#mono += ms;
    const due = this.#sleepers.filter((s) => s.until <= this.#mono);
    this.#sleepers = this.#sleepers.filter((s) => s.until > this.#mono);
    for (const s of due) s.resolve();
  }

  /** Steps the wall clock only (as NTP may), leaving the monotonic clock alone. */
  stepWall(ms: number): void {
    this.#now += ms;
  }
}
