import { z } from 'zod';
import { TandemError } from '../common/index.js';
import { activeIdIsANode, clusterSettingShape, failedAtSchema, nodeIdSchema } from './cluster-state.js';
import type { Immutable } from './immutable.js';
import { argumentsSchema, forkChildSchema } from './order.js';
import { outcomeSchema } from './outcome.js';
import { positionSchema } from './position.js';
import { scheduleSchema } from './schedule.js';
import { workflowSchema } from './workflow.js';

/*
 * Every state change is one of these events (JS7 names). They are read back from
 * journal bytes, i.e. from outside, so each has a schema; the type is inferred.
 */

const orderId = z.string().min(1);
const ms = z.number();

const event = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) =>
  z.object({ TYPE: z.literal(type), ...shape });

const order = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) => event(type, { orderId, ...shape });

export const eventSchemas = [
  event('WorkflowDeployed', { workflow: workflowSchema }),
  // `since`: the deploy time; ticks after it are due.
  event('ScheduleDeployed', { schedule: scheduleSchema, since: ms }),
  event('ScheduleDeleted', { scheduleId: z.string() }),
  // Always in the same commit as the OrderAdded it causes.
  event('ScheduleFired', { scheduleId: z.string(), tick: ms }),
  // More ticks were missed than the catch-up limit allows; they are dropped, loudly.
  event('ScheduleTicksSkipped', { scheduleId: z.string(), from: ms, to: ms, count: z.number().int().min(1) }),

  order('OrderAdded', {
    workflowPath: z.string(),
    workflowVersion: z.number().int(),
    arguments: argumentsSchema,
    scheduledFor: ms.exactOptional(),
  }),
  order('OrderStarted', {}),
  // The job may start only after this event is committed.
  order('OrderProcessingStarted', { attempt: z.number().int().min(1) }),
  order('OrderStdWritten', { stream: z.enum(['stdout', 'stderr']), chunk: z.string() }),
  order('OrderProcessed', { outcome: outcomeSchema }),
  // An outcome produced without a job (a Fail instruction, a predicate or env error).
  order('OrderOutcomeAdded', { outcome: outcomeSchema }),
  order('OrderMoved', { to: positionSchema }),
  order('OrderForked', { children: z.array(forkChildSchema).min(1) }),
  order('OrderJoined', { outcome: outcomeSchema }),
  order('OrderRetrying', { to: positionSchema, delayedUntil: ms.exactOptional() }),
  order('OrderAwoke', {}),
  order('OrderCaught', { to: positionSchema, outcome: outcomeSchema }),
  order('OrderFailed', { outcome: outcomeSchema }),
  order('OrderFinished', {}),
  // A Disrupted order whose job is restartable becomes Ready for a new attempt.
  order('OrderRestarted', {}),
  order('OrderCancellationMarked', {}),
  order('OrderCancelled', {}),
  order('OrderSuspensionMarked', {}),
  order('OrderSuspended', {}),
  // Withdraws a suspension mark that has not taken effect yet.
  order('OrderResumptionMarked', {}),
  order('OrderResumed', {}),
  // A finished or cancelled order leaves the state once js7.controller.order-retention has
  // passed; its history stays in the read model. The id may then be used for a new order.
  order('OrderDeleted', {}),

  // Cluster events (DESIGN §3, §4); `evolveCluster` holds their transitions.
  event('ClusterNodesAppointed', clusterSettingShape).superRefine(activeIdIsANode),
  event('ClusterCouplingPrepared', { activeId: nodeIdSchema }),
  // Written only once the passive has ClusterCouplingPrepared.
  event('ClusterCoupled', { activeId: nodeIdSchema }),
  // `id`: the lost passive. Written in Coupled only with the watch's consent.
  event('ClusterPassiveLost', { id: nodeIdSchema }),
  // A planned shutdown of the active: no failover follows.
  event('ClusterActiveNodeShutDown', {}),
  event('ClusterActiveNodeRestarted', {}),
  // These two hand the active role to the other node and raise the epoch by one.
  event('ClusterSwitchedOver', { activeId: nodeIdSchema }),
  event('ClusterFailedOver', { activeId: nodeIdSchema, lostNodeId: nodeIdSchema, failedAt: failedAtSchema }),
] as const;

export const eventSchema = z.discriminatedUnion('TYPE', eventSchemas);

export type Event = Immutable<z.infer<typeof eventSchema>>;
export type EventType = Event['TYPE'];
export type EventOf<T extends EventType> = Extract<Event, { TYPE: T }>;
export type OrderEvent = Extract<Event, { orderId: string }>;
export type ClusterEvent = Extract<Event, { TYPE: `Cluster${string}` }>;
export type ClusterEventType = ClusterEvent['TYPE'];

/** Narrows an event read from the journal; a bad one means the journal is corrupt. */
export function parseEvent(raw: unknown): Event {
  const result = eventSchema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue === undefined ? '' : issue.path.map(String).join('.');
  const type = typeof raw === 'object' && raw !== null && 'TYPE' in raw ? String(raw.TYPE) : 'unknown';
  throw new TandemError('JournalCorrupt', `event ${type} does not match its schema at '${where}': ${issue?.message ?? 'invalid'}`, {
    eventType: type,
    path: where,
    problem: issue?.message ?? 'invalid',
  });
}

export function isOrderEvent(e: Event): e is OrderEvent {
  return 'orderId' in e;
}

export function isClusterEvent(e: Event): e is ClusterEvent {
  return e.TYPE.startsWith('Cluster');
}
