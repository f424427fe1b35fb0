import type { FileHandle } from 'node:fs/promises';
import { checkFrame, describeFrameCheck, FRAME_HEADER_BYTES, frameCrc, MAX_BODY_BYTES } from './record-codec.js';

// Fresh buffers stay small (many large short-lived allocations make V8 collect
// more often); reused ones can be large, which cuts the number of reads.
const FRESH_CHUNK_BYTES = 1024 * 1024;
const REUSED_CHUNK_BYTES = 4 * 1024 * 1024;
const EMPTY: Buffer = Buffer.alloc(0);

/** What `step()` found: a frame (see the scanner's fields), the end, damage, or a need to read. */
export type ScanStep = 'frame' | 'end' | 'damage' | 'more';

/** A damaged frame: where it starts and what is wrong with it. */
export interface FrameDamage {
  readonly offset: number;
  readonly reason: string;
}

/**
 * Walks the frames of one file from `start` to `end` in large chunks. The hot
 * loop is synchronous (`step()`), and only asks for an `await fill()` when the
 * buffered chunk runs out, so a million small records cost no million promises.
 *
 * After `'frame'`, `position`/`nextPosition` are file offsets and `chunk` holds the
 * bytes (`bodyStart`/`bodyEnd` index into it). Each chunk is a fresh buffer, so
 * views taken of it stay valid after later reads — unless `reuseChunks` is set, for
 * a caller that keeps no views: then two buffers take turns, which spares a large
 * scan the cost of a fresh buffer per megabyte.
 */
export class FrameScanner {
  readonly #handle: FileHandle;
  #end: number;
  #chunk: Buffer = EMPTY;
  /** The whole buffer `#chunk` is a view of, and the one before it (for reuse). */
  #base: Buffer = EMPTY;
  #spare: Buffer | undefined;
  readonly #reuse: boolean;
  readonly #chunkBytes: number;
  /** File offset of `#chunk[0]`. */
  #chunkStart: number;
  #cursor: number;

  position = 0;
  nextPosition = 0;
  bodyStart = 0;
  bodyEnd = 0;
  damage: FrameDamage | undefined;

  constructor(handle: FileHandle, start: number, end: number, options: { reuseChunks?: boolean } = {}) {
    this.#handle = handle;
    this.#reuse = options.reuseChunks ?? false;
    this.#chunkBytes = this.#reuse ? REUSED_CHUNK_BYTES : FRESH_CHUNK_BYTES;
    this.#chunkStart = start;
    this.#cursor = start;
    this.#end = end;
  }

  get chunk(): Buffer {
    return this.#chunk;
  }

  /** The file offset the next frame starts at. */
  get cursor(): number {
    return this.#cursor;
  }

  get end(): number {
    return this.#end;
  }

