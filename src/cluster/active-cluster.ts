import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { TandemError, Wakeup, asEpoch, linkedAbort, asEventId, hasCode, type Clock, type Epoch, type EventId, type Logger, type NodeId, type Problem } from '../common/index.js';
import type { Journal, StampedEvent } from '../journal/index.js';
import {
  activeIdOf,
  clusterSettingSchema,
  failedAtSchema,
  nodeIdSchema,
  passiveIdOf,
  peerUri,
  sameNodes,
  type ClusterSetting,
  type ClusterState,
  type ControllerState,
  type Event,
  type LastFailover,
} from '../state/index.js';
import { parseClusterNodeCommand } from '../workflow/index.js';
import type { ClusterTiming } from './cluster-timing.js';
import type { ConsentRequest, WitnessVerdict } from './witness.js';
import { serveJournal } from './journal-server.js';
import { PeerProblem } from './peer-problem.js';
import type { AckedPoint, AckFrame, ClusterCommandAnswer, JournalFrame, JournalStreamRequest, Transport } from './transport/index.js';

/** What the active's cluster duties need from the controller that owns the journal. */
export interface ActiveHost {
  readonly nodeId: NodeId;
  state(): ControllerState;
  journal(): Journal;
  persist(events: readonly Event[]): void;
  whenPublished(eventId: EventId): Promise<void>;
  /** The passive has everything up to this EventId durable. */
  acknowledged(eventId: EventId): void;
  /** Since when (monotonic ms) commits durable here wait for the passive's acknowledgement without one arriving; undefined while none waits. */
  ackWaitingSince(): number | undefined;
  /** Consent to leave Coupled without the passive (the watch, or an operator's confirmation). */
  consent(request: ConsentRequest, signal: AbortSignal): Promise<WitnessVerdict>;
  /** A cluster watch can answer now; no coupling without one (DESIGN §4). */
  witnessRegistered(): boolean;
  /** Another node is active in a higher epoch: stop acting at once and rejoin as passive. */
  lost(epoch: Epoch, source: string, setting?: ClusterSetting, lastFailover?: LastFailover): void;
  /**
   * The node this one switched over to acts as active in the new epoch, so it has the
   * SwitchedOver event even if its acknowledgement never arrived; false when no
   * switchover is under way here.
   */
  handedOver(source: string): boolean;
  /** Restarted after a planned shutdown the passive did not acknowledge: commits wait for its acknowledgement. */
  restartUnconfirmed(): boolean;
  /** The passive has acknowledged everything in this epoch: it did not take over, and this node acts again. */
  restartConfirmed(): void;
}

/** What a refusal from the other node may say about who is active now (Problem arguments, so narrowed leniently). */
const lostArgumentsSchema = z.object({
  epoch: z.number().int().min(0).transform(asEpoch),
  setting: clusterSettingSchema.optional().catch(undefined),
  lastFailover: z
    .object({ epoch: z.number().int().min(0).transform(asEpoch), lostNodeId: nodeIdSchema, failedAt: failedAtSchema })
    .optional()
    .catch(undefined),
});

export interface ActiveClusterOptions {
  readonly host: ActiveHost;
  readonly journalDir: string;
  readonly transport: Transport;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly timing: ClusterTiming;
}

export interface ActiveClusterStatus {
  readonly ackedEventId: EventId;
  /** Where the passive's journal ends right after `ackedEventId`, when it said so. */
  readonly ackedAt: AckedPoint | undefined;
  /** Monotonic ms of the last frame from the passive's acknowledgement stream. */
  readonly lastAckFrameAt: number | undefined;
  readonly problem: Problem | undefined;
}

/**
 * The active node's side of the pair: it tells the backup to replicate, serves
 * its journal, confirms coupling by calling the configured passive URI back,
 * and pulls the passive's acknowledgements, which the commit rule waits for.
 */
