import { StringDecoder } from 'node:string_decoder';

/** Output is delivered at most this often per stream (plus size and exit flushes). */
export const OUTPUT_FLUSH_INTERVAL_MS = 200;
/** A stream's pending output is delivered once it reaches this many bytes. */
export const OUTPUT_FLUSH_BYTES = 32 * 1024;
/** Bytes of one stream delivered per job; the rest is drained and dropped. */
export const OUTPUT_CAP_BYTES = 1024 * 1024;
export const OUTPUT_TRUNCATED_LINE = '…[output truncated by Tandem after 1 MiB]\n';

/**
 * One output stream of one job: decodes UTF-8 (holding back a character split
 * across reads) and coalesces the text, so a job that writes a line at a time does
 * not become one journal event per write, and caps the total so a runaway job
 * cannot flood the journal.
 */
export class JobStreamOutput {
  readonly #decoder = new StringDecoder('utf8');
  readonly #deliver: (chunk: string) => void;
  readonly #armTimer: (flush: () => void) => void;
  #pending = '';
  #pendingBytes = 0;
  #acceptedBytes = 0;
  #timerArmed = false;
  #truncated = false;
  #ended = false;
  #lastDeliveredEndsLine = true;

  /**
   * @param deliver receives each coalesced chunk (never empty)
   * @param armTimer calls `flush` after the flush interval
   */
  constructor(deliver: (chunk: string) => void, armTimer: (flush: () => void) => void) {
    this.#deliver = deliver;
    this.#armTimer = armTimer;
  }

  get truncated(): boolean {
    return this.#truncated;
  }

  write(bytes: Uint8Array): void {
    if (this.#truncated || this.#ended) return;
    let offset = 0;
    while (offset < bytes.length) {
      const capRoom = OUTPUT_CAP_BYTES - this.#acceptedBytes;
      if (capRoom === 0) {
        this.#truncate();
        return;
      }
      // Feeding at most what fits keeps every chunk near the flush size, even when one read is larger.
      const n = Math.min(bytes.length - offset, capRoom, OUTPUT_FLUSH_BYTES - this.#pendingBytes);
      this.#pending += this.#decoder.write(bytes.subarray(offset, offset + n));
      this.#pendingBytes += n;
      this.#acceptedBytes += n;
      offset += n;
      if (this.#pendingBytes >= OUTPUT_FLUSH_BYTES) this.flush();
    }
    if (this.#pendingBytes > 0 && !this.#timerArmed) {
      this.#timerArmed = true;
      this.#armTimer(() => {
        this.#timerArmed = false;
        this.flush();
      });
    }
  }

  /** Delivers what is pending (a character still incomplete stays held). */
  flush(): void {
    this.#pendingBytes = 0;
    if (this.#pending === '') return;
    const chunk = this.#pending;
    this.#pending = '';
    this.#lastDeliveredEndsLine = chunk.endsWith('\n');
    this.#deliver(chunk);
  }

  /** The stream has closed: an incomplete trailing character becomes U+FFFD, then all is delivered. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (!this.#truncated) this.#pending += this.#decoder.end();
    this.flush();
  }

  #truncate(): void {
    // A character cut by the cap stays in the decoder and is dropped with the rest.
    const endsLine = this.#pending === '' ? this.#lastDeliveredEndsLine : this.#pending.endsWith('\n');
    this.#pending += (endsLine ? '' : '\n') + OUTPUT_TRUNCATED_LINE;
    this.#truncated = true;
    this.flush();
  }
}
