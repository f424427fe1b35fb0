import { mkdir } from 'node:fs/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { join } from 'node:path';
import {
  Supervisor,
  TandemError,
  Wakeup,
  asEpoch,
  asEventId,
  hasCode,
  linkedAbort,
  type Epoch,
  type EventId,
  type Logger,
} from '../common/index.js';
import { isAfter, JournalReplica, type JournalPoint, type JournalRecord, type OpenJournalFile } from '../journal/index.js';
import { ReadModel } from '../readmodel/index.js';
import { applyEvent, emptyState, fromSnapshot, latestWorkflow, parseEvent, sameNodes, type ClusterSetting, type ControllerState } from '../state/index.js';
import { parseClusterNodeCommand, parseControllerCommand } from '../workflow/index.js';
import type { AckFrame, ClusterCommandAnswer, JournalFrame, JournalStreamRequest, Transport } from '../cluster/index.js';
import { ActiveCluster, PeerProblem } from '../cluster/index.js';
import type { EventRead, HealthReport, Overview, RolePort, UserContext } from '../api/controller-port.js';
import { EventBuffer } from './event-buffer.js';
import { asViews, type Stamped } from './stamped-view.js';
import { jobLogOf } from './job-log.js';
import { ReadModelFeeder } from './read-model-feeder.js';
import { renderControllerMetrics } from './controller-metrics.js';
import { lineUpReadModel, MissingEvents } from './read-model-catch-up.js';
import type { NodeOptions, RoleEndpoint, RoleHooks } from './role-hooks.js';

export interface PassiveNodeOptions extends NodeOptions {
  readonly transport: Transport;
  readonly hooks: RoleHooks;
  /** Who is active, when this node knows better than its journal (it just lost the active role). */
  readonly knownSetting?: ClusterSetting;
  /** Lost the active role without learning where to cut: replicate nothing until the active node says (ClusterStartBackupNode). */
  readonly fenced?: boolean;
  /** Opens the replicated journal's files; a seam for tests that hold or fail an fdatasync. */
  readonly openJournalFile?: OpenJournalFile;
}

type Phase = 'created' | 'running' | 'closed';

/** Frames written but not yet through their steps (durable, acknowledged, applied), at most; then the stream waits. */
const maxPendingFrames = 64;

/**
 * The backup node while passive: it streams the active's journal, writes it
 * byte for byte, acknowledges what is durable, applies it to the same state the
 * active holds, and asks to couple once it has caught up. It starts nothing
 * and answers business commands with the active's address.
 */
export class PassiveNode implements RolePort, RoleEndpoint {
  readonly #o: PassiveNodeOptions;
  readonly #logger: Logger;
  readonly #supervisor: Supervisor;
  readonly #ackWakeup: Wakeup;
  readonly #startedAt: number;
  #phase: Phase = 'created';
  #replica: JournalReplica | undefined;
  #readModel: ReadModel | undefined;
  #state: ControllerState | undefined;
  #snapshot: { expected: number; records: unknown[] } | undefined;
  #events: EventBuffer;
  /** Applied events the read model has yet to store, oldest first. */
  #feeder: ReadModelFeeder | undefined;
  #acked: EventId = asEventId(0);
  /** Where this node's journal ends right after `#acked`: sent with each acknowledgement, so the active knows the lag in bytes. */
  #ackedAt: JournalPoint | undefined;
  #setting: ClusterSetting | undefined;
  #replicating = false;
  #caughtUp = false;
  #couplingToken: string | undefined;
  #couplingAskedAt = -Infinity;
  #lastFrameAt: number | undefined;
  #fenced: boolean;
  /** The first journal request is logged, so an operator sees where replication starts. */
  #streamLogged = false;
  #inhibitedUntil = -Infinity;
  /** SwitchedOver names this node: it takes over once its acknowledgement of that event is out. */
  #promoteAfter: EventId | undefined;
  /** The last acknowledgement the active's stream has taken. */
  #ackSent: EventId = asEventId(-1);
  #leaving = false;
  /** Stopping after a failure: nothing more is applied. */
  #failed = false;
  readonly #problem: PeerProblem;
  #closing: Promise<void> | undefined;
  /** What each written frame does once durable, chained in frame order; never rejects. */
  #durableSteps: Promise<void> = Promise.resolve();
  /** The steps of the frames not yet through them, oldest first (they end in this order). */
  readonly #pendingSteps: Promise<void>[] = [];
  /** Files before this one were released (a deletion that failed is logged and done with the next file). */
  #releasedBefore: EventId = asEventId(0);
  /**
   * An active has served this node's journal from where it ends, in this run: until then nothing
   * is released, since a node that may have to cut its journal back (it was active, and another
   * node failed over) needs the file that holds the cut point, however old.
   */
  #streamAccepted = false;

