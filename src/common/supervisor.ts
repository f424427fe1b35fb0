import type { Logger } from './logger.js';

/**
 * Runs background loops so that no promise floats: each task gets an AbortSignal,
 * a task that fails (other than by abort) is logged and escalated to the owner,
 * and `close()` aborts every task and waits for all of them.
 */
export class Supervisor {
  readonly #controller = new AbortController();
  readonly #tasks = new Set<Promise<void>>();
  readonly #logger: Logger;
  readonly #onFailure: (name: string, err: unknown) => void;

  constructor(logger: Logger, onFailure: (name: string, err: unknown) => void) {
    this.#logger = logger;
    this.#onFailure = onFailure;
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Starts `fn` as a supervised task. */
  spawn(name: string, fn: (signal: AbortSignal) => Promise<void>): void {
    if (this.#controller.signal.aborted) return;
    const signal = this.#controller.signal;
    const task = (async () => {
      try {
        await fn(signal);
      } catch (err) {
        if (signal.aborted) return;
        this.#logger.error({ err, task: name }, 'background task failed');
        this.#onFailure(name, err);
      }
    })();
    this.#tasks.add(task);
    void task.finally(() => this.#tasks.delete(task));
  }

  /** Aborts all tasks and waits for them to end. Idempotent. */
  async close(): Promise<void> {
    this.#controller.abort(new Error('supervisor closed'));
    while (this.#tasks.size > 0) await Promise.all([...this.#tasks]);
  }
}
