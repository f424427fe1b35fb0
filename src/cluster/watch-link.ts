import { randomUUID } from 'node:crypto';
import { TandemError, Wakeup, asEpoch, linkedAbort, type Clock, type Epoch, type Logger } from '../common/index.js';
import type { ClusterTiming } from './cluster-timing.js';
import type { WatchFrame, WatchStreamRequest } from './transport/index.js';
import type { ConsentRequest, Witness, WitnessStatus, WitnessVerdict } from './witness.js';

/** How this node looks to the watch, at the moment a heartbeat goes out: the heartbeat's fields. */
export type WatchView = Omit<Extract<WatchFrame, { readonly TYPE: 'Heartbeat' }>, 'TYPE'>;

/** The watch's answer as the node-to-node command carried it. */
export interface WatchAnswer {
  readonly watchId: string;
  readonly requestId: string;
  readonly verdict: 'Hold' | 'Granted' | 'Refused';
  readonly reason?: string;
  readonly epoch: Epoch;
  readonly activeId: string | null;
}

export interface WatchLinkOptions {
  readonly view: () => WatchView;
  readonly timing: ClusterTiming;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The watch knows a higher epoch than this node: the node has lost and must stop acting. */
  readonly onHigherEpoch: (epoch: Epoch, activeId: string | null, source: string) => void;
}

interface OpenStream {
  readonly watchId: string;
  readonly queue: WatchFrame[];
  readonly wakeup: Wakeup;
  /** Monotonic ms of the next heartbeat; 0 sends one at once. */
  nextHeartbeat: number;
}

/**
 * The node's side of the pulled cluster watch (DESIGN §4 stream 3, §5): the watch
 * holds `GET /cluster/clusterWatchMessage` open on each node; this class feeds it
 * heartbeats and consent requests, and matches the watch's answers (which arrive
 * as ClusterWatchAnswer commands) to the requests waiting for them.
 */
export class WatchLink implements Witness {
  readonly #o: WatchLinkOptions;
  readonly #logger: Logger;
  readonly #streams = new Set<OpenStream>();
  readonly #waiting = new Map<string, (answer: WatchAnswer) => void>();
  #lastWatchId: string | undefined;
  #lastContactAt: number | undefined;

  constructor(options: WatchLinkOptions) {
    this.#o = options;
    this.#logger = options.logger.child({ component: 'watch-link' });
  }

