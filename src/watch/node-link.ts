import { TandemError, Wakeup, type Clock, type Logger } from '../common/index.js';
import type { PeerTransport, WatchFrame } from '../cluster/index.js';
import type { WatchCommand } from './watch-rules.js';

export interface NodeLinkOptions {
  readonly uri: string;
  readonly peer: PeerTransport;
  readonly watchId: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Pause before reading the stream again after it ended or broke. */
  readonly reconnectMs: number;
  /** Decides on one frame; a rejection is fatal for the watch and escalates through the loop. */
  readonly onFrame: (uri: string, frame: WatchFrame) => Promise<void>;
}

// How long the send loop sleeps when idle; a send wakes it at once.
const idleSleepMs = 60_000;

/**
 * The watch's link to one node: reads the node's watch stream (reconnecting when
 * it ends or breaks) and delivers the watch's commands to the node, in order, one
 * at a time, without holding up the reading.
 */
export class NodeLink {
  readonly uri: string;
  readonly #o: NodeLinkOptions;
  readonly #logger: Logger;
  readonly #outbox: WatchCommand[] = [];
  readonly #wakeup: Wakeup;
  #connected = false;
  #lastProblem: string | undefined;
  #nodeId: string | undefined;
  #frames = 0;

  constructor(options: NodeLinkOptions) {
    this.uri = options.uri;
    this.#o = options;
    this.#logger = options.logger.child({ node: options.uri });
    this.#wakeup = new Wakeup(options.clock);
  }

  /** The stream is open and has delivered a frame. */
  get connected(): boolean {
    return this.#connected;
  }

  /** The node id its last heartbeat gave; undefined before the first. */
  get nodeId(): string | undefined {
    return this.#nodeId;
  }

  /** Frames read and decided on since the watch started. */
  get frames(): number {
    return this.#frames;
  }

  /** Queues `command` for the node; the send loop delivers it. */
  send(command: WatchCommand): void {
    this.#outbox.push(command);
    this.#wakeup.poke();
  }

  /** Reads the node's watch stream until `signal` aborts, reconnecting after a short pause. */
  async readLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.#readStream(signal);
      if (signal.aborted) return;
      await this.#o.clock.sleep(this.#o.reconnectMs, signal);
    }
  }

  /** Delivers queued commands until `signal` aborts; a failed delivery is logged, not retried (the node asks again). */
  async sendLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const command = this.#outbox.shift();
      if (command === undefined) {
        await this.#wakeup.sleep(idleSleepMs, signal);
        continue;
      }
      try {
        await this.#o.peer.command(command, signal);
      } catch (err) {
        if (signal.aborted) return;
        const fields = { command: command.TYPE, ...('requestId' in command ? { requestId: command.requestId } : {}), err: describe(err) };
        this.#logger.warn(fields, `could not deliver ${command.TYPE} to ${this.uri}`);
      }
    }
  }

  async #readStream(signal: AbortSignal): Promise<void> {
    const frames = this.#o.peer.watchMessages({ watchId: this.#o.watchId }, signal)[Symbol.asyncIterator]();
    try {
      for (;;) {
        let next: IteratorResult<WatchFrame>;
        try {
          next = await frames.next();
        } catch (err) {
          if (signal.aborted) return;
          // Anything but a transport failure is a bug, and escalates.
          if (!(err instanceof TandemError)) throw err;
          this.#lost(`${err.code}: ${err.message}`);
          return;
        }
        if (next.done === true) {
          if (!signal.aborted) this.#lost('the node ended the watch stream');
          return;
        }
        this.#reached(next.value);
        await this.#o.onFrame(this.uri, next.value);
        this.#frames++;
      }
    } finally {
      await frames.return?.();
    }
  }

  #reached(frame: WatchFrame): void {
    if (frame.TYPE === 'Heartbeat') this.#nodeId = frame.nodeId;
    if (this.#connected) return;
    this.#connected = true;
    this.#lastProblem = undefined;
    this.#logger.info({ nodeId: this.#nodeId }, `reading the watch stream of ${this.uri}`);
  }

  #lost(problem: string): void {
    // While a node is down this repeats every reconnect: say it once, then only when it changes.
    const news = this.#connected || problem !== this.#lastProblem;
    this.#connected = false;
    this.#lastProblem = problem;
    if (news) this.#logger.warn({ nodeId: this.#nodeId, problem }, `lost the watch stream of ${this.uri}: ${problem}`);
    else this.#logger.debug({ nodeId: this.#nodeId, problem }, `still cannot read the watch stream of ${this.uri}`);
  }
}

function describe(err: unknown): string {
  if (err instanceof TandemError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}
