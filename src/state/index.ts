export { applyEvent } from './apply-event.js';
export {
  NODE_ID,
  activeIdOf,
  clusterSettingSchema,
  clusterSettingShape,
  activeIdIsANode,
  clusterStateSchema,
  evolveCluster,
  failedAtSchema,
  idToUriSchema,
  isCoupled,
  nodeIdSchema,
  nodeUriSchema,
  passiveIdOf,
  peerUri,
  raisesEpoch,
  requiresAck,
  sameNodes,
  sameSetting,
  settingOf,
  type AppointedClusterState,
  type ClusterSetting,
  type ClusterState,
  type ClusterStateType,
  type CoupledClusterState,
  type FailedAt,
} from './cluster-state.js';
export { emptyState, latestWorkflow, workflowOf, type ControllerState, type LastFailover, type StampedEvent } from './controller-state.js';
export {
  eventSchema,
  eventSchemas,
  isClusterEvent,
  isOrderEvent,
  parseEvent,
  type ClusterEvent,
  type ClusterEventType,
  type Event,
  type EventOf,
  type EventType,
  type OrderEvent,
} from './events.js';
export type { Immutable } from './immutable.js';
export {
  argumentsSchema,
  isOver,
  isTerminated,
  lastOutcome,
  orderSchema,
  type ArgumentValue,
  type Arguments,
  type Order,
  type OrderId,
  type OrderMark,
  type OrderState,
  type OrderStateType,
  type WaitReason,
} from './order.js';
export { evolveOrder } from './order-evolution.js';
export { failed, outcomeSchema, succeeded, type Outcome } from './outcome.js';
export * from './position.js';
export { SCHEDULE_ID, scheduleSchema, type Schedule, type ScheduleState } from './schedule.js';
export { fromSnapshot, toSnapshot, type SnapshotRecord } from './snapshot.js';
export * from './workflow.js';
