import { asEpoch, type EventId } from '../common/index.js';
import { evolveCluster, raisesEpoch } from './cluster-state.js';
import type { ControllerState, StampedEvent } from './controller-state.js';
import { eventMismatch } from './event-mismatch.js';
import type { ClusterEvent, Event, EventOf } from './events.js';
import { isOver, isTerminated, type Order } from './order.js';
import { evolveOrder } from './order-evolution.js';
import { forkBranchName } from './position.js';

/**
 * Folds one committed event into the state. Mutates `state`'s maps in place and
 * returns the same object (see the trade-off noted on ControllerState). An event
 * that does not fit throws an AssertionError naming the event.
 */
export function applyEvent(state: ControllerState, stamped: StampedEvent): ControllerState {
  const { eventId, event } = stamped;
  if (!(eventId > state.lastEventId)) eventMismatch(event, `eventId ${eventId} is not after ${state.lastEventId}`);
  applyToState(state, event, eventId);
  state.lastEventId = eventId;
  return state;
}

function applyToState(state: ControllerState, event: Event, eventId: EventId): void {
  switch (event.TYPE) {
    case 'WorkflowDeployed':
      return deployWorkflow(state, event);
    case 'ScheduleDeployed':
      state.schedules.set(event.schedule.id, { schedule: event.schedule, lastTick: event.since });
      return;
    case 'ScheduleDeleted':
      if (!state.schedules.delete(event.scheduleId)) eventMismatch(event, 'unknown schedule');
      return;
    case 'ScheduleFired': {
      const s = state.schedules.get(event.scheduleId) ?? eventMismatch(event, 'unknown schedule');
      if (!(event.tick > s.lastTick)) eventMismatch(event, `tick is not after the last tick ${s.lastTick}`);
      state.schedules.set(event.scheduleId, { ...s, lastTick: event.tick });
      return;
    }
    case 'ScheduleTicksSkipped':
      if (!state.schedules.has(event.scheduleId)) eventMismatch(event, 'unknown schedule');
      return;
    case 'OrderAdded':
      return addOrder(state, event);
    case 'OrderForked':
      return fork(state, event);
    case 'OrderJoined':
      return join(state, event);
    case 'OrderDeleted':
      return deleteOrder(state, event);
    case 'ClusterNodesAppointed':
    case 'ClusterCouplingPrepared':
    case 'ClusterCoupled':
    case 'ClusterPassiveLost':
    case 'ClusterActiveNodeShutDown':
    case 'ClusterActiveNodeRestarted':
    case 'ClusterSwitchedOver':
    case 'ClusterFailedOver':
      return applyClusterEvent(state, event);
    default: {
      const order = state.orders.get(event.orderId) ?? eventMismatch(event, 'unknown order');
      const next = evolveOrder(order, event);
      state.orders.set(order.id, event.TYPE === 'OrderFinished' || event.TYPE === 'OrderCancelled' ? { ...next, endedAt: eventId } : next);
    }
  }
}

function applyClusterEvent(state: ControllerState, event: ClusterEvent): void {
  state.cluster = evolveCluster(state.cluster, event);
  // The epoch and the active node change in the same event, so no position sees one without the other.
  if (raisesEpoch(event)) state.epoch = asEpoch(state.epoch + 1);
  if (event.TYPE === 'ClusterFailedOver') state.lastFailover = { epoch: state.epoch, lostNodeId: event.lostNodeId, failedAt: event.failedAt };
}

function deployWorkflow(state: ControllerState, event: EventOf<'WorkflowDeployed'>): void {
  const { workflow } = event;
  let versions = state.workflows.get(workflow.path);
  if (versions === undefined) {
    versions = new Map();
    state.workflows.set(workflow.path, versions);
  }
  for (const v of versions.keys()) if (v >= workflow.versionId) eventMismatch(event, `version ${v} exists already`);
  // Older versions are dropped here (not on every order end) once no unfinished order runs them.
  const used = new Set<number>();
  for (const o of state.orders.values()) if (o.workflowPath === workflow.path && !isOver(o.state)) used.add(o.workflowVersion);
  for (const v of [...versions.keys()]) if (!used.has(v)) versions.delete(v);
  versions.set(workflow.versionId, workflow);
}

function addOrder(state: ControllerState, event: EventOf<'OrderAdded'>): void {
  if (state.orders.has(event.orderId)) eventMismatch(event, 'the order exists already');
  if (state.workflows.get(event.workflowPath)?.get(event.workflowVersion) === undefined) eventMismatch(event, 'unknown workflow version');
  const order: Order = {
    id: event.orderId,
    workflowPath: event.workflowPath,
    workflowVersion: event.workflowVersion,
    arguments: event.arguments,
    ...(event.scheduledFor === undefined ? {} : { scheduledFor: event.scheduledFor }),
    position: [0],
    state: { TYPE: 'Fresh' },
    outcomes: [],
    attempt: 0,
  };
  state.orders.set(order.id, order);
}

function fork(state: ControllerState, event: EventOf<'OrderForked'>): void {
  const parent = state.orders.get(event.orderId) ?? eventMismatch(event, 'unknown order');
  state.orders.set(parent.id, evolveOrder(parent, event));
  for (const { orderId, branchId } of event.children) {
    if (state.orders.has(orderId)) eventMismatch(event, `child ${orderId} exists already`);
    state.orders.set(orderId, {
      id: orderId,
      workflowPath: parent.workflowPath,
      workflowVersion: parent.workflowVersion,
      arguments: parent.arguments,
      position: [...parent.position, forkBranchName(branchId), 0],
      state: { TYPE: 'Ready' },
      outcomes: [],
      attempt: 0,
      parentId: parent.id,
      branchId,
    });
  }
}

/** Only a finished or cancelled order that is no fork child leaves the state (a failed one may still be resumed). */
function deleteOrder(state: ControllerState, event: EventOf<'OrderDeleted'>): void {
  const order = state.orders.get(event.orderId) ?? eventMismatch(event, 'unknown order');
  if (!isOver(order.state)) eventMismatch(event, `the order is ${order.state.TYPE}, not Finished or Cancelled`);
  if (order.parentId !== undefined) eventMismatch(event, 'a fork child leaves the state with its join');
  state.orders.delete(order.id);
}

function join(state: ControllerState, event: EventOf<'OrderJoined'>): void {
  const parent = state.orders.get(event.orderId) ?? eventMismatch(event, 'unknown order');
  if (parent.state.TYPE !== 'Waiting' || parent.state.reason.TYPE !== 'Forked') eventMismatch(event, 'the order is not forked');
  const children = parent.state.reason.children;
  for (const { orderId } of children) {
    const child = state.orders.get(orderId);
    if (child === undefined || !isTerminated(child.state)) eventMismatch(event, `child ${orderId} has not ended`);
  }
  // Children live only until the join: their outcome is folded into the parent's.
  for (const { orderId } of children) state.orders.delete(orderId);
  state.orders.set(parent.id, evolveOrder(parent, event));
}
