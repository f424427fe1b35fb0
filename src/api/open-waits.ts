import type { ServerResponse } from 'node:http';
import { TandemError } from '../common/index.js';

/**
 * The long-polls and event streams that are waiting right now. Each gets an
 * AbortSignal that fires when its client goes away or when the server closes,
 * so closing the server never waits for a 60-second poll or an endless stream.
 */
export class OpenWaits {
  readonly #controllers = new Set<AbortController>();
  #closed = false;

  /** A signal for one waiting response; it aborts when `response` closes or on `abortAll()`. */
  track(response: ServerResponse): AbortSignal {
    const controller = new AbortController();
    if (this.#closed) {
      controller.abort(new TandemError('ShuttingDown', 'The API server is closing.'));
      return controller.signal;
    }
    this.#controllers.add(controller);
    // 'close' on the response fires both when it is finished and when the
    // connection drops early: either way the wait is over.
    response.once('close', () => {
      this.#controllers.delete(controller);
      controller.abort(new Error('response closed'));
    });
    return controller.signal;
  }

  /** Aborts every wait, now and in future. */
  abortAll(): void {
    this.#closed = true;
    for (const c of this.#controllers) c.abort(new TandemError('ShuttingDown', 'The API server is closing.'));
    this.#controllers.clear();
  }

  get size(): number {
    return this.#controllers.size;
  }
}
