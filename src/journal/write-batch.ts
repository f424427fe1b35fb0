import type { EventId } from '../common/index.js';
import { FRAME_HEADER_BYTES, writeFrame } from './record-codec.js';

const INITIAL_BYTES = 64 * 1024;
const noop = (): void => undefined;

/**
 * The appends that go out in one durable write. Frames are copied into one
 * growing buffer as they arrive, and every append of the batch shares one
 * promise, so a batch of a thousand appends costs one promise and no closures.
 */
export class WriteBatch {
  buffer: Buffer;
  length = 0;
  records = 0;
  lastEventId: EventId;
  readonly done: Promise<void>;
  #resolve: () => void = noop;
  #reject: (err: unknown) => void = noop;

  constructor(buffer: Buffer | undefined, lastEventId: EventId) {
    this.buffer = buffer ?? Buffer.allocUnsafe(INITIAL_BYTES);
    this.lastEventId = lastEventId;
    this.done = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // The owner may drop a ticket without awaiting it; a failure is reported to
    // every later append anyway, so an unobserved rejection must not crash the process.
    this.done.catch(noop);
  }

  /** Copies one framed body in. */
  add(body: Buffer, lastEventId: EventId): void {
    const needed = this.length + FRAME_HEADER_BYTES + body.length;
    if (needed > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.buffer.length * 2));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    this.length = writeFrame(this.buffer, this.length, body);
    this.records += 1;
    this.lastEventId = lastEventId;
  }

  resolve(): void {
    this.#resolve();
  }

  reject(err: unknown): void {
    this.#reject(err);
  }
}
