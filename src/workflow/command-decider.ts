import { TandemError } from '../common/index.js';
import { isTerminated, latestWorkflow, type ControllerState, type Event, type Order } from '../state/index.js';
import type { BusinessCommand } from './commands.js';
import { jsonEqual } from './json-equal.js';

/** What a command answers when it is accepted. */
export type Accepted = {
  readonly TYPE: 'Accepted';
  /** The same AddOrder (or an unchanged deploy) was accepted before; nothing new happened. */
  readonly duplicate?: true;
  /** DeployWorkflow: the version now current. */
  readonly versionId?: number;
};

export interface Decision {
  readonly events: Event[];
  readonly response: Accepted;
}

/**
 * The events a business command causes — pure, all or nothing: a command naming
 * several orders is refused whole if one of them cannot change.
 */
export function decideCommand(state: ControllerState, command: BusinessCommand, now: number): Decision {
  switch (command.TYPE) {
    case 'DeployWorkflow': {
      const { path, instructions } = command.workflow;
      const latest = latestWorkflow(state, path);
      if (latest !== undefined && jsonEqual(latest.instructions, instructions)) {
        return accepted([], { duplicate: true, versionId: latest.versionId });
      }
      const versionId = (latest?.versionId ?? 0) + 1;
      return accepted([{ TYPE: 'WorkflowDeployed', workflow: { path, versionId, instructions } }], { versionId });
    }
    case 'AddOrder': {
      const { id, workflowPath, scheduledFor } = command.order;
      const args = command.order.arguments ?? {};
      const existing = state.orders.get(id);
      if (existing !== undefined) {
        if (existing.workflowPath === workflowPath && jsonEqual(existing.arguments, args)) return accepted([], { duplicate: true });
        throw new TandemError('OrderIdConflict', `Order ${id} exists already with another workflow or other arguments.`, { orderId: id });
      }
      const workflow = latestWorkflow(state, workflowPath) ?? unknownWorkflow(workflowPath);
      return accepted([
        {
          TYPE: 'OrderAdded',
          orderId: id,
          workflowPath,
          workflowVersion: workflow.versionId,
          arguments: args,
          ...(scheduledFor === undefined ? {} : { scheduledFor }),
        },
      ]);
    }
    case 'CancelOrders':
      return accepted(forEachOrder(state, command.orderIds, cancelEvents));
    case 'SuspendOrders':
      return accepted(forEachOrder(state, command.orderIds, suspendEvents));
    case 'ResumeOrders':
      return accepted(forEachOrder(state, command.orderIds, resumeEvents));
    case 'DeploySchedule': {
      const s = command.schedule;
      if (latestWorkflow(state, s.workflowPath) === undefined) unknownWorkflow(s.workflowPath);
      const schedule = { id: s.id, workflowPath: s.workflowPath, cron: s.cron, arguments: s.arguments ?? {} };
      const existing = state.schedules.get(s.id);
      if (existing !== undefined && jsonEqual(existing.schedule, schedule)) return accepted([], { duplicate: true });
      // A changed schedule counts its ticks from now; never from before a tick it already fired.
      const since = Math.max(now, existing?.lastTick ?? now);
      return accepted([{ TYPE: 'ScheduleDeployed', schedule, since }]);
    }
    case 'DeleteSchedule':
      if (!state.schedules.has(command.scheduleId)) {
        throw new TandemError('UnknownSchedule', `No schedule has the id ${command.scheduleId}.`, { scheduleId: command.scheduleId });
      }
      return accepted([{ TYPE: 'ScheduleDeleted', scheduleId: command.scheduleId }]);
    default:
      return unreachable(command);
  }
}

function accepted(events: Event[], extra: { duplicate?: true; versionId?: number } = {}): Decision {
  return { events, response: { TYPE: 'Accepted', ...extra } };
}

function unknownWorkflow(path: string): never {
  throw new TandemError('UnknownWorkflow', `No workflow is deployed under ${path}.`, { workflowPath: path });
}

type Change = (state: ControllerState, order: Order) => Event[] | string;

/** Applies `change` to every named order; a string result is why that order cannot change. */
function forEachOrder(state: ControllerState, ids: readonly string[], change: Change): Event[] {
  const events: Event[] = [];
  for (const id of new Set(ids)) {
    const order = state.orders.get(id);
    if (order === undefined) throw new TandemError('UnknownOrder', `No order has the id ${id}.`, { orderId: id });
    const result = change(state, order);
    if (typeof result === 'string') {
      throw new TandemError('OrderNotSuspendable', `Order ${id} ${result}.`, { orderId: id, state: order.state.TYPE });
    }
    events.push(...result);
  }
  return events;
}

function cancelEvents(state: ControllerState, order: Order): Event[] | string {
  const orderId = order.id;
  const s = order.state;
  switch (s.TYPE) {
    case 'Cancelled':
      return [];
    case 'Finished':
      return 'has finished and cannot be cancelled';
    case 'Processing':
      // The job is killed once this mark is committed; the order is cancelled when it ends.
      return order.mark === 'cancel' ? [] : [{ TYPE: 'OrderCancellationMarked', orderId }];
    case 'Waiting':
      if (s.reason.TYPE === 'Forked') {
        const events: Event[] = order.mark === 'cancel' ? [] : [{ TYPE: 'OrderCancellationMarked', orderId }];
        for (const { orderId: childId } of s.reason.children) {
          const child = state.orders.get(childId);
          if (child === undefined || isTerminated(child.state)) continue;
          const more = cancelEvents(state, child);
          if (typeof more !== 'string') events.push(...more);
        }
        return events;
      }
      return [{ TYPE: 'OrderCancelled', orderId }];
    case 'Fresh':
    case 'Ready':
    case 'Processed':
    case 'Suspended':
    case 'Disrupted':
    case 'Failed':
      return [{ TYPE: 'OrderCancelled', orderId }];
    default:
      return unreachable(s);
  }
}

function suspendEvents(_state: ControllerState, order: Order): Event[] | string {
  const orderId = order.id;
  const s = order.state;
  switch (s.TYPE) {
    case 'Suspended':
      return [];
    case 'Fresh':
    case 'Ready':
    case 'Disrupted':
      return [{ TYPE: 'OrderSuspended', orderId }];
    case 'Waiting':
      if (s.reason.TYPE === 'DelayedAfterError') return [{ TYPE: 'OrderSuspended', orderId }];
      return markForSuspension(order);
    case 'Processing':
    case 'Processed':
      // Suspends once the job's outcome has moved the order on.
      return markForSuspension(order);
    case 'Failed':
    case 'Finished':
    case 'Cancelled':
      return `is ${s.TYPE} and cannot be suspended`;
    default:
      return unreachable(s);
  }
}

function markForSuspension(order: Order): Event[] | string {
  if (order.mark === 'cancel') return 'is being cancelled and cannot be suspended';
  return order.mark === 'suspend' ? [] : [{ TYPE: 'OrderSuspensionMarked', orderId: order.id }];
}

function resumeEvents(_state: ControllerState, order: Order): Event[] | string {
  const orderId = order.id;
  switch (order.state.TYPE) {
    case 'Suspended':
    case 'Disrupted':
    case 'Failed':
      return [{ TYPE: 'OrderResumed', orderId }];
    default:
      // A suspension that has not taken effect yet is withdrawn.
      if (order.mark === 'suspend') return [{ TYPE: 'OrderResumptionMarked', orderId }];
      return `is ${order.state.TYPE}, not suspended, disrupted or failed`;
  }
}

function unreachable(x: never): never {
  throw new Error(`unhandled ${JSON.stringify(x)}`);
}
