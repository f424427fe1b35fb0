import { FRAME_PREFIX_BYTES, MAX_FRAME_BODY_BYTES } from './frame-codec.js';

/**
 * Cuts a byte stream into frame bodies (`u32 length · body`), whatever the
 * chunking: a frame may arrive in many chunks, a chunk may hold many frames.
 * Chunks are only joined once a whole frame is there, so a 5 MiB frame in
 * 64 KiB chunks costs one copy, and small frames inside one chunk none.
 */
export class FrameSplitter {
  #parts: Uint8Array[] = [];
  #buffered = 0;
  // Body length of the frame being collected, once its prefix has been read.
  #expected: number | undefined;

  /** Adds a chunk and returns the frame bodies it completes, in order; throws on an impossible length. */
  push(chunk: Uint8Array): Uint8Array[] {
    if (chunk.length === 0) return [];
    this.#parts.push(chunk);
    this.#buffered += chunk.length;
    const bodies: Uint8Array[] = [];
    for (;;) {
      if (this.#expected === undefined) {
        if (this.#buffered < FRAME_PREFIX_BYTES) break;
        const head = this.#joined();
        const length = new DataView(head.buffer, head.byteOffset, FRAME_PREFIX_BYTES).getUint32(0);
        if (length > MAX_FRAME_BODY_BYTES) throw new Error(`frame length ${length} exceeds ${MAX_FRAME_BODY_BYTES}`);
        this.#expected = length;
      }
      const total = FRAME_PREFIX_BYTES + this.#expected;
      if (this.#buffered < total) break;
      const all = this.#joined();
      bodies.push(all.subarray(FRAME_PREFIX_BYTES, total));
      const rest = all.subarray(total);
      this.#parts = rest.length === 0 ? [] : [rest];
      this.#buffered = rest.length;
      this.#expected = undefined;
    }
    return bodies;
  }

  /** Bytes received that do not yet form a whole frame (a stream that ends with some was cut mid-frame). */
  get pendingBytes(): number {
    return this.#buffered;
  }

  /** The buffered bytes as one array. */
  #joined(): Uint8Array {
    if (this.#parts.length > 1) this.#parts = [Buffer.concat(this.#parts, this.#buffered)];
    const only = this.#parts[0];
    if (only === undefined) throw new Error('FrameSplitter: nothing buffered');
    return only;
  }
}
