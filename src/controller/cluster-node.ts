import { join } from 'node:path';
import { TandemError, asEpoch, hasCode, type Clock, type Epoch, type EventId, type LogContext, type Logger, type NodeId } from '../common/index.js';
import type { ControllerConfig } from '../config/index.js';
import { cutJournal } from '../journal/index.js';
import { activeIdOf, nodeIdSchema, type ClusterSetting, type ClusterState } from '../state/index.js';
import { parseClusterNodeCommand } from '../workflow/index.js';
import {
  WatchLink,
  clusterTiming,
  type AckFrame,
  type AckStreamRequest,
  type ClusterCommandAnswer,
  type ClusterEndpoint,
  type ClusterTiming,
  type ConsentRequest,
  type JournalFrame,
  type JournalStreamRequest,
  type Transport,
  type WatchFrame,
  type WatchStreamRequest,
  type WatchView,
  type WitnessVerdict,
} from '../cluster/index.js';
import type { ClusterNodeEntry, ClusterNodeStates, ControllerPort, EventRead, HealthReport, Overview, UserContext } from '../api/controller-port.js';
import { Controller, type StopReason } from './controller.js';
import { PassiveNode } from './passive-node.js';
import { peekClusterState } from './cluster-peek.js';
import { askPeerNodeState, type PeerNodeState } from './peer-node-state.js';
import type { NodeOptions, RoleHooks, StepDown, TakeOver } from './role-hooks.js';

/** What the licence says about taking authority (src/licence implements it). */
export interface LicenceCheck {
  permitsTakingAuthority(): { readonly ok: true } | { readonly ok: false; readonly error: TandemError };
  /** For the node's view (`GET /cluster?return=ClusterNodeState`). */
  status(): unknown;
}

export interface ClusterNodeOptions extends NodeOptions {
  readonly transport: Transport;
  readonly licence: LicenceCheck;
  /** Gets this node's role and epoch for every log line. */
  readonly logContext?: LogContext;
}

type Current =
  | { readonly kind: 'active'; readonly role: Controller }
  | { readonly kind: 'passive'; readonly role: PassiveNode }
  | { readonly kind: 'starting' }
  | { readonly kind: 'switching'; readonly to: 'active' | 'passive' }
  | { readonly kind: 'closed' };

/** How long an operator's confirmation of a lost node stands before it is used. */
const confirmationMs = 60_000;

/**
 * A controller node for its whole life: it holds the role the journal gives it —
 * active (Controller) or passive (PassiveNode) — and changes it in-process on
 * failover, switchover and fencing (DESIGN §4: no restart for any role change).
 * It also owns what outlives a role: the link to the cluster watch, the licence,
 * and an operator's confirmation of a lost node.
 */
export class ClusterNode implements ControllerPort, ClusterEndpoint {
  readonly #o: ClusterNodeOptions;
  readonly #logger: Logger;
  readonly #timing: ClusterTiming;
  readonly #watch: WatchLink;
  readonly #stateDir: string;
  #current: Current = { kind: 'starting' };
  #switching: Promise<void> | undefined;
  #confirmedLoss: { readonly nodeId: NodeId; readonly until: number } | undefined;
  #lastEpoch: Epoch = asEpoch(0);
  #closing: Promise<void> | undefined;
  // One ask per peer at a time, shared by every status page that refreshes meanwhile.
  readonly #peerAsks = new Map<string, Promise<PeerNodeState>>();
  // The pair as last seen, so a view asked while the role changes (no state to read then) still lists both nodes.
  #lastSetting: ClusterSetting | undefined;

