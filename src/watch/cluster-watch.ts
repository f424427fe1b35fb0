import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { Supervisor, type Clock, type Logger } from '../common/index.js';
import type { ClusterTiming, PeerTransport, Transport, WatchAsk, WatchFrame } from '../cluster/index.js';
import { NodeLink } from './node-link.js';
import { WATCH_ID, type WatchMemory } from './watch-memory.js';
import { initialWatchState, knownEpoch, stepWatch, type WatchState } from './watch-rules.js';
import { WatchStateFile } from './watch-state-file.js';

/** A node the watch watches; user and password are for the transport factory, the watch itself needs only the URI. */
export interface WatchNode {
  readonly uri: string;
  /** The nodes' `js7.controller.id`. */
  readonly user?: string;
  /** The nodes' cluster password, in plain text. */
  readonly password?: string;
}

export interface ClusterWatchOptions {
  /** The two nodes of the pair. */
  readonly nodes: readonly WatchNode[];
  /** Builds the client for one node (HttpsTransport in the process, an InMemoryNetwork's in tests); closed with the watch. */
  readonly transport: (node: WatchNode) => Transport;
  /** Holds `watch-state.json`; created when missing. */
  readonly dataDir: string;
  readonly timing: ClusterTiming;
  readonly clock: Clock;
  readonly logger: Logger;
  /** `js7.journal.cluster.watch.id`; without it, the id in the state file, or a new one kept there. */
  readonly watchId?: string;
  /** Makes a new watch id on a first start without a configured one. */
  readonly newWatchId?: () => string;
  /** The watch cannot go on (e.g. its state file cannot be written); the owner should close it and stop. */
  readonly onFatal: (err: unknown) => void;
}

/** What the watch knows right now, for logs, views and tests. */
export interface ClusterWatchStatus {
  readonly watchId: string;
  readonly memory: WatchMemory;
  readonly nodes: readonly {
    readonly uri: string;
    /** From the node's last heartbeat; null before the first. */
    readonly nodeId: string | null;
    readonly connected: boolean;
    /** Frames read from its stream and decided on since the watch started. */
    readonly frames: number;
    /** Ms since its last heartbeat at this watch; null when not heard since the watch started. */
    readonly lastHeartbeatAgeMs: number | null;
  }[];
  readonly hold: { readonly requestId: string; readonly nodeId: string; readonly ask: WatchAsk; readonly lostNodeId: string; readonly remainingMs: number } | null;
}

type Lifecycle =
  | { readonly kind: 'new' }
  | { readonly kind: 'opening'; readonly done: Promise<void> }
  | { readonly kind: 'open' }
  | { readonly kind: 'closing'; readonly done: Promise<void> };

/**
 * The cluster watch (DESIGN §5): reads each node's watch stream, applies the
 * pure rules of watch-rules.ts to every frame, one frame at a time, and carries
 * out their effects in order — the state file is durable before any answer that
 * relies on it is sent.
 */
export class ClusterWatch {
  readonly #o: ClusterWatchOptions;
  readonly #file: WatchStateFile;
  readonly #supervisor: Supervisor;
  #logger: Logger;
  #lifecycle: Lifecycle = { kind: 'new' };
  #state: WatchState | undefined;
  readonly #links = new Map<string, NodeLink>();
  readonly #transports: Transport[] = [];
  readonly #peers: PeerTransport[] = [];
  /** Decisions, one at a time: a frame waits for the effects of the one before. */
  #decisions: Promise<void> = Promise.resolve();
  #failed = false;
  readonly #warned = new Set<string>();

  constructor(options: ClusterWatchOptions) {
    const uris = new Set(options.nodes.map((n) => n.uri));
    if (options.nodes.length !== 2 || uris.size !== 2) throw new Error(`ClusterWatch needs two different nodes, got ${options.nodes.map((n) => n.uri).join(', ')}`);
    if (options.watchId !== undefined && !WATCH_ID.test(options.watchId)) throw new Error(`not a watch id: ${JSON.stringify(options.watchId)}`);
    this.#o = options;
    this.#file = new WatchStateFile(options.dataDir);
    this.#logger = options.logger.child({ component: 'cluster-watch' });
    this.#supervisor = new Supervisor(this.#logger, (name, err) => this.#fail(name, err));
  }

  /** The state file's path. */
  get stateFilePath(): string {
    return this.#file.path;
  }

  /** Reads the state file (WatchStateCorrupt when damaged) and starts reading both nodes' streams. Idempotent. */
  open(): Promise<void> {
    switch (this.#lifecycle.kind) {
      case 'new': {
        const done = this.#open();
        this.#lifecycle = { kind: 'opening', done };
        return done;
      }
      case 'opening':
        return this.#lifecycle.done;
      case 'open':
        return Promise.resolve();
      case 'closing':
        return Promise.reject(new Error('ClusterWatch is closed'));
      default: {
        const never: never = this.#lifecycle;
        throw new Error(`unexpected lifecycle ${JSON.stringify(never)}`);
      }
    }
  }

