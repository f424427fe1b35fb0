import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Logger, Supervisor } from '../common/index.js';
import type { ReadModel } from '../readmodel/index.js';
import type { Stamped } from './stamped-view.js';

/**
 * Feeds committed events to the read model in the background, in journal order,
 * one batch at a time. The read model is derived data, so its writes never sit on
 * the path of a commit or an acknowledgement — not even the CPU part of a level
 * batch, which runs before the write leaves for the thread pool: a flush starts in
 * a later turn of the event loop than the push that asked for it.
 */
export class ReadModelFeeder {
  readonly #readModel: ReadModel;
  readonly #supervisor: Supervisor;
  readonly #logger: Logger;
  readonly #onStored: () => void;
  #queue: Stamped[] = [];
  #flushing = false;

  /** `onStored` runs after each write of the read model (its lastEventId has moved on). */
  constructor(readModel: ReadModel, supervisor: Supervisor, logger: Logger, onStored: () => void = () => undefined) {
    this.#readModel = readModel;
    this.#supervisor = supervisor;
    this.#logger = logger;
    this.#onStored = onStored;
  }

  push(events: readonly Stamped[]): void {
    for (const s of events) this.#queue.push(s);
    if (this.#flushing || this.#queue.length === 0) return;
    this.#flushing = true;
    this.#supervisor.spawn('read model', async (signal) => {
      try {
        await nextTurn(undefined, { signal });
        while (this.#queue.length > 0) {
          const batch = this.#queue;
          this.#queue = [];
          await this.#readModel.apply(batch);
          this.#onStored();
        }
      } finally {
        this.#flushing = false;
      }
    });
  }

  /** After the supervisor has stopped: stores what is left, so a restart finds the job logs of what was committed. */
  async drain(): Promise<void> {
    if (this.#queue.length === 0) return;
    const rest = this.#queue;
    this.#queue = [];
    await this.#readModel.apply(rest).catch((err: unknown) => this.#logger.warn({ err }, 'read model flush failed'));
  }
}
