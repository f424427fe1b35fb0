import type {
  AckFrame,
  AckStreamRequest,
  ClusterCommandAnswer,
  ClusterEndpoint,
  JournalFrame,
  JournalStreamRequest,
  WatchFrame,
  WatchStreamRequest,
} from '../../../src/cluster/transport/index.js';

type FeedItem<F> = { readonly kind: 'frame'; readonly frame: F } | { readonly kind: 'end' } | { readonly kind: 'fail'; readonly err: unknown };

/** Frames a test hands to the endpoint one by one; a reader waits for the next, as a live journal's reader does. */
export class FrameFeed<F> {
  readonly #items: FeedItem<F>[] = [];
  #wake: (() => void) | undefined;
  #waiting = false;
  readonly #onChange: () => void;

  constructor(onChange: () => void) {
    this.#onChange = onChange;
  }

  push(...frames: F[]): void {
    for (const frame of frames) this.#items.push({ kind: 'frame', frame });
    this.#poke();
  }

  /** The stream ends after the frames pushed so far. */
  end(): void {
    this.#items.push({ kind: 'end' });
    this.#poke();
  }

  /** The stream fails with `err` after the frames pushed so far. */
  fail(err: unknown): void {
    this.#items.push({ kind: 'fail', err });
    this.#poke();
  }

  /** A reader has taken everything and waits for more. */
  get waiting(): boolean {
    return this.#waiting;
  }

  /** Yields the pushed frames until the feed ends or fails, or `signal` aborts. */
  async *drain(signal: AbortSignal): AsyncGenerator<F, void, undefined> {
    while (!signal.aborted) {
      const item = this.#items.shift();
      if (item === undefined) {
        await this.#next(signal);
        continue;
      }
      switch (item.kind) {
        case 'frame':
          yield item.frame;
          break;
        case 'end':
          return;
        case 'fail':
          throw item.err;
      }
    }
  }

  #next(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        signal.removeEventListener('abort', done);
        this.#wake = undefined;
        this.#waiting = false;
        this.#onChange();
        resolve();
      };
      signal.addEventListener('abort', done, { once: true });
      this.#wake = done;
      this.#waiting = true;
      this.#onChange();
    });
  }

  #poke(): void {
    this.#wake?.();
  }
}

/** One stream the endpoint served: what was asked, the signal it got, and whether its iterator has finished. */
export interface StreamCall<R> {
  readonly request: R;
  readonly signal: AbortSignal;
  finished: boolean;
}

/**
 * A ClusterEndpoint driven by the test: streams serve what is pushed into
 * `journal` / `acks`, `refuse…` makes the next streams fail before their first
 * frame, `onCommand` answers commands; every call is recorded.
 */
export class ScriptedEndpoint implements ClusterEndpoint {
  journal: FrameFeed<JournalFrame>;
  acks: FrameFeed<AckFrame>;
  refuseJournal: unknown = undefined;
  refuseAcks: unknown = undefined;
  watch: FrameFeed<WatchFrame>;
  refuseWatch: unknown = undefined;
  readonly watchCalls: StreamCall<WatchStreamRequest>[] = [];
  onCommand: (command: unknown) => Promise<ClusterCommandAnswer> = async () => ({ TYPE: 'Accepted' });
  readonly journalCalls: StreamCall<JournalStreamRequest>[] = [];
  readonly ackCalls: StreamCall<AckStreamRequest>[] = [];
  readonly commands: unknown[] = [];
  readonly #listeners = new Set<() => void>();

  constructor() {
    this.journal = this.newJournalFeed();
    this.acks = this.newAckFeed();
    this.watch = new FrameFeed<WatchFrame>(() => this.#changed());
  }

  /** Every call of any kind so far. */
  get callCount(): number {
    return this.journalCalls.length + this.ackCalls.length + this.watchCalls.length + this.commands.length;
  }

  newJournalFeed(): FrameFeed<JournalFrame> {
    return new FrameFeed<JournalFrame>(() => this.#changed());
  }

  newAckFeed(): FrameFeed<AckFrame> {
    return new FrameFeed<AckFrame>(() => this.#changed());
  }

  async *journalFrames(request: JournalStreamRequest, signal: AbortSignal): AsyncGenerator<JournalFrame, void, undefined> {
    yield* this.#serve(this.journalCalls, request, signal, this.refuseJournal, this.journal);
  }

  async *ackFrames(request: AckStreamRequest, signal: AbortSignal): AsyncGenerator<AckFrame, void, undefined> {
    yield* this.#serve(this.ackCalls, request, signal, this.refuseAcks, this.acks);
  }

  async *watchFrames(request: WatchStreamRequest, signal: AbortSignal): AsyncGenerator<WatchFrame, void, undefined> {
    yield* this.#serve(this.watchCalls, request, signal, this.refuseWatch, this.watch);
  }

  async clusterCommand(command: unknown): Promise<ClusterCommandAnswer> {
    this.commands.push(command);
    this.#changed();
    return this.onCommand(command);
  }

  /** Resolves once `predicate` holds (checked at every change), or rejects after `timeoutMs` naming `what`. */
  async until(what: string, predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
    if (predicate()) return;
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.#listeners.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#listeners.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.#listeners.add(check);
    });
  }

  async *#serve<R, F>(calls: StreamCall<R>[], request: R, signal: AbortSignal, refusal: unknown, feed: FrameFeed<F>): AsyncGenerator<F, void, undefined> {
    const call: StreamCall<R> = { request, signal, finished: false };
    calls.push(call);
    signal.addEventListener('abort', () => this.#changed(), { once: true });
    this.#changed();
    try {
      if (refusal !== undefined) throw refusal;
      yield* feed.drain(signal);
    } finally {
      call.finished = true;
      this.#changed();
    }
  }

  #changed(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}
