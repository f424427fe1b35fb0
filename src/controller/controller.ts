import { mkdir, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  Supervisor,
  TandemError,
  asEpoch,
  asEventId,
  asJournalPosition,
  type Clock,
  type Epoch,
  type EventId,
  type Logger,
  type NodeId,
} from '../common/index.js';
import { Journal } from '../journal/index.js';
import { ReadModel } from '../readmodel/index.js';
import {
  applyEvent,
  emptyState,
  fromSnapshot,
  isClusterEvent,
  latestWorkflow,
  parseEvent,
  passiveIdOf,
  requiresAck,
  toSnapshot,
  type ClusterState,
  type ControllerState,
  type Event,
} from '../state/index.js';
import {
  JobExecutor,
  decideAppointNodes,
  decideCommand,
  parseControllerCommand,
  type ControllerCommand,
} from '../workflow/index.js';
import type {
  EventRead,
  HealthReport,
  Overview,
  RolePort,
  UserContext,
} from '../api/controller-port.js';
import { ActiveCluster, type AckedPoint, type AckFrame, type ClusterCommandAnswer, type JournalFrame, type JournalStreamRequest, type Transport } from '../cluster/index.js';
import { CommitQueue, type PendingBatch } from './commit-queue.js';
import { CommitWaiters } from './commit-waiters.js';
import { asViews, type Stamped } from './stamped-view.js';
import { jobLogOf } from './job-log.js';
import { ReadModelFeeder } from './read-model-feeder.js';
import { lineUpReadModel, MissingEvents } from './read-model-catch-up.js';
import { EventBuffer } from './event-buffer.js';
import { OrderDriver } from './order-driver.js';
import { renderControllerMetrics } from './controller-metrics.js';
import type { NodeOptions, RoleEndpoint, RoleHooks, StopReason, TakeOver } from './role-hooks.js';

export type { StopReason } from './role-hooks.js';

export interface ControllerOptions extends NodeOptions {
  /** How this node reaches its peer; without it the node cannot be appointed to a pair. */
  readonly transport?: Transport;
  /** Consent, licence and role changes, from the node that owns this role (with the transport). */
  readonly hooks?: RoleHooks;
  /** This node becomes active now: after a failover it writes ClusterFailedOver first. */
  readonly takeOver?: TakeOver;
}

type Phase =
  | { readonly kind: 'created' }
  | { readonly kind: 'running' }
  | { readonly kind: 'stopping' }
  | { readonly kind: 'failed'; readonly error: unknown }
  | { readonly kind: 'closed' };


/**
 * The single controller node: owns the journal and the state folded from it,
 * decides commands, and publishes committed events to readers and to side
 * effects (job starts and kills) — never before they are committed.
 */
export class Controller implements RolePort, RoleEndpoint {
  readonly #options: ControllerOptions;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #startedAt: number;
  readonly #supervisor: Supervisor;
  readonly #pending = new CommitQueue<readonly Stamped[]>();
  readonly #waiters = new CommitWaiters();
  #publishedEventId: EventId = asEventId(0);
  #ackedEventId: EventId = asEventId(0);
  #ackWaiver: EventId | undefined;
  /** The oldest batch that is durable here and waits only for the passive's acknowledgement, and since when (monotonic ms). */
  #ackWait: { readonly batch: PendingBatch<readonly Stamped[]>; readonly since: number } | undefined;
  #releasedFile: EventId = asEventId(0);
  #cluster: ActiveCluster | undefined;
  #phase: Phase = { kind: 'created' };
  #state: ControllerState = emptyState();
  /** The cluster state and epoch as far as committed: what the watch may be told (an appended, unacknowledged SwitchedOver is no fact yet). */
  #committedCluster: Pick<ControllerState, 'epoch' | 'cluster'> = { epoch: asEpoch(0), cluster: { TYPE: 'Empty' } };
  /** Cluster changes appended but not yet committed, oldest first. */
  readonly #clusterChanges: { readonly eventId: EventId; readonly epoch: Epoch; readonly cluster: ClusterState }[] = [];
  #journal: Journal | undefined;
  #readModel: ReadModel | undefined;
  #executor: JobExecutor | undefined;
  #driver: OrderDriver | undefined;
  #events: EventBuffer;
  #feeder: ReadModelFeeder | undefined;
  #closing: Promise<void> | undefined;
  #stopSignalled = false;
  /** Set once this node learnt it lost, or handed its role over: nothing more is published. */
  #fenced = false;
  /**
   * A switchover under way — no order advances, no job starts, no schedule fires: first
   * waiting for running jobs, then with ClusterSwitchedOver written at `switchedOverAt`.
   */
  #handover: { readonly phase: 'waitingForJobs' } | { readonly phase: 'written'; readonly switchedOverAt: EventId } | undefined;
  /**
   * Restarted after a planned shutdown that the passive never acknowledged: it may have
   * failed over meanwhile, so every commit needs its acknowledgement, as when Coupled,
   * until it confirms it has everything in this epoch (ActiveCluster#confirmRestart).
   */
  #restartUnconfirmed = false;
  /** What the watch last saw of this node (#noticeViewChange). */
  #viewed: { type: string; acts: boolean } = { type: '', acts: false };

