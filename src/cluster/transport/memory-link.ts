const ignore = (): void => undefined;

/**
 * One in-memory call in flight — what a TCP connection is to the HTTPS
 * transport. The serving side gets `serverSignal`, which aborts when the link
 * ends for any reason; the calling side waits through `race`, which fails as
 * soon as the link breaks (cut, peer gone, transport closed) or the caller aborts.
 */
export class MemoryLink {
  readonly #server = new AbortController();
  readonly #broken: Promise<never>;
  #breakWith: (err: unknown) => void = ignore;
  #stream: AsyncGenerator<Uint8Array, void, undefined> | undefined;
  // Settles once whatever the serving side was last asked for has settled.
  #pending: Promise<void> = Promise.resolve();
  #ended = false;
  readonly #onEnd: (link: MemoryLink) => void;
  readonly #clientSignal: AbortSignal | undefined;
  readonly #onClientAbort = (): void => this.break(this.#clientSignal?.reason);

  constructor(clientSignal: AbortSignal | undefined, onEnd: (link: MemoryLink) => void) {
    this.#broken = new Promise<never>((_resolve, reject) => {
      this.#breakWith = reject;
    });
    // Nobody may be racing when the link breaks; that is no unhandled failure.
    this.#broken.catch(ignore);
    this.#onEnd = onEnd;
    this.#clientSignal = clientSignal;
    clientSignal?.addEventListener('abort', this.#onClientAbort, { once: true });
  }

  /** Aborts when the call is over: ended, broken or abandoned by the caller. */
  get serverSignal(): AbortSignal {
    return this.#server.signal;
  }

  /** Fails every current and later `race` with `err`, and stops the serving side. */
  break(err: unknown): void {
    this.#breakWith(err);
    this.#server.abort(err);
  }

  /** `work` from the serving side, unless the link breaks first. */
  race<T>(work: Promise<T>): Promise<T> {
    this.#pending = work.then(ignore, ignore);
    return Promise.race([work, this.#broken]);
  }

  /** As `race`, for the opening of a stream: the link finalises the stream when it ends, even one that opens too late. */
  open(opening: Promise<AsyncGenerator<Uint8Array, void, undefined>>): Promise<AsyncGenerator<Uint8Array, void, undefined>> {
    return this.race(
      opening.then((stream) => {
        this.#stream = stream;
        return stream;
      }),
    );
  }

  /** The opened stream's chunks as the caller reads them, failing when the link breaks. */
  async *chunks(stream: AsyncGenerator<Uint8Array, void, undefined>): AsyncGenerator<Uint8Array, void, undefined> {
    for (;;) {
      const next = await this.race(stream.next());
      if (next.done === true) return;
      yield next.value;
    }
  }

  /** Ends the call: the serving side is aborted and winds down on its own. Idempotent. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#clientSignal?.removeEventListener('abort', this.#onClientAbort);
    this.#server.abort(new Error('the in-memory call ended'));
    this.#onEnd(this);
    // As a server finishes a response after its client left, without the client waiting:
    // once the serving side has answered what it was last asked, its stream is returned.
    this.#pending
      .then(async () => {
        await this.#stream?.return(undefined);
      })
      .catch(ignore);
  }
}
