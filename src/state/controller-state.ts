import { asEpoch, asEventId, type Epoch, type EventId } from '../common/index.js';
import type { ClusterState, FailedAt } from './cluster-state.js';
import type { Event } from './events.js';
import type { Order, OrderId } from './order.js';
import type { ScheduleState } from './schedule.js';
import type { Workflow, WorkflowPath } from './workflow.js';

/**
 * The whole controller state, a fold of the journal's events.
 *
 * Trade-off: `applyEvent` mutates the Maps (and the scalar fields) of this object in
 * place, because copying maps of a million orders per event would make replay
 * quadratic. Every value *inside* the maps (an Order, a Workflow, a ScheduleState) is
 * immutable and replaced on change, so a reader may hold or serialise a value it got
 * without it changing underneath — but must not hold the maps across an apply.
 */
export interface ControllerState {
  /** path → versionId → workflow. Old versions stay while an unfinished order uses them. */
  readonly workflows: Map<WorkflowPath, Map<number, Workflow>>;
  /** In insertion order; fork children follow their parent. */
  readonly orders: Map<OrderId, Order>;
  readonly schedules: Map<string, ScheduleState>;
  lastEventId: EventId;
  cluster: ClusterState;
  epoch: Epoch;
  /**
   * The last failover: the epoch it began and where the failed node must cut its
   * journal. Kept after the cluster state moves on, so a node that returns later
   * still learns where to cut.
   */
  lastFailover: LastFailover | undefined;
}

export interface LastFailover {
  readonly epoch: Epoch;
  readonly lostNodeId: string;
  readonly failedAt: FailedAt;
}

/** One event with the id the journal gave it. */
export interface StampedEvent {
  readonly eventId: EventId;
  readonly event: Event;
}

export function emptyState(): ControllerState {
  return {
    workflows: new Map(),
    orders: new Map(),
    schedules: new Map(),
    lastEventId: asEventId(0),
    cluster: { TYPE: 'Empty' },
    epoch: asEpoch(0),
    lastFailover: undefined,
  };
}

/** The newest deployed version of the workflow at `path`. */
export function latestWorkflow(state: ControllerState, path: WorkflowPath): Workflow | undefined {
  const versions = state.workflows.get(path);
  if (versions === undefined) return undefined;
  let latest: Workflow | undefined;
  for (const w of versions.values()) if (latest === undefined || w.versionId > latest.versionId) latest = w;
  return latest;
}

/** The workflow version an order runs. */
export function workflowOf(state: ControllerState, order: Order): Workflow | undefined {
  return state.workflows.get(order.workflowPath)?.get(order.workflowVersion);
}