export class ActiveCluster {
  readonly #o: ActiveClusterOptions;
  readonly #logger: Logger;
  readonly #wakeup: Wakeup;
  #acked: EventId = asEventId(0);
  #ackedAt: AckedPoint | undefined;
  #lastAckFrameAt: number | undefined;
  /** Monotonic ms when the journal stream last sent records. */
  #lastServedAt: number | undefined;
  readonly #problem: PeerProblem;
  #preparedEventId: EventId | undefined;
  #lostReported = false;

  constructor(options: ActiveClusterOptions) {
    this.#o = options;
    this.#logger = options.logger.child({ component: 'active-cluster' });
    this.#problem = new PeerProblem(this.#logger, 'the passive answers again');
    this.#wakeup = new Wakeup(options.clock);
  }

  status(): ActiveClusterStatus {
    return { ackedEventId: this.#acked, ackedAt: this.#ackedAt, lastAckFrameAt: this.#lastAckFrameAt, problem: this.#problem.current };
  }

  /** Events were appended: a change of cluster state wakes the loop. */
  touched(stamped: readonly StampedEvent<Event>[]): void {
    for (const s of stamped) {
      if (s.event.TYPE === 'ClusterCouplingPrepared') this.#preparedEventId = s.eventId;
      if (s.event.TYPE.startsWith('Cluster')) this.#wakeup.poke();
    }
  }

  /** The supervised loop: drives the pair towards Coupled and keeps acknowledgements flowing. */
  async run(signal: AbortSignal): Promise<void> {
    const host = this.#o.host;
    if (host.state().cluster.TYPE === 'ActiveShutDown') {
      if (host.restartUnconfirmed()) await this.#confirmRestart(signal);
      if (signal.aborted || this.#lostReported) return;
      // Back after a planned shutdown: no failover happened, so this node is still the active one; it must couple again.
      host.persist([{ TYPE: 'ClusterActiveNodeRestarted' }]);
    }
    while (!signal.aborted) {
      const cluster = host.state().cluster;
      switch (cluster.TYPE) {
        case 'SwitchedOver':
          if (cluster.setting.activeId !== host.nodeId) {
            // Handing over: the SwitchedOver needs the passive's acknowledgement (or its word that it acts now).
            await this.#pullAcks(signal);
            await this.#wakeup.sleep(Math.min(250, this.#o.timing.heartbeatMs), signal);
            break;
          }
          await this.#startBackup(signal);
          await this.#wakeup.sleep(this.#o.timing.heartbeatMs, signal);
          break;
        case 'NodesAppointed':
        case 'PassiveLost':
        case 'FailedOver':
          await this.#startBackup(signal);
          await this.#wakeup.sleep(this.#o.timing.heartbeatMs, signal);
          break;
        case 'PreparedToBeCoupled':
        case 'Coupled':
          await this.#pullAcks(signal);
          await this.#wakeup.sleep(Math.min(250, this.#o.timing.heartbeatMs), signal);
          break;
        case 'Empty':
        case 'ActiveShutDown':
          await this.#wakeup.sleep(60_000, signal);
          break;
        default:
          assertNever(cluster);
      }
    }
  }

  async #startBackup(signal: AbortSignal): Promise<void> {
    const state = this.#o.host.state();
    const passiveId = passiveIdOf(state.cluster);
    const setting = 'setting' in state.cluster ? state.cluster.setting : undefined;
    if (passiveId === undefined || setting === undefined) return;
    const uri = setting.idToUri[passiveId];
    if (uri === undefined) return;
    try {
      await this.#o.transport
        .peer(uri)
        .command(
          {
            TYPE: 'ClusterStartBackupNode',
            setting,
            journalId: this.#o.host.journal().journalId,
            epoch: state.epoch,
            ...(state.lastFailover === undefined ? {} : { lastFailover: state.lastFailover }),
          },
          signal,
        );
      this.#problem.clear();
    } catch (err) {
      if (!signal.aborted) this.#problem.set(err, `the backup at ${uri} does not start replicating`);
    }
  }

  /**
   * Reads the passive's acknowledgements while the pair is (being) coupled or this node
   * leaves Coupled on purpose; true as soon as `enough` says a frame is all it waited for.
   */
  async #pullAcks(signal: AbortSignal, enough: (frame: AckFrame) => boolean = () => false, why = 'no acknowledgements from the passive'): Promise<boolean> {
    const host = this.#o.host;
    const state = host.state();
    // The other node: the passive, or while handing over the node the SwitchedOver names (never this node itself).
    const uri = peerUri(state.cluster, host.nodeId);
    if (uri === undefined) return false;
    const stop = linkedAbort(signal);
    try {
      for await (const frame of this.#o.transport.peer(uri).acks({ epoch: state.epoch }, stop.signal)) {
        this.#onAckFrame(frame);
        if (enough(frame)) return true;
        const now = host.state().cluster;
        // Leaving Coupled on purpose (switchover, planned shutdown), the last event still needs the passive's acknowledgement.
        const leaving = (now.TYPE === 'SwitchedOver' && now.setting.activeId !== host.nodeId) || now.TYPE === 'ActiveShutDown';
        if (now.TYPE !== 'PreparedToBeCoupled' && now.TYPE !== 'Coupled' && !leaving) break;
      }
    } catch (err) {
      if (signal.aborted) return false;
      // A node that refuses acknowledgements because it is active — in a higher epoch — has taken over: this node lost.
      if ((hasCode(err, 'ClusterNodeIsActive') || hasCode(err, 'ClusterEpochStale')) && this.#higherEpoch(err.arguments, `the node at ${uri}`)) return false;
      if (hasCode(err, 'ClusterNodeIsActive') && this.#o.host.handedOver(`the node at ${uri}, active now`)) return false;
      this.#problem.set(err, `${why} at ${uri}`);
    } finally {
      stop.abort();
    }
    return false;
  }

  /**
   * After a planned shutdown the passive did not acknowledge, the passive may have failed
   * over: wait until it serves acknowledgements in this epoch up to this node's end (it has
   * ActiveShutDown, so it will not fail over any more), or learn from its refusal that it did.
   */
  async #confirmRestart(signal: AbortSignal): Promise<void> {
    const host = this.#o.host;
    this.#logger.warn('restarted after a planned shutdown the passive did not acknowledge; acting again once it confirms that it did not take over');
    const hasAll = (frame: AckFrame): boolean => frame.eventId >= host.journal().lastEventId;
    while (!signal.aborted && !this.#lostReported) {
      if (await this.#pullAcks(signal, hasAll, 'restarted after an unacknowledged planned shutdown: no confirmation from the passive')) {
        this.#logger.info({ passiveId: passiveIdOf(host.state().cluster) }, 'the passive has everything and did not take over; acting again');
        host.restartConfirmed();
        this.#problem.clear();
        return;
      }
      await this.#wakeup.sleep(this.#o.timing.heartbeatMs, signal).catch(() => undefined);
    }
  }

  /** Reports a higher epoch named in a refusal; true when there was one. */
  #higherEpoch(args: unknown, source: string): boolean {
    const parsed = lostArgumentsSchema.safeParse(args);
    if (!parsed.success || parsed.data.epoch <= this.#o.host.state().epoch) return false;
    this.#reportLost(parsed.data.epoch, source, parsed.data.setting, parsed.data.lastFailover);
    return true;
  }

  #reportLost(epoch: Epoch, source: string, setting?: ClusterSetting, lastFailover?: LastFailover): void {
    if (this.#lostReported) return;
    this.#lostReported = true;
    this.#logger.warn({ epoch, ownEpoch: this.#o.host.state().epoch, source }, 'another node is active in a higher epoch; this node stops acting and rejoins as passive');
    this.#o.host.lost(epoch, source, setting, lastFailover);
  }

  /**
   * The passive-lost watchdog: while the pair is (being) coupled and the passive's
   * acknowledgement stream has been silent for passive-lost, or commits have waited that
   * long for an acknowledgement that does not come while the passive takes no journal bytes
   * either (it answers but cannot replicate), ask for consent to go on alone. Without it the
   * active waits — committing nothing — which is what keeps a cut-off active from acting
   * beside a backup that took over.
   */
  async watchPassive(signal: AbortSignal): Promise<void> {
    const { clock, timing } = this.#o;
    // When the pair last became (being) coupled as seen by this loop: silence counts from then at the earliest.
    let coupledSince: number | undefined;
    while (!signal.aborted) {
      await clock.sleep(timing.heartbeatMs / 2, signal).catch(() => undefined);
      if (signal.aborted) return;
      const state = this.#o.host.state();
      const cluster = state.cluster;
      if (cluster.TYPE !== 'Coupled' && cluster.TYPE !== 'PreparedToBeCoupled') {
        coupledSince = undefined;
        continue;
      }
      const now = clock.monotonic();
      coupledSince ??= now;
      const silentFor = now - Math.max(this.#lastAckFrameAt ?? 0, coupledSince);
      const waitingSince = this.#o.host.ackWaitingSince();
      // A passive still taking journal bytes (a big snapshot after a rotation) is slow, not stuck.
      const stalledFor = waitingSince === undefined ? 0 : now - Math.max(waitingSince, this.#lastServedAt ?? 0, coupledSince);
      if (silentFor < timing.passiveLostMs && stalledFor < timing.passiveLostMs) continue;
      const why = silentFor >= timing.passiveLostMs ? `is silent for ${Math.round(silentFor)} ms` : `has acknowledged nothing new for ${Math.round(stalledFor)} ms while commits wait`;
      const passiveId = passiveIdOf(cluster)!;
      const verdict = await this.#o.host.consent({ ask: 'PassiveLost', epoch: state.epoch, lostNodeId: passiveId }, signal);
      if (signal.aborted) return;
      const after = this.#o.host.state();
      if (verdict.granted) {
        if (after.epoch !== state.epoch || (after.cluster.TYPE !== 'Coupled' && after.cluster.TYPE !== 'PreparedToBeCoupled')) continue;
        this.#logger.warn({ passiveId, silentMs: Math.round(silentFor), stalledMs: Math.round(stalledFor), by: verdict.by }, `the passive is lost: it ${why}; going on alone with consent`);
        this.#o.host.persist([{ TYPE: 'ClusterPassiveLost', id: passiveId }]);
        continue;
      }
      if (verdict.epoch !== undefined && verdict.epoch > after.epoch) {
        this.#reportLost(verdict.epoch, 'the cluster watch');
        return;
      }
      this.#problem.set(
        new TandemError('ClusterWatchRefused', `The passive ${passiveId} ${why}, but going on alone was refused: ${verdict.reason}.`, {
          passiveId,
          reason: verdict.reason,
        }),
        'commits wait: the passive is lost and leaving Coupled was refused',
      );
      await clock.sleep(timing.heartbeatMs, signal).catch(() => undefined);
    }
  }

  #onAckFrame(frame: AckFrame): void {
    this.#lastAckFrameAt = this.#o.clock.monotonic();
    this.#problem.clear();
    const eventId = frame.eventId;
    if (eventId >= this.#acked) this.#ackedAt = frame.at;
    if (eventId > this.#acked) {
      this.#acked = eventId;
      this.#o.host.acknowledged(eventId);
    }
    const host = this.#o.host;
    const state = host.state();
    // After a restart in PreparedToBeCoupled the event's id is not known: wait for everything written so far.
    this.#preparedEventId ??= state.cluster.TYPE === 'PreparedToBeCoupled' ? host.journal().lastEventId : undefined;
    if (state.cluster.TYPE === 'PreparedToBeCoupled' && this.#preparedEventId !== undefined && eventId >= this.#preparedEventId) {
      this.#preparedEventId = undefined;
      host.persist([{ TYPE: 'ClusterCoupled', activeId: host.nodeId }]);
      this.#logger.info({ passiveId: passiveIdOf(state.cluster) }, 'the pair is coupled');
    }
  }

  /** `GET /journal` for the passive. */
  journalFrames(request: JournalStreamRequest, signal: AbortSignal): AsyncIterable<JournalFrame> {
    // A reader in a higher epoch is refused, and that is all: a journal reader is no node that
    // took over (that one refuses this node's acknowledgement stream, or the watch says so).
    return serveJournal(
      {
        dir: this.#o.journalDir,
        journal: () => this.#o.host.journal(),
        clock: this.#o.clock,
        heartbeatMs: this.#o.timing.heartbeatMs,
        epoch: () => this.#o.host.state().epoch,
        // A passive that takes journal bytes is not stuck, even before its next acknowledgement.
        onRecords: () => (this.#lastServedAt = this.#o.clock.monotonic()),
      },
      request,
      signal,
    );
  }

  /** A node-to-node command sent to the active. */
  async clusterCommand(body: unknown): Promise<ClusterCommandAnswer> {
    const command = parseClusterNodeCommand(body);
    const host = this.#o.host;
    const cluster = host.state().cluster;
    switch (command.TYPE) {
      case 'ClusterPrepareCoupling': {
        checkPairNodes(cluster, command.activeId, command.passiveId);
        if (cluster.TYPE === 'PreparedToBeCoupled' || cluster.TYPE === 'Coupled') return { TYPE: 'Accepted' };
        const passiveId = passiveIdOf(cluster);
        if (!host.witnessRegistered()) {
          throw new TandemError('ClusterWatchUnreachable', 'No cluster watch is connected to the active node; the pair couples only with a watch (start tandem watch).', {
            clusterState: cluster.TYPE,
          });
        }
        const uri = couplingUri(cluster, command);
        // Only the real backup can couple: confirm by calling back the URI the pair was appointed with.
        await this.#o.transport.peer(uri).command({ TYPE: 'ClusterCouplingCallback', token: command.token });
        const now = host.state().cluster;
        // Another request of the same passive got there first.
        if (now.TYPE === 'PreparedToBeCoupled' || now.TYPE === 'Coupled') return { TYPE: 'Accepted' };
        // The cluster may have moved on during the callback (a planned shutdown, a switchover, a loss).
        couplingUri(now, command);
        host.persist([{ TYPE: 'ClusterCouplingPrepared', activeId: host.nodeId }]);
        await host.whenPublished(host.journal().lastEventId);
        this.#logger.info({ passiveId }, 'coupling prepared; waiting for the passive to acknowledge it');
        this.#wakeup.poke();
        return { TYPE: 'Accepted' };
      }
      case 'ClusterPassiveDown': {
        checkPairNodes(cluster, host.nodeId, command.passiveId);
        if ((cluster.TYPE === 'Coupled' || cluster.TYPE === 'PreparedToBeCoupled') && passiveIdOf(cluster) === command.passiveId) {
          // The watch must know before this node commits alone: a watch that never heard of this
          // PassiveLost could later let the returning passive fail over past what is committed here.
          const epoch = host.state().epoch;
          const verdict = await host.consent({ ask: 'PassiveLost', epoch, lostNodeId: command.passiveId }, new AbortController().signal);
          const now = host.state();
          if (!verdict.granted || now.epoch !== epoch || (now.cluster.TYPE !== 'Coupled' && now.cluster.TYPE !== 'PreparedToBeCoupled')) {
            this.#logger.warn({ passiveId: command.passiveId, reason: verdict.granted ? 'the cluster changed meanwhile' : verdict.reason }, 'the passive shuts down, but going on alone was not agreed; commits wait');
            return { TYPE: 'Accepted' };
          }
          host.persist([{ TYPE: 'ClusterPassiveLost', id: command.passiveId }]);
          await host.whenPublished(host.journal().lastEventId);
          this.#logger.info({ passiveId: command.passiveId }, 'the passive shut down; going on alone');
        }
        return { TYPE: 'Accepted' };
      }
      case 'ClusterStartBackupNode':
        // The other node is active in a higher epoch and wants this node as its backup: this node lost.
        if (command.epoch > host.state().epoch && command.setting.activeId !== host.nodeId) {
          // Only the other node of this pair, holding this journal, can have taken over from this node.
          checkSamePair(host, command.journalId, command.setting);
          this.#reportLost(command.epoch, 'the new active node', command.setting, command.lastFailover);
          return { TYPE: 'Accepted' };
        }
        if (command.epoch === host.state().epoch && command.setting.activeId !== host.nodeId && host.handedOver('the new active node')) {
          throw new TandemError('NotReady', 'This node is handing over and becomes the passive node in a moment; try again.', {});
        }
        throw new TandemError('ClusterRoleConflict', 'This node is the active one, not a backup: configure the backup with js7.journal.cluster.node.is-backup = yes.', {
          nodeId: host.nodeId,
        });
      case 'ClusterCouplingCallback':
        throw new TandemError('ClusterRoleConflict', 'This node is the active one, not a backup: configure the backup with js7.journal.cluster.node.is-backup = yes.', {
          nodeId: host.nodeId,
        });
      case 'ClusterInhibitActivation':
        // The passive thinks this node is gone; it is not, so the passive must not fail over.
        this.#logger.warn({ epoch: host.state().epoch }, 'the passive asked this live active node to inhibit itself; answering that it is active');
        return { TYPE: 'ClusterInhibitActivationAnswer', isActive: true, epoch: host.state().epoch };
      case 'ClusterWatchAnswer':
      case 'ClusterWatchEpoch':
        // The node owning this role handles the watch's commands before they reach here.
        throw new TandemError('InvalidRequest', `${command.TYPE} is for the node's watch link.`, {});
      case 'ClusterGetNodeState':
        // Likewise answered by the node, which knows its watch link and licence.
        throw new TandemError('InvalidRequest', `${command.TYPE} is answered by the node, not by its role.`, {});
      default:
        return assertNever(command);
    }
  }

  /** A token for a coupling request (exported for the passive). */
  static newToken(): string {
    return randomUUID().replace(/-/g, '');
  }
}

/** The appointed URI of the passive that asks to couple, or ClusterNotCoupled when this state cannot couple it. */
function couplingUri(cluster: ClusterState, command: { readonly activeId: NodeId; readonly passiveId: NodeId }): string {
  const couplable = cluster.TYPE === 'NodesAppointed' || cluster.TYPE === 'PassiveLost' || cluster.TYPE === 'SwitchedOver' || cluster.TYPE === 'FailedOver';
  const passiveId = passiveIdOf(cluster);
  if (!couplable || activeIdOf(cluster) !== command.activeId || passiveId !== command.passiveId) {
    throw new TandemError('ClusterNotCoupled', `This node cannot couple ${command.passiveId} now (cluster state ${cluster.TYPE}).`, {
      clusterState: cluster.TYPE,
    });
  }
  return cluster.setting.idToUri[passiveId]!;
}

function assertNever(x: never): never {
  throw new Error(`unexpected ${JSON.stringify(x)}`);
}

/** A command naming the pair's nodes must name this pair's: `activeId` this (active) node, `passiveId` the other one. */
function checkPairNodes(cluster: ClusterState, activeId: NodeId, passiveId: NodeId): void {
  if (!('setting' in cluster)) return;
  if (activeIdOf(cluster) !== activeId || passiveIdOf(cluster) !== passiveId) {
    throw new TandemError('ClusterRoleConflict', `The command names ${activeId} as active and ${passiveId} as passive; this pair has ${activeIdOf(cluster)} and ${String(passiveIdOf(cluster))}.`, {
      activeId,
      passiveId,
    });
  }
}

/** A cluster command that says this node lost must come from this pair: the same journal and the same two nodes. */
function checkSamePair(host: ActiveHost, journalId: string, setting: ClusterSetting): void {
  if (journalId !== host.journal().journalId) {
    throw new TandemError('JournalIdMismatch', 'The sender holds another journal: it is not the other node of this pair.', { expected: host.journal().journalId, got: journalId });
  }
  const cluster = host.state().cluster;
  const own = 'setting' in cluster ? cluster.setting.idToUri : undefined;
  if (own === undefined || !sameNodes(own, setting.idToUri)) {
    throw new TandemError('ClusterRoleConflict', 'The sender names other cluster nodes than this pair has.', { nodes: own ?? null, named: setting.idToUri });
  }
}