  private constructor(options: ClusterNodeOptions) {
    this.#o = options;
    this.#logger = options.logger.child({ component: 'cluster-node' });
    this.#timing = clusterTiming(options.config.cluster.heartbeatMs, options.config.cluster.heartbeatTimeoutMs);
    this.#stateDir = join(options.dataDir, 'state');
    this.#watch = new WatchLink({
      view: () => this.#watchView(),
      timing: this.#timing,
      clock: options.clock,
      logger: options.logger,
      onHigherEpoch: (epoch, activeId, source) => this.#heardHigherEpoch(epoch, activeId, source),
    });
    options.logContext?.follow(() => this.#logFields());
  }

  /** What every log line says about this node now: `role` (active, passive, or the change under way) and `epoch`. */
  #logFields(): Readonly<Record<string, unknown>> {
    const c = this.#current;
    switch (c.kind) {
      case 'active':
      case 'passive':
        return { role: c.kind, epoch: c.role.overview().epoch };
      case 'starting':
        return { role: 'starting', epoch: this.#lastEpoch };
      case 'switching':
        return { role: `becoming-${c.to}`, epoch: this.#lastEpoch };
      case 'closed':
        return { role: 'closed', epoch: this.#lastEpoch };
    }
  }

  /** Opens the node in the role its journal gives it (the configuration decides only for an empty journal). */
  static async open(options: ClusterNodeOptions): Promise<ClusterNode> {
    const node = new ClusterNode(options);
    const peek = await peekClusterState(node.#stateDir);
    const activeId = peek === undefined ? undefined : activeIdOf(peek.cluster);
    // A SwitchedOver naming the other node that ends this node's journal was written here, and nothing
    // of the other node's followed it: the other node may not have it yet, so this node opens as the
    // active one that hands over (Controller#finishHandover).
    const handingOver = peek?.endsWithSwitchedOver === true && peek.cluster.TYPE === 'SwitchedOver' && activeId !== options.nodeId;
    const active = activeId === undefined ? !options.config.cluster.isBackup : activeId === options.nodeId || handingOver;
    node.#lastEpoch = asEpoch(peek?.epoch ?? 0);
    if (active) node.#current = { kind: 'active', role: await Controller.open(node.#roleOptions()) };
    else node.#current = { kind: 'passive', role: await PassiveNode.open(node.#roleOptions()) };
    node.#logger.info({ clusterState: peek?.cluster.TYPE ?? 'none' }, 'node opened');
    return node;
  }

  #roleOptions(): {
    config: ControllerConfig;
    dataDir: string;
    nodeId: NodeId;
    version: string;
    clock: Clock;
    logger: Logger;
    transport: Transport;
    onStop: (reason: StopReason) => void;
    hooks: RoleHooks;
    eventBufferSize?: number;
    openReadModel?: NonNullable<NodeOptions['openReadModel']>;
  } {
    const o = this.#o;
    return {
      config: o.config,
      dataDir: o.dataDir,
      nodeId: o.nodeId,
      version: o.version,
      clock: o.clock,
      logger: o.logger,
      transport: o.transport,
      onStop: o.onStop,
      hooks: this.#hooks(),
      ...(o.eventBufferSize === undefined ? {} : { eventBufferSize: o.eventBufferSize }),
      ...(o.openReadModel === undefined ? {} : { openReadModel: o.openReadModel }),
    };
  }

  /** Hooks for one role: its role change is taken once, later calls are ignored. */
  #hooks(): RoleHooks {
    let changed = false;
    const once = (change: () => Promise<void>): void => {
      if (changed) return;
      changed = true;
      this.#switch(change);
    };
    return {
      timing: this.#timing,
      consent: (request, signal) => this.#consent(request, signal),
      witnessRegistered: () => this.#watch.isRegistered(),
      mayTakeAuthority: () => this.#o.licence.permitsTakingAuthority(),
      viewChanged: () => this.#watch.viewChanged(),
      stepDown: (reason) => once(() => this.#stepDown(reason)),
      takeOver: (reason) => once(() => this.#takeOver(reason)),
    };
  }

  /** Runs a role change outside the role (which it closes); a failure stops the node. */
  #switch(change: () => Promise<void>): void {
    const previous = this.#switching ?? Promise.resolve();
    this.#switching = previous.then(change).catch((err: unknown) => {
      this.#logger.fatal({ err }, 'changing the role failed; stopping');
      this.#o.onStop({ kind: 'fatal', error: err });
    });
  }

  async #stepDown(reason: StepDown): Promise<void> {
    const old = this.#current;
    if (old.kind !== 'active' && old.kind !== 'passive') return;
    this.#current = { kind: 'switching', to: 'passive' };
    await old.role.close();
    let knownSetting: ClusterSetting | undefined;
    let fenced = false;
    if (reason.kind === 'Lost') {
      knownSetting = reason.setting;
      const own = await peekClusterState(this.#stateDir);
      const failover = reason.lastFailover;
      // Cut unless this journal already holds that failover (then it has replicated past it): epochs alone cannot
      // tell, since a SwitchedOver this node wrote but never got acknowledged raises its epoch just as far.
      if (failover !== undefined && failover.lostNodeId === this.#o.nodeId && own !== undefined && own.lastFailover?.epoch !== failover.epoch) {
        await this.#cutBack(failover.failedAt, failover.epoch);
      } else if (knownSetting === undefined) {
        // Lost, but the new active has not said where to cut: wait for it (ClusterStartBackupNode names the point).
        fenced = true;
      }
      this.#logger.warn({ epoch: reason.epoch, source: reason.source, fenced }, 'this node is not active any more; rejoining as passive');
    } else {
      this.#logger.info('handed over; continuing as passive');
    }
    if (this.#closing !== undefined) return;
    const role = await PassiveNode.open({
      ...this.#roleOptions(),
      ...(knownSetting === undefined ? {} : { knownSetting }),
      fenced,
    });
    this.#current = { kind: 'passive', role };
  }

  /** Cuts this node's journal back to where the other node took over; the cut bytes stay in files named for the failover. */
  async #cutBack(failedAt: { readonly fileEventId: EventId; readonly position: number; readonly eventId: EventId }, epoch: Epoch): Promise<void> {
    try {
      const cut = await cutJournal(this.#stateDir, failedAt, `FailedOver-${failedAt.eventId}`);
      this.#logger.warn({ failedAt, epoch, keptFiles: cut.keptFiles, cutBytes: cut.cutBytes }, 'journal cut back to the failover point; the cut bytes are kept beside it');
    } catch (err) {
      if (!hasCode(err, 'JournalPositionInvalid')) throw err;
      // The journal ends before the failover point (it was written without sync): nothing to cut, it catches up.
      this.#logger.warn({ failedAt, err }, 'the journal ends before the failover point; nothing to cut');
    }
  }

  async #takeOver(reason: TakeOver): Promise<void> {
    const old = this.#current;
    if (old.kind !== 'passive') return;
    this.#current = { kind: 'switching', to: 'active' };
    await old.role.close();
    if (this.#closing !== undefined) return;
    const role = await Controller.open({ ...this.#roleOptions(), takeOver: reason });
    this.#current = { kind: 'active', role };
    this.#logger.info({ reason: reason.kind }, 'this node is active now');
  }

  #heardHigherEpoch(epoch: Epoch, activeId: string | null, source: string): void {
    const current = this.#current;
    if (current.kind !== 'active' || epoch <= asEpoch(current.role.overview().epoch)) return;
    this.#logger.warn({ epoch, activeId, source }, 'learnt of a higher epoch; this node stops acting');
    current.role.stepDownLost(epoch, source);
  }

  async #consent(request: ConsentRequest, signal: AbortSignal): Promise<WitnessVerdict> {
    const confirmed = this.#confirmedLoss;
    if (confirmed !== undefined && confirmed.nodeId === request.lostNodeId && confirmed.until > this.#o.clock.monotonic()) {
      this.#confirmedLoss = undefined;
      return { granted: true, by: 'the operator (ConfirmClusterNodeLoss)' };
    }
    if (request.ask === 'FailedOver') {
      const may = this.#o.licence.permitsTakingAuthority();
      if (!may.ok) return { granted: false, reason: may.error.message };
    }
    return this.#watch.consent(request, signal);
  }

  #confirmLoss(body: unknown, user: UserContext): Readonly<Record<string, unknown>> {
    const parsed = nodeIdSchema.safeParse((body as { lostNodeId?: unknown }).lostNodeId);
    const cluster = this.#clusterState();
    if (!parsed.success || cluster.TYPE === 'Empty' || !Object.hasOwn(cluster.setting.idToUri, parsed.data) || parsed.data === this.#o.nodeId) {
      throw new TandemError('InvalidRequest', '$.lostNodeId: name the other node of the pair.', { path: '$.lostNodeId', problem: 'not the other node' });
    }
    if (cluster.TYPE !== 'Coupled') {
      throw new TandemError('ClusterNotCoupled', `Nothing to confirm: the cluster is ${cluster.TYPE}, not Coupled.`, { clusterState: cluster.TYPE });
    }
    this.#confirmedLoss = { nodeId: parsed.data, until: this.#o.clock.monotonic() + confirmationMs };
    this.#logger.warn({ lostNodeId: parsed.data, userId: user.userId }, 'the operator confirmed the loss of a node; it stands in for the watch once');
    return { TYPE: 'Accepted' };
  }

  #clusterState(): ClusterState {
    const c = this.#current;
    return c.kind === 'active' || c.kind === 'passive' ? (c.role.clusterView(false) as unknown as ClusterState) : { TYPE: 'Empty' };
  }

  #watchView(): WatchView {
    const c = this.#current;
    if (c.kind !== 'active' && c.kind !== 'passive') {
      return { nodeId: this.#o.nodeId, epoch: this.#lastEpoch, isActive: false, clusterState: 'Switching', activeId: null, lastEventId: 0 as EventId, journalId: null };
    }
    const overview = c.role.overview();
    // The active tells the watch only what is committed: an appended SwitchedOver that the passive never got must not teach the watch a new epoch.
    const committed = c.kind === 'active' ? c.role.committedCluster() : undefined;
    const cluster = committed?.cluster ?? this.#clusterState();
    this.#lastEpoch = asEpoch(committed?.epoch ?? overview.epoch);
    return {
      nodeId: this.#o.nodeId,
      epoch: this.#lastEpoch,
      // A node that restarted as active in Coupled claims nothing until its passive's acknowledgements confirm it.
      isActive: c.kind === 'active' && c.role.actsConfirmed(),
      clusterState: cluster.TYPE,
      activeId: activeIdOf(cluster) ?? null,
      lastEventId: overview.lastEventId,
      journalId: c.role.journalId() ?? null,
    };
  }

  #role(): Controller | PassiveNode {
    const c = this.#current;
    if (c.kind === 'active' || c.kind === 'passive') return c.role;
    if (c.kind === 'closed') throw new TandemError('ShuttingDown', 'The node is shutting down.');
    if (c.kind === 'starting') throw new TandemError('NotReady', 'The node is starting; try again in a moment.', {});
    throw new TandemError('NotReady', `The node is changing its role (to ${c.to}); try again in a moment.`, { to: c.to });
  }

  // ---- ClusterEndpoint ----

  journalFrames(request: JournalStreamRequest, signal: AbortSignal): AsyncIterable<JournalFrame> {
    return this.#role().journalFrames(request, signal);
  }

  ackFrames(request: AckStreamRequest, signal: AbortSignal): AsyncIterable<AckFrame> {
    return this.#role().ackFrames(request, signal);
  }

  watchFrames(request: WatchStreamRequest, signal: AbortSignal): AsyncIterable<WatchFrame> {
    return this.#watch.frames(request, signal);
  }

  async clusterCommand(body: unknown): Promise<ClusterCommandAnswer> {
    const command = parseClusterNodeCommand(body);
    switch (command.TYPE) {
      case 'ClusterWatchAnswer':
        this.#watch.answer(command);
        return { TYPE: 'Accepted' };
      case 'ClusterWatchEpoch':
        this.#watch.epochNotice(command.watchId, command.epoch, command.activeId);
        return { TYPE: 'Accepted' };
      case 'ClusterGetNodeState':
        return { TYPE: 'ClusterNodeState', ...this.#ownNodeState() };
      default:
        return this.#role().clusterCommand(body);
    }
  }

  // ---- ControllerPort ----

  async executeCommand(body: unknown, user: UserContext): Promise<Readonly<Record<string, unknown>>> {
    if (typeof body === 'object' && body !== null && (body as { TYPE?: unknown }).TYPE === 'ConfirmClusterNodeLoss') {
      return this.#confirmLoss(body, user);
    }
    return this.#role().executeCommand(body, user);
  }

  overview(): Overview {
    const c = this.#current;
    if (c.kind === 'active' || c.kind === 'passive') {
      const overview = c.role.overview();
      return c.kind === 'active' && this.#clusterState().TYPE !== 'Empty' ? { ...overview, role: 'Active' } : overview;
    }
    return {
      id: this.#o.config.controllerId,
      version: this.#o.version,
      startedAt: 0,
      nodeId: this.#o.nodeId,
      role: c.kind === 'closed' ? 'Closed' : 'Switching',
      isActive: false,
      epoch: this.#lastEpoch,
      lastEventId: 0 as EventId,
      orderCount: 0,
    };
  }

  /** A planned stop (SIGTERM, SIGINT): the active tells its passive first, so no failover follows; a passive tells the active when it closes. */
  async announceShutdown(): Promise<void> {
    const c = this.#current;
    if (c.kind === 'active') await c.role.announceShutdown();
  }

  clusterView(nodeState: boolean): Readonly<Record<string, unknown>> {
    const view = this.#role().clusterView(nodeState);
    if (!nodeState) return view;
    return { ...view, watch: this.#watch.status(), licence: this.#o.licence.status() };
  }

  async clusterNodeStates(): Promise<ClusterNodeStates> {
    const own = this.#ownNodeState();
    const cluster = this.#clusterState();
    const setting = 'setting' in cluster ? cluster.setting : this.#current.kind === 'switching' ? this.#lastSetting : undefined;
    if (setting === undefined) {
      return { TYPE: 'ClusterNodeStates', nodes: [{ nodeId: this.#o.nodeId, uri: null, self: true, reachable: true, nodeState: own }] };
    }
    this.#lastSetting = setting;
    const nodes = await Promise.all(
      Object.entries(setting.idToUri).map(async ([nodeId, uri]): Promise<ClusterNodeEntry> => {
        if (nodeId === this.#o.nodeId) return { nodeId, uri, self: true, reachable: true, nodeState: own };
        return { nodeId, uri, self: false, ...(await this.#askPeer(uri)) };
      }),
    );
    return { TYPE: 'ClusterNodeStates', nodes };
  }

  /** This node's view, also while it changes its role (when the role cannot be asked). */
  #ownNodeState(): Readonly<Record<string, unknown>> {
    const c = this.#current;
    if (c.kind === 'active' || c.kind === 'passive') return this.clusterView(true);
    return {
      nodeId: this.#o.nodeId,
      role: { TYPE: c.kind === 'closed' ? 'Closed' : 'Switching' },
      isActive: false,
      epoch: this.#lastEpoch,
      watch: this.#watch.status(),
      licence: this.#o.licence.status(),
    };
  }

  #askPeer(uri: string): Promise<PeerNodeState> {
    let ask = this.#peerAsks.get(uri);
    if (ask === undefined) {
      ask = askPeerNodeState(this.#o.transport, uri, this.#o.clock).finally(() => this.#peerAsks.delete(uri));
      this.#peerAsks.set(uri, ask);
    }
    return ask;
  }

  orders(): readonly unknown[] {
    return this.#role().orders();
  }

  order(orderId: string): unknown {
    return this.#role().order(orderId);
  }

  workflows(): readonly unknown[] {
    return this.#role().workflows();
  }

  workflow(path: string): unknown {
    return this.#role().workflow(path);
  }

  jobLog(orderId: string, after: EventId | undefined, limit: number): Promise<readonly unknown[]> {
    return this.#role().jobLog(orderId, after, limit);
  }

  readEvents(after: EventId, limit: number): EventRead {
    return this.#role().readEvents(after, limit);
  }

  waitForEvent(after: EventId, signal: AbortSignal): Promise<void> {
    return this.#role().waitForEvent(after, signal);
  }

  live(): HealthReport {
    const c = this.#current;
    return c.kind === 'active' || c.kind === 'passive' ? c.role.live() : { ok: c.kind !== 'closed', reasons: [] };
  }

  ready(): HealthReport {
    const c = this.#current;
    return c.kind === 'active' || c.kind === 'passive' ? c.role.ready() : { ok: false, reasons: [`the node is ${c.kind === 'closed' ? 'closed' : 'changing its role'}`] };
  }

  async metricsText(): Promise<string> {
    const c = this.#current;
    return c.kind === 'active' || c.kind === 'passive' ? c.role.metricsText() : '';
  }

  /** Closes the current role (a pending role change first). Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#switching;
      const c = this.#current;
      this.#current = { kind: 'closed' };
      if (c.kind === 'active' || c.kind === 'passive') await c.role.close();
    })();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