  private constructor(options: PassiveNodeOptions) {
    this.#o = options;
    this.#logger = options.logger.child({ component: 'passive' });
    this.#problem = new PeerProblem(this.#logger, 'the active node answers again');
    this.#supervisor = new Supervisor(this.#logger, (name, err) => this.#fatal(err, { task: name }));
    this.#ackWakeup = new Wakeup(options.clock);
    this.#startedAt = options.clock.now();
    this.#events = new EventBuffer(options.eventBufferSize ?? 10_000, asEventId(0));
    this.#fenced = options.fenced === true;
  }

  /** Recovers what this backup replicated before; starts replicating when it knows the active. */
  static async open(options: PassiveNodeOptions): Promise<PassiveNode> {
    const node = new PassiveNode(options);
    try {
      await node.#open();
    } catch (err) {
      await node.close();
      throw err;
    }
    return node;
  }

  async #open(): Promise<void> {
    const stateDir = join(this.#o.dataDir, 'state');
    await mkdir(stateDir, { recursive: true });
    this.#readModel = await (this.#o.openReadModel ?? ReadModel.open)({ dir: join(this.#o.dataDir, 'readmodel'), logger: this.#o.logger });
    this.#feeder = new ReadModelFeeder(this.#readModel, this.#supervisor, this.#logger, () => this.#releaseWhenStored());
    let state: ControllerState | undefined;
    const missing = new MissingEvents(this.#readModel.lastEventId);
    const { replica, recovered } = await JournalReplica.open({
      dir: stateDir,
      sync: this.#o.config.journal.sync,
      ...(this.#o.openJournalFile === undefined ? {} : { openFile: this.#o.openJournalFile }),
      clock: this.#o.clock,
      logger: this.#o.logger,
      replay: {
        snapshot: (records) => {
          state = records.length === 0 ? emptyState() : fromSnapshot(records);
        },
        events: (batch) => {
          for (const s of batch) {
            const stamped: Stamped = { eventId: s.eventId, event: parseEvent(s.event) };
            applyEvent(state!, stamped);
            missing.add(stamped);
          }
        },
      },
    });
    this.#replica = replica;
    if (recovered !== undefined) {
      const cluster = state!.cluster;
      this.#state = state;
      this.#acked = recovered.lastEventId;
      this.#ackedAt = this.#replica!.syncedPoint;
      this.#events = new EventBuffer(this.#o.eventBufferSize ?? 10_000, recovered.lastEventId);
      // Without an appointment yet (the copy of a primary that ran alone before it was appointed
      // stops before the appointment): it waits for the active, whose journalId it must match.
      // The data directory's node identity keeps a former primary out.
      this.#setting = this.#o.knownSetting ?? ('setting' in cluster ? cluster.setting : undefined);
      this.#logger.info({ lastEventId: recovered.lastEventId, clusterState: cluster.TYPE, fenced: this.#fenced }, 'replicated journal recovered');
    } else {
      this.#logger.info('no journal yet: waiting to be appointed by the active node');
    }
    const journalAt = recovered === undefined ? undefined : { dir: stateDir, fileEventId: recovered.fileEventId, lastEventId: recovered.lastEventId, replayed: missing.events };
    await lineUpReadModel(this.#readModel, this.#logger, journalAt);
    this.#phase = 'running';
    if (this.#setting !== undefined && !this.#fenced) this.#startReplicating();
    this.#supervisor.spawn('active watchdog', (signal) => this.#watchActive(signal));
  }

  /**
   * The active-lost watchdog (DESIGN §4, Failover): in Coupled, after active-lost
   * silence on the journal stream, tell the old active to inhibit itself, ask for
   * consent, and take over at the end of what this node has.
   */
  async #watchActive(signal: AbortSignal): Promise<void> {
    const { clock } = this.#o;
    const timing = this.#o.hooks.timing;
    const startedAt = clock.monotonic();
    while (!signal.aborted) {
      await clock.sleep(timing.heartbeatMs / 2, signal).catch(() => undefined);
      if (signal.aborted || this.#activeLost(startedAt) === undefined) continue;
      // Decided on all that is durable here, applied: the last frames may still be in their steps.
      await this.#durableSteps;
      const lost = this.#activeLost(startedAt);
      if (signal.aborted || lost === undefined) continue;
      if (await this.#failOver(lost.setting, lost.epoch, lost.silentFor, signal)) return;
      await clock.sleep(timing.heartbeatMs, signal).catch(() => undefined);
    }
  }

  /** The active node this node is coupled with has been silent for active-lost; undefined while failing over is not for this node to try. */
  #activeLost(startedAt: number): { setting: ClusterSetting; epoch: Epoch; silentFor: number } | undefined {
    const state = this.#state;
    const cluster = state?.cluster;
    if (state === undefined || cluster?.TYPE !== 'Coupled' || cluster.setting.activeId === this.#o.nodeId) return undefined;
    if (this.#fenced || this.#failed || this.#leaving) return undefined;
    const now = this.#o.clock.monotonic();
    if (now < this.#inhibitedUntil) return undefined;
    const silentFor = now - (this.#lastFrameAt ?? startedAt);
    return silentFor < this.#o.hooks.timing.activeLostMs ? undefined : { setting: cluster.setting, epoch: state.epoch, silentFor };
  }

  async #failOver(setting: ClusterSetting, epoch: Epoch, silentFor: number, signal: AbortSignal): Promise<boolean> {
    const lostNodeId = setting.activeId;
    const uri = setting.idToUri[lostNodeId]!;
    const hooks = this.#o.hooks;
    this.#logger.warn({ lostNodeId, silentMs: Math.round(silentFor) }, 'the active node is silent; trying to fail over');
    // A dead node does not answer; a live one says it is active, and then this is no failover.
    const inhibit = await this.#command(uri, { TYPE: 'ClusterInhibitActivation', duration: hooks.timing.inhibitMs, epoch }, hooks.timing.heartbeatMs, signal);
    if (inhibit !== undefined && inhibit.isActive === true) {
      this.#problem.set(
        new TandemError('ClusterNodeIsActive', `The active node ${lostNodeId} answers although its journal stream is silent; not failing over.`, { nodeId: lostNodeId }),
        'the active node answers; no failover',
      );
      return false;
    }
    const verdict = await hooks.consent({ ask: 'FailedOver', epoch, lostNodeId }, signal);
    if (signal.aborted) return false;
    if (!verdict.granted) {
      this.#problem.set(
        new TandemError('ClusterWatchRefused', `The active node ${lostNodeId} is silent for ${Math.round(silentFor)} ms, but failing over was refused: ${verdict.reason}.`, {
          lostNodeId,
          reason: verdict.reason,
        }),
        'the active node is silent; failover refused',
      );
      return false;
    }
    this.#logger.warn({ lostNodeId, epoch, by: verdict.by }, 'failing over with consent');
    this.#leaving = true;
    hooks.takeOver({ kind: 'FailedOver', lostNodeId });
    return true;
  }

  /** One command with a time bound; undefined when the peer did not answer (in time). */
  async #command(uri: string, command: Readonly<Record<string, unknown>>, timeoutMs: number, signal: AbortSignal): Promise<Readonly<Record<string, unknown>> | undefined> {
    const bound = linkedAbort(signal);
    const timer = this.#o.clock.sleep(timeoutMs, bound.signal).then(
      () => bound.abort(),
      () => undefined,
    );
    try {
      return await this.#o.transport.peer(uri).command(command, bound.signal);
    } catch {
      return undefined;
    } finally {
      bound.abort();
      await timer;
    }
  }

  /** Takes over after a switchover once the old active has this node's acknowledgement (or has gone). */
  #promoteIfHandedOver(acked: EventId | 'streamEnded'): void {
    const at = this.#promoteAfter;
    if (at === undefined || this.#leaving) return;
    if (acked !== 'streamEnded' && acked < at) return;
    this.#leaving = true;
    this.#logger.info({ eventId: at }, 'the active node handed over; taking over');
    this.#o.hooks.takeOver({ kind: 'SwitchedOver' });
  }

  /** Whether this node's journal goes on past `point` (a failover point it must cut back to first). */
  #endsAfter(point: { readonly fileEventId: EventId; readonly position: number }): boolean {
    const end = this.#replica?.end();
    return end !== undefined && isAfter(end, point);
  }

  #activeUri(): string | undefined {
    const setting = this.#setting;
    return setting === undefined ? undefined : setting.idToUri[setting.activeId];
  }

  #startReplicating(): void {
    if (this.#replicating) return;
    this.#replicating = true;
    this.#supervisor.spawn('replication', (signal) => this.#replicate(signal));
  }

  async #replicate(signal: AbortSignal): Promise<void> {
    const clock = this.#o.clock;
    while (!signal.aborted) {
      const uri = this.#activeUri();
      if (uri === undefined) return;
      try {
        const end = this.#replica!.end();
        const journalId = this.#replica!.journalId;
        const request: JournalStreamRequest = {
          epoch: this.#state?.epoch ?? asEpoch(0),
          ...(end === undefined ? {} : { fileEventId: end.fileEventId, position: end.position }),
          ...(journalId === undefined ? {} : { journalId }),
        };
        if (!this.#streamLogged) {
          this.#streamLogged = true;
          this.#logger.info({ uri, epoch: request.epoch, fileEventId: request.fileEventId, position: request.position }, 'streaming the journal from the active node');
        }
        for await (const frame of this.#o.transport.peer(uri).journal(request, signal)) {
          this.#lastFrameAt = clock.monotonic();
          this.#problem.clear();
          if (!this.#streamAccepted) {
            this.#streamAccepted = true;
            // The newest file starts with a full snapshot, so older ones serve no one once the read model has their events;
            // a run that stopped before it replicated the next file's header or stored them (or a restored copy) may have left some.
            this.#durableSteps = this.#durableSteps.then(() => this.#releaseReplaced());
          }
          await this.#onFrame(frame, signal);
        }
      } catch (err) {
        if (signal.aborted) return;
        if (this.#stopsOnWriteFailure(err)) return;
        this.#problem.set(err, `cannot stream the journal from the active node at ${uri}`);
      } finally {
        // What was written is acknowledged (or has failed) before the stream is asked again or a handover counts.
        await this.#durableSteps;
      }
      // The old active closes its stream when it steps down after handing over.
      this.#promoteIfHandedOver('streamEnded');
      await clock.sleep(Math.min(500, this.#o.config.cluster.heartbeatMs), signal).catch(() => undefined);
    }
  }

  async #onFrame(frame: JournalFrame, signal: AbortSignal): Promise<void> {
    if (frame.TYPE === 'Heartbeat') {
      const end = this.#replica!.end();
      this.#caughtUp = end !== undefined && end.fileEventId === frame.fileEventId && end.position === frame.position;
      // Behind the frames before it: asking to couple depends on the cluster state they leave.
      if (this.#caughtUp) {
        this.#durableSteps = this.#durableSteps.then(() => this.#askToCouple(signal)).catch((err: unknown) => this.#problem.set(err, 'cannot ask to couple'));
      }
      return;
    }
    // A disk (or an applying) slower than the stream stops the reading here, not the memory.
    if (this.#pendingSteps.length >= maxPendingFrames) await this.#pendingSteps[0];
    // The fdatasync runs in the thread pool while this thread goes on with the next
    // frames: those written while one fdatasync runs share the next, as the active's appends do.
    const { records, durable } = await this.#replica!.writeAndSync(frame.fileEventId, frame.position, frame.bytes);
    // Handled in its step, which may run only after a later frame's fdatasync has failed too.
    durable.catch(() => undefined);
    // In frame order (the replica's fdatasyncs end in the order they were queued).
    const step = this.#durableSteps.then(async () => {
      await durable;
      await this.#onDurable(records);
    });
    const settled = step.catch((err: unknown) => {
      if (!signal.aborted && !this.#stopsOnWriteFailure(err)) this.#problem.set(err, 'cannot make the replicated journal durable');
    });
    this.#durableSteps = settled;
    this.#pendingSteps.push(settled);
    void settled.then(() => this.#pendingSteps.shift());
  }

  /**
   * A frame is durable here: acknowledge all that is durable (with it, the frames that
   * shared its fdatasync), then apply it, show its events, and release the files a newer
   * complete one replaces. A hand-over takes effect once it is applied *and* acknowledged,
   * in whichever order those two happen.
   *
   * Applying comes after the acknowledgement, which every coupled commit on the active
   * waits for: the active's next batches are under way while this thread applies. What
   * this node holds is its journal; the state is rebuilt from it when it takes over.
   */
  async #onDurable(records: readonly JournalRecord[]): Promise<void> {
    const acked = this.#replica!.syncedEventId;
    // Also without a new event: a new file in place moves it (sent with the next heartbeat).
    this.#ackedAt = this.#replica!.syncedPoint;
    if (acked > this.#acked) {
      this.#acked = acked;
      this.#ackWakeup.poke();
      // Lets the acknowledgement reach the socket before the thread is busy applying.
      await nextTurn();
    }
    if (this.#failed) return;
    let applied: Stamped[];
    try {
      applied = this.#apply(records);
    } catch (err) {
      // Durable and acknowledged but not applicable: this state is no copy of the active's any more.
      this.#fatal(err, { why: 'a replicated event does not apply to the state' });
      return;
    }
    const handover = this.#handoverIn();
    if (handover !== undefined && this.#promoteAfter === undefined) {
      // Only durable events may make this node act: a SwitchedOver naming it promotes it once acknowledged.
      this.#promoteAfter = handover;
      this.#promoteIfHandedOver(this.#ackSent);
    }
    if (applied.length > 0) {
      this.#events.push(asViews(applied));
      // The read model is derived data (the replica rebuilds nothing from it): it is fed, not awaited.
      this.#feeder!.push(applied);
    }
    await this.#releaseReplaced();
  }

  /**
   * A newer file with a full snapshot is in place: the older files are not needed once the read
   * model holds every event in them (a restart fills the read model from the files it finds).
   * The active deletes its own once this node has acknowledged past them.
   */
  async #releaseReplaced(upTo: EventId | undefined = this.#replica!.fileInPlace): Promise<void> {
    if (!this.#mayRelease(upTo)) return;
    this.#releasedBefore = upTo;
    await this.#replica!.release(upTo).catch((err: unknown) => this.#logger.warn({ err }, 'could not delete replicated journal files a newer one replaces'));
  }

  /** Files before `upTo` are replaced by a newer one that is in place, not released yet, the read model holds their events, and an active has served this journal in this run. */
  #mayRelease(upTo: EventId | undefined): upTo is EventId {
    return upTo !== undefined && upTo > this.#releasedBefore && this.#streamAccepted && this.#state !== undefined && this.#readModel!.lastEventId >= upTo;
  }

  /** The read model stored more: release what it held back, in the chain of frame steps (never beside a write). */
  #releaseWhenStored(): void {
    if (this.#phase !== 'running' || this.#failed || !this.#mayRelease(this.#replica?.fileInPlace)) return;
    this.#durableSteps = this.#durableSteps.then(() => this.#releaseReplaced());
  }

  /** Waits for the frames' steps, at most `ms`. */
  async #settled(ms: number): Promise<void> {
    const giveUp = new AbortController();
    const timer = this.#o.clock.sleep(ms, giveUp.signal).catch(() => undefined);
    try {
      await Promise.race([this.#durableSteps, timer]);
    } finally {
      giveUp.abort();
      await timer;
    }
  }

  /**
   * A failed write or fdatasync leaves the replica refusing every later write, and a passive that
   * stays up keeps the active waiting for acknowledgements that never come: it stops, as the active
   * does after a failed journal write, and the active goes on alone with the watch's consent.
   */
  #stopsOnWriteFailure(err: unknown): boolean {
    if (!hasCode(err, 'JournalWriteFailed')) return false;
    this.#fatal(err, { why: 'the replicated journal cannot be written' });
    return true;
  }

  #fatal(err: unknown, context: Readonly<Record<string, unknown>>): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#logger.fatal({ err, ...context }, 'passive node cannot go on; stopping');
    this.#o.onStop({ kind: 'fatal', error: err });
  }

  #apply(records: readonly JournalRecord[]): Stamped[] {
    const applied: Stamped[] = [];
    for (const record of records) {
      switch (record.kind) {
        case 'header':
          // Only a backup that has no state yet builds it from a snapshot; later files' snapshots repeat what it has.
          if (this.#state === undefined) this.#snapshot = { expected: record.body.snapshotCount, records: [] };
          break;
        case 'snapshot':
          if (this.#snapshot !== undefined) {
            this.#snapshot.records.push(record.body);
            if (this.#snapshot.records.length === this.#snapshot.expected) {
              this.#state = fromSnapshot(this.#snapshot.records);
              this.#snapshot = undefined;
              this.#startedFromSnapshot(record.fileEventId);
            }
          }
          break;
        case 'events':
          for (const s of record.body) {
            const stamped: Stamped = { eventId: s.eventId, event: parseEvent(s.event) };
            applyEvent(this.#state!, stamped);
            applied.push(stamped);
          }
          break;
        default:
          assertNever(record);
      }
    }
    const cluster = this.#state?.cluster;
    if (cluster !== undefined && 'setting' in cluster) this.#setting = cluster.setting;
    return applied;
  }

  /** This node's history starts with the snapshot of the first file it replicated: nothing before it is shown as if complete. */
  #startedFromSnapshot(fileEventId: EventId): void {
    this.#events.startAt(fileEventId);
    const orders = this.#state!.orders.size;
    if (orders > 0) {
      this.#logger.warn({ fileEventId, orders }, 'replication starts from a snapshot: events, job logs and history from before it are not available on this node');
    }
  }

  /** After applying a frame: the EventId to take over after, when the state is now a SwitchedOver that names this node. */
  #handoverIn(): EventId | undefined {
    const cluster = this.#state?.cluster;
    return cluster?.TYPE === 'SwitchedOver' && cluster.setting.activeId === this.#o.nodeId ? this.#state!.lastEventId : undefined;
  }