  /** Stops the loops, then closes the connections; waits for a pending open. Idempotent. */
  close(): Promise<void> {
    if (this.#lifecycle.kind === 'closing') return this.#lifecycle.done;
    const opening = this.#lifecycle.kind === 'opening' ? this.#lifecycle.done : Promise.resolve();
    const done = this.#close(opening);
    this.#lifecycle = { kind: 'closing', done };
    return done;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** What the watch knows now; throws before open() has finished. */
  status(): ClusterWatchStatus {
    const state = this.#state;
    if (state === undefined) throw new Error('ClusterWatch is not open');
    const now = this.#o.clock.monotonic();
    const hold = state.hold;
    return {
      watchId: state.memory.watchId,
      memory: state.memory,
      nodes: [...this.#links.values()].map((link) => {
        const at = link.nodeId === undefined ? undefined : state.heardAt.get(link.nodeId);
        return {
          uri: link.uri,
          nodeId: link.nodeId ?? null,
          connected: link.connected,
          frames: link.frames,
          lastHeartbeatAgeMs: at === undefined ? null : Math.round(now - at),
        };
      }),
      hold:
        hold.kind === 'Held' && hold.until >= now
          ? { requestId: hold.requestId, nodeId: hold.nodeId, ask: hold.ask, lostNodeId: hold.lostNodeId, remainingMs: Math.ceil(hold.until - now) }
          : null,
    };
  }

  async #open(): Promise<void> {
    await mkdir(this.#o.dataDir, { recursive: true });
    const stored = await this.#file.read();
    const watchId = this.#o.watchId ?? stored?.watchId ?? (this.#o.newWatchId ?? (() => `watch-${randomUUID()}`))();
    let memory: WatchMemory = stored ?? { TYPE: 'Untaught', watchId };
    if (stored === undefined || stored.watchId !== watchId) {
      if (stored !== undefined) this.#logger.info({ was: stored.watchId, watchId }, 'the configured watch id replaces the one in the state file');
      memory = { ...memory, watchId };
      // Written at once, so a generated id survives a restart even before the watch is taught.
      await this.#file.write(memory);
    }
    this.#logger = this.#logger.child({ watchId });
    this.#state = initialWatchState(memory, this.#o.timing);
    const { epoch, activeId } = knownEpoch(memory);
    this.#logger.info(
      { stateFile: this.#file.path, memory, nodes: this.#o.nodes.map((n) => n.uri), watchValidMs: this.#o.timing.watchValidMs, holdMs: this.#o.timing.holdMs },
      memory.TYPE === 'Taught'
        ? `cluster watch started: ${activeId ?? '?'} is active in epoch ${epoch}`
        : 'cluster watch started untaught: it refuses every loss until it hears the active node',
    );
    const reconnectMs = Math.min(this.#o.timing.heartbeatMs, 1_000);
    for (const node of this.#o.nodes) {
      const transport = this.#o.transport(node);
      this.#transports.push(transport);
      const peer = transport.peer(node.uri);
      this.#peers.push(peer);
      const link = new NodeLink({ uri: node.uri, peer, watchId, clock: this.#o.clock, logger: this.#logger, reconnectMs, onFrame: (uri, frame) => this.#onFrame(uri, frame) });
      this.#links.set(node.uri, link);
      this.#supervisor.spawn(`watch stream of ${node.uri}`, (signal) => link.readLoop(signal));
      this.#supervisor.spawn(`commands to ${node.uri}`, (signal) => link.sendLoop(signal));
    }
    if (this.#lifecycle.kind === 'opening') this.#lifecycle = { kind: 'open' };
  }

  async #close(opening: Promise<void>): Promise<void> {
    await opening.catch(() => undefined);
    await this.#supervisor.close();
    // Children in reverse order of their making.
    for (const peer of [...this.#peers].reverse()) await peer.close();
    for (const transport of [...this.#transports].reverse()) await transport.close();
    if (this.#state !== undefined) this.#logger.info('cluster watch stopped');
  }

  #onFrame(uri: string, frame: WatchFrame): Promise<void> {
    if (frame.TYPE === 'Heartbeat') this.#checkDistinct(uri, frame.nodeId);
    const decided = this.#decisions.then(() => this.#decide(uri, frame));
    this.#decisions = decided.catch(() => undefined);
    return decided;
  }

  async #decide(source: string, frame: WatchFrame): Promise<void> {
    const state = this.#state;
    if (state === undefined || this.#failed) return;
    const step = stepWatch(state, { source, frame, now: this.#o.clock.monotonic() });
    for (const effect of step.effects) {
      switch (effect.TYPE) {
        case 'Persist':
          await this.#file.write(effect.memory);
          break;
        case 'Send': {
          const link = this.#links.get(effect.to);
          if (link === undefined) throw new Error(`no link to ${effect.to}`);
          link.send(effect.command);
          break;
        }
        case 'Log':
          this.#logger[effect.level](effect.fields, effect.message);
          break;
        default: {
          const never: never = effect;
          throw new Error(`unexpected effect ${JSON.stringify(never)}`);
        }
      }
    }
    // Only now: had a Persist failed, the watch would go on (until closed) with what the file holds.
    this.#state = step.state;
  }

  /** Two URIs for one node (a name and an address of the same host) would leave the real peer unwatched: say so, once. */
  #checkDistinct(uri: string, nodeId: string): void {
    for (const link of this.#links.values()) {
      const key = `${nodeId} ${uri} ${link.uri}`;
      if (link.uri === uri || link.nodeId !== nodeId || this.#warned.has(key)) continue;
      this.#warned.add(key);
      this.#logger.error({ nodeId, uris: [link.uri, uri] }, `${link.uri} and ${uri} are the same node ${nodeId}: the watch must be given the two different nodes of the pair`);
    }
  }

  #fail(name: string, err: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#logger.fatal({ task: name, err }, 'the cluster watch cannot go on: it decides nothing more');
    this.#o.onFatal(err);
  }
}