  /** `GET /cluster/clusterWatchMessage`: a heartbeat now and every interval, requests as they come. */
  async *frames(request: WatchStreamRequest, signal: AbortSignal): AsyncGenerator<WatchFrame> {
    const stream: OpenStream = { watchId: request.watchId, queue: [], wakeup: new Wakeup(this.#o.clock), nextHeartbeat: 0 };
    this.#streams.add(stream);
    this.#lastWatchId = request.watchId;
    this.#logger.info({ watchId: request.watchId }, 'the cluster watch connected');
    try {
      while (!signal.aborted) {
        this.#lastContactAt = this.#o.clock.monotonic();
        const queued = stream.queue.shift();
        if (queued !== undefined) {
          yield queued;
          continue;
        }
        const now = this.#o.clock.monotonic();
        if (now >= stream.nextHeartbeat) {
          stream.nextHeartbeat = now + this.#o.timing.heartbeatMs;
          yield { TYPE: 'Heartbeat', ...this.#o.view() };
          continue;
        }
        await stream.wakeup.sleep(stream.nextHeartbeat - now, signal).catch(() => undefined);
      }
    } finally {
      this.#streams.delete(stream);
      this.#logger.info({ watchId: request.watchId }, 'the cluster watch disconnected');
    }
  }

  /** The node's cluster state or its claim to act changed: every open stream sends a heartbeat now, so the watch need not wait an interval. */
  viewChanged(): void {
    for (const stream of this.#streams) {
      stream.nextHeartbeat = 0;
      stream.wakeup.poke();
    }
  }

  /** A ClusterWatchAnswer arrived. */
  answer(answer: WatchAnswer): void {
    this.#checkKnown(answer.watchId);
    this.#lastContactAt = this.#o.clock.monotonic();
    const view = this.#o.view();
    if (answer.epoch > view.epoch) this.#o.onHigherEpoch(answer.epoch, answer.activeId, `the cluster watch ${answer.watchId}`);
    const resolve = this.#waiting.get(answer.requestId);
    if (resolve === undefined) {
      this.#logger.debug({ requestId: answer.requestId }, 'an answer of the watch to no waiting request');
      return;
    }
    resolve(answer);
  }

  /** A ClusterWatchEpoch arrived: the watch tells this node it is behind. */
  epochNotice(watchId: string, epoch: Epoch, activeId: string): void {
    this.#checkKnown(watchId);
    if (epoch > this.#o.view().epoch) this.#o.onHigherEpoch(epoch, activeId, `the cluster watch ${watchId}`);
  }

  /** Only a watch that has registered here (its stream open, or the last one that was) speaks for the pair. */
  #checkKnown(watchId: string): void {
    if (watchId === this.#lastWatchId || [...this.#streams].some((s) => s.watchId === watchId)) return;
    this.#logger.warn({ watchId, knownWatchId: this.#lastWatchId ?? null }, 'a command from a cluster watch that has not registered here; refused');
    throw new TandemError('InvalidRequest', `No cluster watch ${watchId} has registered at this node.`, { watchId });
  }

  isRegistered(): boolean {
    return this.#streams.size > 0;
  }

  status(): WitnessStatus {
    const at = this.#lastContactAt;
    return {
      TYPE: 'ClusterWatch',
      registered: this.isRegistered(),
      ...(this.#lastWatchId === undefined ? {} : { watchId: this.#lastWatchId }),
      lastContactAgeMs: at === undefined ? null : Math.round(this.#o.clock.monotonic() - at),
    };
  }

  async consent(request: ConsentRequest, signal: AbortSignal): Promise<WitnessVerdict> {
    if (this.#streams.size === 0) return { granted: false, reason: 'no cluster watch is connected to this node' };
    const view = this.#o.view();
    const requestId = randomUUID();
    const base = { TYPE: 'Request' as const, requestId, nodeId: view.nodeId, epoch: request.epoch, ask: request.ask, lostNodeId: request.lostNodeId };
    const asked = await this.#ask({ ...base, phase: 'Ask' }, signal);
    if (asked.verdict !== 'Hold') return refused(asked, 'the watch did not hold the request');
    const committed = await this.#ask({ ...base, phase: 'Commit' }, signal);
    if (committed.verdict !== 'Granted') return refused(committed, 'the watch did not commit the request');
    return { granted: true, by: `cluster watch ${committed.watchId}` };
  }

  /** Sends one request frame to every connected watch and waits for the first answer. */
  async #ask(frame: Extract<WatchFrame, { TYPE: 'Request' }>, signal: AbortSignal): Promise<WatchAnswer | { verdict: 'Timeout' }> {
    const wait = linkedAbort(signal);
    // Ask and Commit share the request id: a late or repeated Hold for the Ask is no answer to the Commit.
    const answered = new Promise<WatchAnswer>((resolve) =>
      this.#waiting.set(frame.requestId, (answer) => {
        if (frame.phase === 'Commit' && answer.verdict === 'Hold') return;
        resolve(answer);
      }),
    );
    for (const stream of this.#streams) {
      stream.queue.push(frame);
      stream.wakeup.poke();
    }
    try {
      const timeout = this.#o.clock.sleep(2 * this.#o.timing.heartbeatMs + this.#o.timing.holdMs, wait.signal).then(
        () => ({ verdict: 'Timeout' as const }),
        () => ({ verdict: 'Timeout' as const }),
      );
      return await Promise.race([answered, timeout]);
    } finally {
      wait.abort();
      this.#waiting.delete(frame.requestId);
    }
  }
}

function refused(answer: WatchAnswer | { verdict: 'Timeout' }, fallback: string): WitnessVerdict {
  if (answer.verdict === 'Timeout') return { granted: false, reason: 'the cluster watch did not answer in time' };
  return { granted: false, reason: answer.reason ?? fallback, epoch: asEpoch(answer.epoch), activeId: answer.activeId };
}