  /** Caught up and not coupled: ask the active to couple (it calls back our configured URI to confirm). */
  #askToCouple(signal: AbortSignal): void {
    const cluster = this.#state?.cluster;
    if (cluster === undefined || !('setting' in cluster)) return;
    if (!['NodesAppointed', 'PassiveLost', 'SwitchedOver', 'FailedOver'].includes(cluster.TYPE)) return;
    if (cluster.setting.activeId === this.#o.nodeId) return;
    const now = this.#o.clock.monotonic();
    if (now - this.#couplingAskedAt < 5 * this.#o.config.cluster.heartbeatMs) return;
    this.#couplingAskedAt = now;
    const token = ActiveCluster.newToken();
    this.#couplingToken = token;
    const uri = this.#activeUri()!;
    this.#supervisor.spawn('coupling', async () => {
      try {
        await this.#o.transport
          .peer(uri)
          .command({ TYPE: 'ClusterPrepareCoupling', activeId: cluster.setting.activeId, passiveId: this.#o.nodeId, token }, signal);
        this.#logger.info('coupling requested and confirmed by the active node');
      } catch (err) {
        if (!signal.aborted) this.#problem.set(err, 'the active node did not couple');
      }
    });
  }

  // ---- ClusterEndpoint (what the active calls) ----

  journalFrames(): AsyncIterable<JournalFrame> {
    throw new TandemError('ClusterNodeIsNotActive', 'This node is passive and serves no journal.', this.#activeArgs());
  }

  ackFrames(_request: unknown, signal: AbortSignal): AsyncIterable<AckFrame> {
    return this.#acks(signal);
  }

  async *#acks(signal: AbortSignal): AsyncGenerator<AckFrame> {
    let sent = asEventId(-1);
    while (!signal.aborted && this.#phase === 'running') {
      if (this.#acked > sent) {
        sent = this.#acked;
        yield { TYPE: 'Ack', eventId: sent, ...atOf(this.#ackedAt) };
        this.#ackSent = sent;
        this.#promoteIfHandedOver(sent);
        continue;
      }
      const before = this.#acked;
      await this.#ackWakeup.sleep(this.#o.config.cluster.heartbeatMs, signal).catch(() => undefined);
      if (this.#acked === before && !signal.aborted) yield { TYPE: 'Heartbeat', eventId: sent, ...atOf(this.#ackedAt) };
    }
  }

  async clusterCommand(body: unknown): Promise<ClusterCommandAnswer> {
    const command = parseClusterNodeCommand(body);
    switch (command.TYPE) {
      case 'ClusterStartBackupNode': {
        const { setting, journalId, epoch, lastFailover } = command;
        // The checks below hold the written end against the applied state: let the written frames be applied first.
        await this.#durableSteps;
        const ownEpoch = this.#state?.epoch ?? asEpoch(0);
        if (epoch < ownEpoch) {
          throw new TandemError('ClusterEpochStale', `The sender's epoch ${epoch} is below this node's ${ownEpoch}: it is not the active node any more.`, {
            epoch: ownEpoch,
            ...(this.#setting === undefined ? {} : { setting: this.#setting }),
            ...(this.#state?.lastFailover === undefined ? {} : { lastFailover: this.#state.lastFailover }),
          });
        }
        if (setting.idToUri[this.#o.nodeId] === undefined || setting.activeId === this.#o.nodeId) {
          throw new TandemError('ClusterRoleConflict', `The appointment does not name this node (${this.#o.nodeId}) as the backup.`, { setting });
        }
        const own = this.#replica!.journalId;
        if (own !== undefined && own !== journalId) {
          throw new TandemError(
            'JournalIdMismatch',
            `This backup holds another journal (${own}); it cannot couple with journal ${journalId}. Give the backup an empty data directory.`,
            { expected: own, got: journalId },
          );
        }
        // The pair's nodes are fixed once appointed: only which of them is active changes.
        const known = this.#setting?.idToUri;
        if (known !== undefined && !sameNodes(known, setting.idToUri)) {
          throw new TandemError('ClusterRoleConflict', 'The command names other cluster nodes than this pair has.', { nodes: known, named: setting.idToUri });
        }
        if (
          lastFailover !== undefined &&
          lastFailover.lostNodeId === this.#o.nodeId &&
          this.#state?.lastFailover?.epoch !== lastFailover.epoch &&
          this.#endsAfter(lastFailover.failedAt)
        ) {
          // This node is the one that failed: its journal may go on past the failover point, which must be cut first.
          this.#leaving = true;
          this.#o.hooks.stepDown({ kind: 'Lost', epoch, source: 'the new active node', setting, lastFailover });
          return { TYPE: 'Accepted' };
        }
        if (this.#fenced) {
          this.#fenced = false;
          this.#logger.info({ activeId: setting.activeId, epoch }, 'the active node named itself; replicating from it');
        }
        if (this.#setting === undefined || epoch > ownEpoch) this.#setting = setting;
        this.#startReplicating();
        return { TYPE: 'Accepted' };
      }
      case 'ClusterCouplingCallback':
        if (this.#couplingToken === undefined || command.token !== this.#couplingToken) {
          throw new TandemError('ClusterNotCoupled', 'This node did not ask to couple with that token.', {});
        }
        return { TYPE: 'Accepted' };
      case 'ClusterInhibitActivation': {
        const epoch = this.#state?.epoch ?? asEpoch(0);
        if (command.epoch < epoch) {
          throw new TandemError('ClusterEpochStale', `The sender is in epoch ${command.epoch}, below this node's ${epoch}.`, { epoch: command.epoch });
        }
        // At most what this pair's own timing would ask for: a longer hold would keep a dead active's backup from taking over.
        const durationMs = Math.min(command.duration, this.#o.hooks.timing.inhibitMs);
        this.#inhibitedUntil = this.#o.clock.monotonic() + durationMs;
        this.#logger.warn({ durationMs, asked: command.duration }, 'told to inhibit activation: this node will not take over for a while');
        return { TYPE: 'ClusterInhibitActivationAnswer', isActive: false, epoch };
      }
      case 'ClusterWatchAnswer':
      case 'ClusterWatchEpoch':
        throw new TandemError('InvalidRequest', `${command.TYPE} is for the node's watch link.`, {});
      case 'ClusterGetNodeState':
        throw new TandemError('InvalidRequest', `${command.TYPE} is answered by the node, not by its role.`, {});
      case 'ClusterPrepareCoupling':
      case 'ClusterPassiveDown':
        throw new TandemError('ClusterNodeIsNotActive', 'This node is passive.', this.#activeArgs());
      default:
        return assertNever(command);
    }
  }

  // ---- ControllerPort ----

  async executeCommand(body: unknown, user: UserContext): Promise<Readonly<Record<string, unknown>>> {
    const command = parseControllerCommand(body);
    if (command.TYPE === 'ShutDown') {
      this.#logger.info({ userId: user.userId }, 'shutdown requested');
      setImmediate(() => this.#o.onStop({ kind: 'shutdown' }));
      return { TYPE: 'Accepted' };
    }
    if (this.#setting === undefined) {
      throw new TandemError('BackupClusterNodeNotAppointed', 'This backup node has not been appointed yet: send ClusterAppointNodes to the primary.', {
        nodeId: this.#o.nodeId,
      });
    }
    throw new TandemError('ClusterNodeIsNotActive', `This node is passive; send commands to the active node at ${this.#activeUri()}.`, this.#activeArgs());
  }

  #activeArgs(): Record<string, unknown> {
    return { activeId: this.#setting?.activeId, activeUri: this.#activeUri() };
  }

  overview(): Overview {
    return {
      id: this.#o.config.controllerId,
      version: this.#o.version,
      startedAt: this.#startedAt,
      nodeId: this.#o.nodeId,
      role: this.#setting === undefined ? 'Unappointed' : 'Passive',
      isActive: false,
      epoch: this.#state?.epoch ?? 0,
      lastEventId: this.#events.lastEventId,
      orderCount: this.#state?.orders.size ?? 0,
    };
  }

  /** The id of the journal this node replicates (for the watch's heartbeat); undefined before it has one. */
  journalId(): string | undefined {
    return this.#replica?.journalId;
  }

  clusterView(nodeState: boolean): Readonly<Record<string, unknown>> {
    const cluster = this.#state?.cluster ?? { TYPE: 'Empty' };
    if (!nodeState) return cluster as unknown as Readonly<Record<string, unknown>>;
    const end = this.#replica?.end();
    return {
      nodeId: this.#o.nodeId,
      role: { TYPE: this.#setting === undefined ? 'Unappointed' : 'Passive', activeId: this.#setting?.activeId },
      isActive: false,
      epoch: this.#state?.epoch ?? 0,
      clusterState: cluster,
      journal: { fileEventId: end?.fileEventId ?? 0, position: end?.position ?? 0, lastEventId: this.#acked },
      ackedEventId: this.#acked,
      caughtUp: this.#caughtUp,
      lastHeartbeatAgeMs: this.#lastFrameAt === undefined ? null : Math.round(this.#o.clock.monotonic() - this.#lastFrameAt),
      ...(this.#problem.current === undefined ? {} : { problem: this.#problem.current }),
      ...(this.#inhibitedForMs() > 0 ? { inhibitedForMs: this.#inhibitedForMs() } : {}),
    };
  }

  /** How long a ClusterInhibitActivation still holds back this node's failover. */
  #inhibitedForMs(): number {
    return Math.max(0, Math.round(this.#inhibitedUntil - this.#o.clock.monotonic()));
  }

  orders(): readonly unknown[] {
    return this.#state === undefined ? [] : [...this.#state.orders.values()];
  }

  order(orderId: string): unknown {
    return this.#state?.orders.get(orderId);
  }

  workflows(): readonly unknown[] {
    const state = this.#state;
    return state === undefined ? [] : [...state.workflows.keys()].map((p) => latestWorkflow(state, p));
  }

  workflow(path: string): unknown {
    return this.#state === undefined ? undefined : latestWorkflow(this.#state, path);
  }

  jobLog(orderId: string, after: EventId | undefined, limit: number): Promise<readonly unknown[]> {
    return jobLogOf(this.#state?.orders.has(orderId) === true, this.#readModel!, orderId, after, limit);
  }

  readEvents(after: EventId, limit: number): EventRead {
    return this.#events.read(after, limit);
  }

  waitForEvent(after: EventId, signal: AbortSignal): Promise<void> {
    return this.#events.wait(after, signal);
  }

  live(): HealthReport {
    if (this.#failed) return { ok: false, reasons: ['stopping after a failure (see the log)'] };
    return { ok: this.#phase !== 'closed', reasons: [] };
  }

  ready(): HealthReport {
    if (this.#setting === undefined) return { ok: false, reasons: ['backup not appointed yet'] };
    const age = this.#lastFrameAt === undefined ? Infinity : this.#o.clock.monotonic() - this.#lastFrameAt;
    if (age > this.#o.config.cluster.heartbeatTimeoutMs) {
      const problem = this.#problem.current;
      const why = problem === undefined ? '' : ` (${problem.code}: ${problem.message})`;
      return { ok: false, reasons: [`no journal stream from the active node${why}`] };
    }
    return { ok: true, reasons: [] };
  }

  async metricsText(): Promise<string> {
    const replica = this.#replica;
    const end = replica?.end();
    return renderControllerMetrics({
      state: this.#state,
      journal:
        replica === undefined || end === undefined
          ? undefined
          : { lastEventId: replica.lastEventId, committedEventId: replica.syncedEventId, fileEventId: end.fileEventId, positionBytes: end.position },
      runningJobs: 0,
      pendingCommits: 0,
      cluster: {
        role: 'passive',
        ackedEventId: this.#acked,
        heartbeatAgeSeconds: this.#lastFrameAt === undefined ? -1 : (this.#o.clock.monotonic() - this.#lastFrameAt) / 1000,
      },
    });
  }

  /** A planned stop: tells the active first, so it goes on alone instead of waiting for acknowledgements. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    // Frames acknowledged but not yet applied may have changed the cluster state that decides what the active is told.
    await this.#settled(this.#o.config.cluster.heartbeatTimeoutMs);
    const cluster = this.#state?.cluster;
    const uri = this.#activeUri();
    // Leaving for another role is no shutdown: the peer must not be told this node is gone.
    if (this.#phase === 'running' && !this.#leaving && uri !== undefined && (cluster?.TYPE === 'Coupled' || cluster?.TYPE === 'PreparedToBeCoupled')) {
      const giveUp = new AbortController();
      const timer = this.#o.clock.sleep(this.#o.config.cluster.heartbeatTimeoutMs, giveUp.signal).then(
        () => giveUp.abort(),
        () => undefined,
      );
      try {
        await this.#o.transport.peer(uri).command({ TYPE: 'ClusterPassiveDown', passiveId: this.#o.nodeId }, giveUp.signal);
        this.#logger.info('told the active node this passive is shutting down');
      } catch (err) {
        this.#logger.warn({ err }, 'could not tell the active node about the shutdown');
      } finally {
        giveUp.abort();
        await timer;
      }
    }
    this.#phase = 'closed';
    this.#ackWakeup.poke();
    await this.#supervisor.close();
    await this.#replica?.close();
    await this.#feeder?.drain();
    await this.#readModel?.close();
  }
}

function assertNever(x: never): never {
  throw new Error(`unexpected ${JSON.stringify(x)}`);
}

/** An acknowledgement's position, when this node has a journal. */
function atOf(at: JournalPoint | undefined): { readonly at?: JournalPoint } {
  return at === undefined ? {} : { at };
}