  /** Lets a live reader see bytes appended since the scanner was made. */
  extendEnd(end: number): void {
    if (end > this.#end) this.#end = end;
  }

  /** Examines the next frame without I/O. */
  step(): ScanStep {
    const at = this.#cursor;
    if (at >= this.#end) return 'end';
    const loadedEnd = this.#chunkStart + this.#chunk.length;
    const local = at - this.#chunkStart;
    const available = loadedEnd - at;
    if (available < FRAME_HEADER_BYTES) return loadedEnd < this.#end ? 'more' : this.#damaged('short-header');
    const bodyLength = this.#chunk.readUInt32BE(local);
    const frameEnd = at + FRAME_HEADER_BYTES + bodyLength;
    const plausible = bodyLength !== 0 && bodyLength <= MAX_BODY_BYTES && frameEnd <= this.#end;
    if (plausible && frameEnd > loadedEnd) return 'more';
    // The intact case is checked inline: it runs once per record, and recovery of
    // a large journal is dominated by such per-record costs.
    const bodyStart = local + FRAME_HEADER_BYTES;
    if (!plausible || frameCrc(this.#chunk.subarray(bodyStart, bodyStart + bodyLength)) !== this.#chunk.readUInt32BE(local + 4)) {
      const check = checkFrame(this.#chunk, local, loadedEnd - this.#chunkStart);
      this.damage = { offset: at, reason: check.kind === 'intact' ? 'record checksum does not match' : describeFrameCheck(check) };
      return 'damage';
    }
    this.position = at;
    this.nextPosition = frameEnd;
    this.bodyStart = bodyStart;
    this.bodyEnd = bodyStart + bodyLength;
    this.#cursor = frameEnd;
    return 'frame';
  }

  #damaged(kind: 'short-header'): 'damage' {
    this.damage = { offset: this.#cursor, reason: describeFrameCheck({ kind }) };
    return 'damage';
  }

  /** The full framed bytes of the current frame (a view, no copy). */
  raw(): Buffer {
    return this.#chunk.subarray(this.bodyStart - FRAME_HEADER_BYTES, this.bodyEnd);
  }

  /** Reads the next chunk, keeping the unread bytes of the current one. */
  async fill(): Promise<void> {
    const keepFrom = this.#cursor - this.#chunkStart;
    const kept = this.#chunk.length - keepFrom;
    const need = this.#neededAt(keepFrom);
    const size = Math.max(Math.min(Math.max(this.#chunkBytes, need), this.#end - this.#cursor), kept);
    const spare = this.#reuse ? this.#spare : undefined;
    const base = spare !== undefined && spare.length >= size ? spare : Buffer.allocUnsafe(size);
    const next = base.length === size ? base : base.subarray(0, size);
    this.#chunk.copy(next, 0, keepFrom);
    const filled = await readInto(this.#handle, next, kept, this.#cursor + kept);
    if (this.#reuse) {
      this.#spare = this.#base;
      this.#base = base;
    }
    this.#chunk = filled < next.length ? next.subarray(0, filled) : next;
    this.#chunkStart = this.#cursor;
    // The file was shorter than `end` said (truncated under us): what is there is all there is.
    if (filled < next.length) this.#end = this.#cursor + filled;
  }

  #neededAt(local: number): number {
    if (this.#chunk.length - local < FRAME_HEADER_BYTES) return FRAME_HEADER_BYTES;
    return FRAME_HEADER_BYTES + this.#chunk.readUInt32BE(local);
  }

  /**
   * True when an intact frame starts anywhere after `offset` (up to `end`). This
   * tells a torn tail (nothing intact follows the damage: a write that never
   * finished) from damage in the middle (intact records follow: lost data).
   */
  async intactFrameAfter(offset: number): Promise<boolean> {
    let window: Buffer = EMPTY;
    let windowStart = offset;
    const covers = (from: number, length: number): boolean =>
      from >= windowStart && from + length <= windowStart + window.length;
    for (let at = offset + 1; at + FRAME_HEADER_BYTES < this.#end; at += 1) {
      if (!covers(at, FRAME_HEADER_BYTES)) {
        ({ window, windowStart } = await this.#readWindow(at, FRAME_HEADER_BYTES));
      }
      const bodyLength = window.readUInt32BE(at - windowStart);
      if (bodyLength === 0 || bodyLength > MAX_BODY_BYTES || at + FRAME_HEADER_BYTES + bodyLength > this.#end) continue;
      if (!covers(at, FRAME_HEADER_BYTES + bodyLength)) {
        ({ window, windowStart } = await this.#readWindow(at, FRAME_HEADER_BYTES + bodyLength));
      }
      const local = at - windowStart;
      if (checkFrame(window, local, local + FRAME_HEADER_BYTES + bodyLength).kind === 'intact') return true;
    }
    return false;
  }

  async #readWindow(at: number, need: number): Promise<{ window: Buffer; windowStart: number }> {
    const size = Math.min(Math.max(this.#chunkBytes, need), this.#end - at);
    const buffer = Buffer.allocUnsafe(size);
    const filled = await readInto(this.#handle, buffer, 0, at);
    return { window: buffer.subarray(0, filled), windowStart: at };
  }
}

/** Reads from `position` until `buffer` is full from `offset` or the file ends; returns the filled length. */
async function readInto(handle: FileHandle, buffer: Buffer, offset: number, position: number): Promise<number> {
  let filled = offset;
  while (filled < buffer.length) {
    const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, position + filled - offset);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
}