  private constructor(options: ControllerOptions) {
    this.#options = options;
    this.#clock = options.clock;
    this.#logger = options.logger.child({ component: 'controller' });
    this.#startedAt = options.clock.now();
    this.#supervisor = new Supervisor(this.#logger, (name, err) => this.#fatal(err, name));
    this.#events = new EventBuffer(options.eventBufferSize ?? 10_000, asEventId(0));
  }

  /** Recovers the journal, rebuilds state, reaps orphaned jobs and starts driving orders. */
  static async open(options: ControllerOptions): Promise<Controller> {
    const controller = new Controller(options);
    try {
      await controller.#open();
    } catch (err) {
      await controller.close();
      throw err;
    }
    return controller;
  }

  async #open(): Promise<void> {
    const { config, dataDir } = this.#options;
    const stateDir = join(dataDir, 'state');
    await mkdir(stateDir, { recursive: true });
    await mkdir(join(dataDir, 'jobs'), { recursive: true });

    this.#readModel = await (this.#options.openReadModel ?? ReadModel.open)({ dir: join(dataDir, 'readmodel'), logger: this.#options.logger });
    this.#feeder = new ReadModelFeeder(this.#readModel, this.#supervisor, this.#logger, () => {
      if (this.#phase.kind === 'running') this.#releaseJournalFiles();
    });
    const bufferSize = this.#options.eventBufferSize ?? 10_000;
    const recent: Stamped[] = [];
    const missing = new MissingEvents(this.#readModel.lastEventId);
    let state = emptyState();
    let replayedCount = 0;
    let dropped: EventId | undefined;
    let switchedOverAt: EventId | undefined;
    let beforeSwitchedOver: { readonly epoch: Epoch; readonly cluster: ClusterState } | undefined;
    const { journal, recovered } = await Journal.open({
      dir: stateDir,
      sync: config.journal.sync,
      rotateBytes: config.journal.snapshotSizeBytes,
      rotateAgeMs: config.journal.snapshotPeriodMs,
      clock: this.#clock,
      logger: this.#options.logger,
      snapshot: () => toSnapshot(this.#state),
      // Files go only when released: at once when standalone, once the passive has them when appointed.
      autoRelease: false,
      // Replay streams record by record: a million-event journal is never held in memory at once.
      replay: {
        snapshot: (records) => {
          state = records.length === 0 ? emptyState() : fromSnapshot(records);
        },
        events: (batch) => {
          for (const s of batch) {
            const stamped: Stamped = { eventId: s.eventId, event: parseEvent(s.event) };
            if (stamped.event.TYPE === 'ClusterSwitchedOver') {
              switchedOverAt = stamped.eventId;
              beforeSwitchedOver = { epoch: state.epoch, cluster: state.cluster };
            }
            applyEvent(state, stamped);
            recent.push(stamped);
            missing.add(stamped);
          }
          replayedCount += batch.length;
          if (recent.length > 2 * bufferSize) dropped = recent.splice(0, recent.length - bufferSize).at(-1)!.eventId;
        },
      },
    });
    this.#journal = journal;
    if (recovered.tornTail !== undefined) {
      this.#logger.warn({ tornTail: recovered.tornTail }, 'journal had a torn last record; it was cut and kept beside the file');
    }
    this.#state = state;
    this.#committedCluster = { epoch: state.epoch, cluster: state.cluster };
    this.#restartUnconfirmed = !(await takeShutdownMark(stateDir)) && state.cluster.TYPE === 'ActiveShutDown';
    this.#publishedEventId = recovered.lastEventId;
    if (recent.length > bufferSize) dropped = recent.splice(0, recent.length - bufferSize).at(-1)!.eventId;
    const kept = recent;
    const bufferBase = dropped ?? recovered.fileEventId;
    this.#events = new EventBuffer(bufferSize, bufferBase);
    // Stopped after writing a SwitchedOver to the other node, maybe before the other node had it
    // (nothing follows it: later events would be the other node's, replicated here).
    const handingOver =
      state.cluster.TYPE === 'SwitchedOver' && state.cluster.setting.activeId !== this.#options.nodeId && switchedOverAt === recovered.lastEventId ? switchedOverAt : undefined;
    if (handingOver !== undefined) {
      this.#handover = { phase: 'written', switchedOverAt: handingOver };
      // The watch learns the new epoch only once the other node has the SwitchedOver.
      if (beforeSwitchedOver !== undefined) {
        this.#committedCluster = beforeSwitchedOver;
        this.#clusterChanges.push({ eventId: handingOver, epoch: state.epoch, cluster: state.cluster });
      }
    }
    if ((requiresAck(state.cluster) || this.#restartUnconfirmed || handingOver !== undefined) && kept.length > 0) {
      // Active in Coupled (or handing over) when it stopped: the passive may lack the last events
      // written here, which were then never committed. They are answered and shown only once the passive acknowledges
      // them (or this node leaves Coupled with consent), like every later event behind them.
      this.#pending.push({ lastEventId: recovered.lastEventId, needsAck: true, value: kept });
      this.#publishedEventId = bufferBase;
      this.#noteAckWait();
    } else {
      this.#events.push(asViews(kept));
    }
    this.#logger.info(
      { journalId: recovered.journalId, lastEventId: recovered.lastEventId, events: replayedCount, orders: state.orders.size },
      recovered.fresh ? 'new journal created' : 'journal recovered',
    );
    const journalAt = { dir: stateDir, fileEventId: recovered.fileEventId, lastEventId: recovered.lastEventId, replayed: missing.events };
    await lineUpReadModel(this.#readModel, this.#logger, journalAt);
    if (this.#options.takeOver?.kind === 'FailedOver') this.#writeFailedOver(this.#options.takeOver.lostNodeId);

    this.#executor = new JobExecutor({
      clock: this.#clock,
      logger: this.#options.logger,
      sigkillDelayMs: config.job.sigkillDelayMs,
      pidDir: join(dataDir, 'jobs'),
      onOutput: (orderId, stream, chunk) => {
        if (this.#phase.kind === 'running') this.#persist([{ TYPE: 'OrderStdWritten', orderId, stream, chunk }]);
      },
    });
    for (const orphan of await this.#executor.reapOrphans()) {
      this.#logger.warn(orphan, 'killed a job process left running by a previous controller process');
    }

    this.#driver = new OrderDriver({
      clock: this.#clock,
      logger: this.#options.logger,
      executor: this.#executor,
      supervisor: this.#supervisor,
      state: () => this.#state,
      persist: (events) => this.#persist(events),
      isRunning: () => this.#phase.kind === 'running' && !this.#fenced,
      isAdvancing: () => this.#handover === undefined && !this.#restartUnconfirmed,
      orderRetentionMs: this.#options.config.orderRetentionMs,
    });
    this.#phase = { kind: 'running' };
    this.#driver.recover();
    this.#supervisor.spawn('timers', (signal) => this.#driver!.runTimers(signal));
    this.#startCluster(stateDir);
    if (handingOver !== undefined) this.#supervisor.spawn('handover', () => this.#finishHandover(handingOver));
  }

  /** The backup takes over: ClusterFailedOver at the end of what it has, the point where the lost node must cut. */
  #writeFailedOver(lostNodeId: NodeId): void {
    const cluster = this.#state.cluster;
    if (cluster.TYPE !== 'Coupled' || cluster.setting.activeId !== lostNodeId) {
      throw new TandemError('ClusterNotCoupled', `Cannot fail over from ${lostNodeId}: the cluster is ${cluster.TYPE}.`, { clusterState: cluster.TYPE });
    }
    const journal = this.#journal!;
    const pos = journal.position();
    const failedAt = { fileEventId: pos.fileEventId, position: asJournalPosition(pos.synced), eventId: journal.lastEventId };
    this.#persist([{ TYPE: 'ClusterFailedOver', activeId: this.#options.nodeId, lostNodeId, failedAt }]);
    this.#logger.warn({ lostNodeId, failedAt, epoch: this.#state.epoch }, 'failed over: this node is active now');
  }

  #startCluster(journalDir: string): void {
    const transport = this.#options.transport;
    const hooks = this.#options.hooks;
    if (transport === undefined || hooks === undefined) return;
    const { nodeId } = this.#options;
    this.#cluster = new ActiveCluster({
      host: {
        nodeId,
        state: () => this.#state,
        journal: () => this.#journal!,
        persist: (events) => this.#persist(events),
        whenPublished: (eventId) => this.whenPublished(eventId),
        acknowledged: (eventId) => this.acknowledged(eventId),
        ackWaitingSince: () => this.#ackWait?.since,
        consent: (request, signal) => hooks.consent(request, signal),
        witnessRegistered: () => hooks.witnessRegistered(),
        lost: (epoch, source, setting, lastFailover) => {
          this.#fence();
          hooks.stepDown({ kind: 'Lost', epoch, source, ...(setting === undefined ? {} : { setting }), ...(lastFailover === undefined ? {} : { lastFailover }) });
        },
        restartUnconfirmed: () => this.#restartUnconfirmed,
        restartConfirmed: () => {
          this.#restartUnconfirmed = false;
          this.#driver?.resume();
        },
        handedOver: (source) => {
          const handover = this.#handover;
          if (handover?.phase !== 'written') return false;
          this.#logger.info({ source }, 'the other node acts on the switchover: it has the SwitchedOver event');
          this.acknowledged(handover.switchedOverAt);
          return true;
        },
      },
      journalDir,
      transport,
      clock: this.#clock,
      logger: this.#options.logger,
      timing: hooks.timing,
    });
    const config = this.#options.config;
    const nodes = config.cluster.nodes;
    if (this.#state.cluster.TYPE === 'Empty' && nodes !== undefined) {
      // js7.journal.cluster.nodes: the primary appoints the pair itself, as a cockpit would.
      this.#persist(decideAppointNodes(this.#state, { TYPE: 'ClusterAppointNodes', idToUri: nodes, activeId: nodeId }, nodeId).events);
    }
    this.#supervisor.spawn('cluster', (signal) => this.#cluster!.run(signal));
    this.#supervisor.spawn('passive watchdog', (signal) => this.#cluster!.watchPassive(signal));
  }

  /** Stops publishing at once: another node is active, or this one handed over. Appended events stay uncommitted and are cut. */
  #fence(): void {
    if (this.#fenced) return;
    this.#fenced = true;
    this.#waiters.fail(new TandemError('ClusterNodeIsNotActive', 'This node is not the active node any more; the command was not committed.', {}));
  }

  /** Appends events as one atomic record, folds them into the state, and lets the driver advance touched orders. */
  #persist(events: readonly Event[]): void {
    if (events.length === 0) return;
    const journal = this.#journal!;
    const ticket = journal.append(events);
    const stamped = ticket.stamped as readonly Stamped[];
    // The commit rule: while Coupled an event also needs the passive's acknowledgement —
    // including the event that leaves Coupled (ActiveShutDown must reach the passive).
    const coupledBefore = requiresAck(this.#state.cluster) || this.#restartUnconfirmed;
    for (const s of stamped) applyEvent(this.#state, s);
    const needsAck = coupledBefore || requiresAck(this.#state.cluster);
    this.#pending.push({ lastEventId: ticket.lastEventId, needsAck, value: stamped });
    if (events.some(isClusterEvent)) this.#clusterChanges.push({ eventId: ticket.lastEventId, epoch: this.#state.epoch, cluster: this.#state.cluster });
    // Leaving Coupled with consent (the watch's, the operator's or the passive's own word) releases the batches before it.
    if (events.some((e) => e.TYPE === 'ClusterPassiveLost' || e.TYPE === 'ClusterFailedOver')) this.#ackWaiver = ticket.lastEventId;
    ticket.committed.then(
      () => this.#publishCommitted(),
      (err: unknown) => this.#fatal(err, 'journal commit'),
    );
    this.#driver?.touched(stamped);
    this.#cluster?.touched(stamped);
  }

  /** The passive acknowledged everything up to `eventId` (durable there). */
  acknowledged(eventId: EventId): void {
    this.#noticeViewChange();
    if (eventId <= this.#ackedEventId) return;
    this.#ackedEventId = eventId;
    this.#publishCommitted();
  }

  /** Tells the owner when what the watch sees of this node (cluster state, whether it acts) changed. */
  #noticeViewChange(): void {
    const type = this.#committedCluster.cluster.TYPE;
    const acts = this.actsConfirmed();
    if (type === this.#viewed.type && acts === this.#viewed.acts) return;
    this.#viewed = { type, acts };
    this.#options.hooks?.viewChanged();
  }

  #isCommitted = (batch: PendingBatch<readonly Stamped[]>): boolean => {
    const durable = this.#journal!.committedEventId;
    if (batch.lastEventId > durable) return false;
    if (!batch.needsAck || batch.lastEventId <= this.#ackedEventId) return true;
    // A durable PassiveLost releases itself and the batches before it: the pair has left
    // Coupled with the watch's (or the passive's own) word.
    const waiver = this.#ackWaiver;
    return waiver !== undefined && batch.lastEventId <= waiver && waiver <= durable;
  };

  #publishCommitted(): void {
    if (this.#fenced) return;
    const batches = this.#pending.takeCommitted(this.#isCommitted);
    this.#noteAckWait();
    if (batches.length === 0) return;
    // A recovered tail starts no job: the driver made every order Processing in it Disrupted at start.
    for (const { value: batch } of batches) {
      this.#events.push(asViews(batch));
      this.#feeder!.push(batch);
      if (this.#phase.kind === 'running') this.#driver!.committed(batch);
    }
    const published = batches[batches.length - 1]!.lastEventId;
    this.#publishedEventId = published;
    while (this.#clusterChanges.length > 0 && this.#clusterChanges[0]!.eventId <= published) this.#committedCluster = this.#clusterChanges.shift()!;
    this.#noticeViewChange();
    this.#waiters.published(published);
    this.#releaseJournalFiles();
  }

  /** Keeps `#ackWait` up to date: a new oldest batch waiting only for the acknowledgement starts a new wait. */
  #noteAckWait(): void {
    const head = this.#pending.peek();
    const waits = head !== undefined && head.needsAck && head.lastEventId <= this.#journal!.committedEventId && head.lastEventId > this.#ackedEventId;
    if (!waits) this.#ackWait = undefined;
    else if (this.#ackWait?.batch !== head) this.#ackWait = { batch: head, since: this.#clock.monotonic() };
  }

  /**
   * Old journal files may go once everything in them is committed — while appointed, once
   * the passive has them too — and stored in the read model, which a restart fills from them.
   * While appointed, the passive must also hold the start of the current file, which only an
   * acknowledged event in it proves: a passive that has the last event of the older file but
   * not the newer file's start asks for the older file's end when it reconnects.
   */
  #releaseJournalFiles(): void {
    const journal = this.#journal!;
    const fileEventId = journal.position().fileEventId;
    if (fileEventId <= this.#releasedFile) return;
    const held = this.#state.cluster.TYPE === 'Empty' ? this.#publishedEventId >= fileEventId : this.#ackedEventId > fileEventId;
    if (!held || this.#readModel!.lastEventId < fileEventId) return;
    this.#releasedFile = fileEventId;
    journal.release(fileEventId);
  }

  /** Resolves once every event up to `eventId` is committed by the full commit rule. */
  whenPublished(eventId: EventId): Promise<void> {
    return this.#waiters.wait(eventId, this.#publishedEventId);
  }

  #fatal(error: unknown, where: string): void {
    if (this.#phase.kind === 'failed' || this.#phase.kind === 'closed') return;
    this.#logger.fatal({ err: error, where }, 'controller cannot go on safely; stopping');
    this.#phase = { kind: 'failed', error };
    this.#waiters.fail(new TandemError('JournalWriteFailed', 'The controller stopped after a journal failure.', {}, { cause: error }));
    this.#signalStop({ kind: 'fatal', error });
  }

  #signalStop(reason: StopReason): void {
    if (this.#stopSignalled) return;
    this.#stopSignalled = true;
    // Let the current HTTP answer go out before the owner starts closing.
    setImmediate(() => this.#options.onStop(reason));
  }

  #assertRunning(): void {
    switch (this.#phase.kind) {
      case 'running':
        return;
      case 'created':
        throw new TandemError('NotReady', 'The controller is still starting.');
      case 'stopping':
      case 'closed':
        throw new TandemError('ShuttingDown', 'The controller is shutting down.');
      case 'failed':
        throw new TandemError('JournalWriteFailed', 'The controller stopped after a journal failure.');
      default:
        return assertNever(this.#phase);
    }
  }

  // ---- ControllerPort ----

  async executeCommand(body: unknown, user: UserContext): Promise<Readonly<Record<string, unknown>>> {
    this.#assertRunning();
    const command: ControllerCommand = parseControllerCommand(body);
    if ((this.#fenced || this.#handover?.phase === 'written') && command.TYPE !== 'ShutDown') {
      // Nothing may follow SwitchedOver in this node's journal: the other node takes over at it.
      throw new TandemError('ClusterNodeIsNotActive', 'This node has handed the active role over or lost it; send commands to the other node.', {});
    }
    if (this.#restartUnconfirmed && command.TYPE !== 'ShutDown') {
      throw new TandemError(
        'NotReady',
        'This node restarted after a planned shutdown that the passive did not acknowledge; it acts again once the passive confirms that it did not take over.',
        { clusterState: this.#state.cluster.TYPE },
      );
    }
    switch (command.TYPE) {
      case 'TakeSnapshot':
        await this.#journal!.rotate();
        return { TYPE: 'Accepted' };
      case 'ShutDown':
        return this.#shutDown(user, command.clusterAction);
      case 'ClusterAppointNodes': {
        const { events, response } = decideAppointNodes(this.#state, command, this.#options.nodeId);
        this.#persist(events);
        await this.whenPublished(this.#journal!.lastEventId);
        return response;
      }
      case 'ConfirmClusterNodeLoss':
        throw new TandemError('InvalidRequest', 'ConfirmClusterNodeLoss is handled by the node, not its role.', {});
      case 'ClusterSwitchOver':
        await this.#switchOver(user);
        this.#options.hooks!.stepDown({ kind: 'SwitchedOver' });
        return { TYPE: 'Accepted' };
      default: {
        const { events, response } = decideCommand(this.#state, command, this.#clock.now());
        this.#persist(events);
        this.#driver!.afterCommand(command, events);
        // Answer only once everything the answer depends on is committed, including
        // earlier appends it saw (an idempotent duplicate answers for the first one).
        await this.whenPublished(this.#journal!.lastEventId);
        return response;
      }
    }
  }

  /**
   * Hands the active role to the passive (DESIGN §4): no new job starts, running jobs
   * end and are journaled, then SwitchedOver{epoch+1} — answered once the passive has
   * acknowledged it, when the passive takes over and this node may step down.
   */
  async #switchOver(user: UserContext): Promise<void> {
    const cluster = this.#state.cluster;
    const hooks = this.#options.hooks;
    if (cluster.TYPE !== 'Coupled' || hooks === undefined) {
      throw new TandemError('ClusterNotCoupled', `Switchover needs a coupled pair; the cluster is ${cluster.TYPE}.`, { clusterState: cluster.TYPE });
    }
    if (this.#handover !== undefined) throw new TandemError('ClusterNotCoupled', 'A switchover is already under way.', { clusterState: cluster.TYPE });
    const may = hooks.mayTakeAuthority();
    if (!may.ok) throw may.error;
    const passiveId = passiveIdOf(cluster)!;
    this.#logger.info({ userId: user.userId, passiveId, runningJobs: this.#executor?.running() ?? 0 }, 'switchover requested; waiting for running jobs to end');
    this.#handover = { phase: 'waitingForJobs' };
    try {
      await this.#waitForJobsToEnd();
      if (this.#state.cluster.TYPE !== 'Coupled') {
        throw new TandemError('ClusterNotCoupled', `The pair left Coupled (${this.#state.cluster.TYPE}) while jobs ended; no switchover.`, {
          clusterState: this.#state.cluster.TYPE,
        });
      }
      this.#persist([{ TYPE: 'ClusterSwitchedOver', activeId: passiveId }]);
      const switchedOverAt = this.#journal!.lastEventId;
      this.#handover = { phase: 'written', switchedOverAt };
      // Published with the passive's acknowledgement, or with its word that it acts on the switchover (handedOver).
      await this.whenPublished(switchedOverAt);
    } catch (err) {
      this.#handover = undefined;
      this.#driver!.resume();
      throw err;
    }
    this.#fence();
    this.#logger.info({ activeId: passiveId, epoch: this.#state.epoch }, 'switched over: the other node is active now');
  }

  /**
   * Restarted after writing SwitchedOver: this node serves its journal until the other node has
   * the SwitchedOver (its acknowledgement, or its word that it acts in the new epoch), and only
   * then becomes the passive. Opened as passive at once, neither node would act: the other one
   * may never have received the SwitchedOver, and the watch would refuse it a failover.
   */
  async #finishHandover(switchedOverAt: EventId): Promise<void> {
    this.#logger.warn({ switchedOverAt }, 'restarted after a switchover the other node may not have received; serving the journal until it has it');
    try {
      await this.whenPublished(switchedOverAt);
    } catch {
      return; // Lost meanwhile (the other node failed over): that path rejoins as passive.
    }
    this.#fence();
    this.#logger.info({ epoch: this.#state.epoch }, 'switched over: the other node has the SwitchedOver event and is active now');
    this.#options.hooks?.stepDown({ kind: 'SwitchedOver' });
  }

  /** Waits, at most js7.journal.cluster.switchover-job-timeout, until no job runs; a job that runs on makes the switchover fail. */
  async #waitForJobsToEnd(): Promise<void> {
    const timeoutMs = this.#options.config.cluster.switchoverJobTimeoutMs;
    const timer = new AbortController();
    const done = new AbortController();
    void this.#clock.sleep(timeoutMs, done.signal).then(
      () => timer.abort(),
      () => undefined,
    );
    try {
      await this.#driver!.whenNoJobRuns(timer.signal);
    } catch (err) {
      if (!timer.signal.aborted) throw err;
    } finally {
      done.abort();
    }
    if (timer.signal.aborted) {
      const running = this.#executor?.running() ?? 0;
      this.#logger.warn({ runningJobs: running, timeoutMs }, 'switchover abandoned: jobs still run; orders go on');
      throw new TandemError(
        'SwitchoverJobsStillRunning',
        `${running} job(s) still ran after ${timeoutMs / 1000} s; the switchover was abandoned and orders go on. Retry once they have ended, or raise js7.journal.cluster.switchover-job-timeout.`,
        { runningJobs: running, timeoutMs },
      );
    }
  }

  /**
   * A planned stop of an appointed active node (the ShutDown command, SIGTERM, SIGINT):
   * journals ClusterActiveNodeShutDown so the passive does not fail over, and waits up to
   * heartbeat-timeout for its acknowledgement. Does nothing on a node that does not act.
   */
  async announceShutdown(): Promise<void> {
    const cluster = this.#state.cluster.TYPE;
    if (this.#phase.kind !== 'running' || this.#fenced || this.#handover !== undefined || cluster === 'Empty' || cluster === 'ActiveShutDown') return;
    // Committed like any event (with the passive's acknowledgement while Coupled).
    this.#persist([{ TYPE: 'ClusterActiveNodeShutDown' }]);
    const acked = this.whenPublished(this.#journal!.lastEventId).then(() => true);
    const giveUp = new AbortController();
    const timeout = this.#clock.sleep(this.#options.config.cluster.heartbeatTimeoutMs, giveUp.signal).then(
      () => false,
      () => false,
    );
    const inTime = await Promise.race([acked, timeout]);
    giveUp.abort();
    if (inTime) {
      // The passive has ActiveShutDown, so it will not fail over: the restart may act alone at once.
      await writeShutdownMark(join(this.#options.dataDir, 'state'));
    } else {
      this.#logger.warn('the passive did not acknowledge the shutdown in time; stopping anyway (it is durable here; the restart waits for the passive to confirm)');
    }
  }

  async #shutDown(user: UserContext, clusterAction: 'Failover' | 'Switchover' | undefined): Promise<Readonly<Record<string, unknown>>> {
    this.#logger.info({ userId: user.userId, clusterAction }, 'shutdown requested');
    if (clusterAction === 'Switchover') {
      await this.#switchOver(user);
    } else if (clusterAction === 'Failover') {
      // No ActiveShutDown: the passive is to fail over as if this node had died (for drills and tests).
      this.#logger.warn('shutting down without telling the passive: it will fail over');
    } else {
      await this.announceShutdown();
    }
    this.#signalStop({ kind: 'shutdown' });
    return { TYPE: 'Accepted' };
  }

  // ---- ClusterEndpoint (what the passive calls) ----

  journalFrames(request: JournalStreamRequest, signal: AbortSignal): AsyncIterable<JournalFrame> {
    this.#assertRunning();
    if (this.#cluster === undefined) throw new TandemError('ClusterNotCoupled', 'This node is not part of a pair.', {});
    return this.#cluster.journalFrames(request, signal);
  }

  ackFrames(): AsyncIterable<AckFrame> {
    const state = this.#state;
    // What a stale caller needs to rejoin: who is active, in which epoch, and where it must cut its journal.
    throw new TandemError('ClusterNodeIsActive', 'This node is active and serves no acknowledgements: the caller is not the active node any more.', {
      nodeId: this.#options.nodeId,
      epoch: state.epoch,
      ...('setting' in state.cluster ? { setting: state.cluster.setting } : {}),
      ...(state.lastFailover === undefined ? {} : { lastFailover: state.lastFailover }),
    });
  }

  async clusterCommand(command: unknown): Promise<ClusterCommandAnswer> {
    this.#assertRunning();
    if (this.#cluster === undefined) throw new TandemError('ClusterNotCoupled', 'This node is not part of a pair.', {});
    return this.#cluster.clusterCommand(command);
  }

  /** Another node is active in a higher epoch (the watch said so): stop publishing at once and rejoin as passive. */
  stepDownLost(epoch: Epoch, source: string): void {
    this.#fence();
    this.#options.hooks?.stepDown({ kind: 'Lost', epoch, source });
  }

  /** The id of this node's journal (for the watch's heartbeat). */
  journalId(): string | undefined {
    return this.#journal?.journalId;
  }

  /** The cluster state and epoch as far as committed (for the watch's heartbeat). */
  committedCluster(): Pick<ControllerState, 'epoch' | 'cluster'> {
    return this.#committedCluster;
  }

  /** The node acts as active for sure: alone, or Coupled with the passive's acknowledgements arriving in this process. */
  actsConfirmed(): boolean {
    if (this.#fenced || this.#handover?.phase === 'written' || this.#restartUnconfirmed || this.#phase.kind !== 'running') return false;
    return this.#state.cluster.TYPE !== 'Coupled' || this.#cluster?.status().lastAckFrameAt !== undefined;
  }

  /** `GET /cluster`: the cluster state, and with `nodeState` this node's own view. */
  clusterView(nodeState: boolean): Readonly<Record<string, unknown>> {
    const cluster = this.#state.cluster;
    if (!nodeState) return cluster as unknown as Readonly<Record<string, unknown>>;
    const journal = this.#journal!;
    const status = this.#cluster?.status();
    const pos = journal.position();
    const acked = status?.ackedEventId ?? asEventId(0);
    return {
      nodeId: this.#options.nodeId,
      role: { TYPE: 'Active' },
      isActive: this.actsConfirmed(),
      epoch: this.#state.epoch,
      clusterState: cluster,
      journal: { fileEventId: pos.fileEventId, position: pos.synced, lastEventId: journal.committedEventId },
      ackedEventId: acked,
      ackedAt: status?.ackedAt ?? null,
      batchesWaitingForAck: cluster.TYPE === 'Empty' ? 0 : this.#pending.size,
      lastHeartbeatAgeMs: status?.lastAckFrameAt === undefined ? null : Math.round(this.#clock.monotonic() - status.lastAckFrameAt),
      ...(status?.problem === undefined ? {} : { problem: status.problem }),
    };
  }

  overview(): Overview {
    return {
      id: this.#options.config.controllerId,
      version: this.#options.version,
      startedAt: this.#startedAt,
      nodeId: this.#options.nodeId,
      role: 'Standalone',
      // A load balancer (GET /health/active) and the CLI must not pick a node that only believes it is active.
      isActive: this.actsConfirmed(),
      epoch: this.#state.epoch,
      lastEventId: this.#events.lastEventId,
      orderCount: this.#state.orders.size,
    };
  }

  orders(): readonly unknown[] {
    return [...this.#state.orders.values()];
  }

  order(orderId: string): unknown {
    return this.#state.orders.get(orderId);
  }

  workflows(): readonly unknown[] {
    return [...this.#state.workflows.keys()].map((path) => this.workflow(path));
  }

  workflow(path: string): unknown {
    return latestWorkflow(this.#state, path);
  }

  jobLog(orderId: string, after: EventId | undefined, limit: number): Promise<readonly unknown[]> {
    return jobLogOf(this.#state.orders.has(orderId), this.#readModel!, orderId, after, limit);
  }

  readEvents(after: EventId, limit: number): EventRead {
    return this.#events.read(after, limit);
  }

  waitForEvent(after: EventId, signal: AbortSignal): Promise<void> {
    return this.#events.wait(after, signal);
  }

  live(): HealthReport {
    return this.#phase.kind === 'failed'
      ? { ok: false, reasons: ['the journal failed; the controller is stopping'] }
      : { ok: true, reasons: [] };
  }

  ready(): HealthReport {
    const kind = this.#phase.kind;
    if (kind !== 'running') return { ok: false, reasons: [`controller is ${kind}`] };
    const waiting = this.#pending.peek();
    if (waiting?.needsAck === true && waiting.lastEventId <= this.#journal!.committedEventId) {
      const problem = this.#cluster?.status().problem;
      const why = problem === undefined ? '' : ` (${problem.code}: ${problem.message})`;
      return { ok: false, reasons: [`commits wait for the passive's acknowledgement${why}; leaving Coupled needs the cluster watch's consent`] };
    }
    return { ok: true, reasons: [] };
  }

  async metricsText(): Promise<string> {
    const status = this.#cluster?.status();
    const inPair = status !== undefined && this.#state.cluster.TYPE !== 'Empty';
    const lagBytes = inPair ? await this.#bytesNotAcknowledged(status.ackedAt) : -1;
    const journal = this.#journal;
    let eventsWaitingForAck = 0;
    for (const batch of this.#pending.pending()) if (batch.needsAck && batch.lastEventId > this.#ackedEventId) eventsWaitingForAck += batch.value.length;
    return renderControllerMetrics({
      state: this.#state,
      journal:
        journal === undefined
          ? undefined
          : { lastEventId: journal.lastEventId, committedEventId: journal.committedEventId, fileEventId: journal.position().fileEventId, positionBytes: journal.position().written },
      runningJobs: this.#executor?.running() ?? 0,
      pendingCommits: this.#pending.size,
      ...(!inPair
        ? {}
        : {
            cluster: {
              role: 'active',
              ackedEventId: status.ackedEventId,
              batchesWaitingForAck: this.#pending.size,
              eventsWaitingForAck,
              lagBytes,
              heartbeatAgeSeconds: status.lastAckFrameAt === undefined ? -1 : (this.#clock.monotonic() - status.lastAckFrameAt) / 1000,
            },
          }),
    });
  }

  /**
   * The durable journal bytes after the point the passive last acknowledged: the rest of its
   * file and every newer file here. -1 while it has not said where its journal ends.
   */
  async #bytesNotAcknowledged(at: AckedPoint | undefined): Promise<number> {
    const journal = this.#journal;
    if (at === undefined || journal === undefined) return -1;
    const durableEnd = journal.position().synced;
    let bytes = 0;
    for (const file of await journal.files()) {
      if (file.fileEventId < at.fileEventId) continue;
      const end = file.current ? durableEnd : file.bytes;
      bytes += file.fileEventId === at.fileEventId ? Math.max(0, end - at.position) : end;
    }
    return bytes;
  }

  /** Stops driving orders, kills running jobs, flushes the journal and the read model. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    if (this.#phase.kind === 'running' || this.#phase.kind === 'created') this.#phase = { kind: 'stopping' };
    // Jobs killed here stay `Processing` in the journal; the next start marks them Disrupted.
    await this.#executor?.close();
    await this.#journal?.close().catch((err: unknown) => this.#logger.error({ err }, 'journal close failed'));
    this.#publishCommitted();
    await this.#supervisor.close();
    await this.#feeder?.drain();
    await this.#readModel?.close();
    if (this.#phase.kind !== 'failed') this.#phase = { kind: 'closed' };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function assertNever(x: never): never {
  throw new Error(`unexpected ${JSON.stringify(x)}`);
}

/** Beside the journal: the passive acknowledged this node's planned shutdown (DESIGN §4, planned shutdown). */
const SHUTDOWN_MARK = 'active-shutdown-acknowledged';

async function writeShutdownMark(stateDir: string): Promise<void> {
  const handle = await open(join(stateDir, SHUTDOWN_MARK), 'w');
  try {
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/** Whether the last planned shutdown was acknowledged; the mark is used once (a crash after this start counts as unacknowledged). */
async function takeShutdownMark(stateDir: string): Promise<boolean> {
  try {
    await unlink(join(stateDir, SHUTDOWN_MARK));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
