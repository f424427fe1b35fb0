import { AssertionError } from 'node:assert';
import {
  evolveOrder,
  failed,
  forkBranchId,
  indexOf,
  intoBranch,
  isOrderEvent,
  isOver,
  lastOutcome,
  withIndex,
  workflowOf,
  type ControllerState,
  type Event,
  type EventOf,
  type Order,
  type OrderEvent,
  type Outcome,
  type Workflow,
} from '../state/index.js';
import { ExpressionError, evaluatePredicate, parseExpression, type Value } from './expression.js';
import { joinOutcome, routeFailure } from './failure-routing.js';
import { locate } from './instruction-navigator.js';
import { jobEnv } from './order-env.js';

/** What advancing an order produced: events to commit, and when to look again if it waits for time. */
export interface Advance {
  readonly events: Event[];
  readonly wakeAt?: number;
}

type StepEvent = Exclude<OrderEvent, EventOf<'OrderAdded' | 'OrderDeleted'>>;
type Step = { readonly TYPE: 'Emit'; readonly events: readonly StepEvent[] } | { readonly TYPE: 'Stop'; readonly wakeAt?: number };

// Retry blocks are the only loops and each is bounded by maxTries (≤ 1000), so a chain
// longer than this means a bug, not a workflow.
const MAX_STEPS = 100_000;

/**
 * The events that move an order as far as it can go without a side effect: it stops
 * at a job start (OrderProcessingStarted — the job runs once that is committed), at a
 * fork, at a wait for time, or when the order ends. The events are valid in sequence
 * (each is simulated on a copy of the order). An unknown order yields no events.
 */
export function advanceOrder(state: ControllerState, orderId: string, now: number): Advance {
  let order = state.orders.get(orderId);
  // An ended order may run a workflow version that has been dropped since; it has nothing to do anyway.
  if (order === undefined || isOver(order.state)) return { events: [] };
  const workflow = workflowOf(state, order) ?? fail(`order ${orderId} runs workflow ${order.workflowPath} version ${order.workflowVersion}, which is not in the state`);
  const events: Event[] = [];
  for (let steps = 0; steps < MAX_STEPS; steps++) {
    const step = nextStep(state, workflow, order, now);
    if (step.TYPE === 'Stop') return step.wakeAt === undefined ? { events } : { events, wakeAt: step.wakeAt };
    for (const e of step.events) {
      events.push(e);
      order = evolveOrder(order, e);
    }
    // The children exist only once OrderForked is applied; the join is looked at then.
    if (order.state.TYPE === 'Waiting' && order.state.reason.TYPE === 'Forked') return { events };
  }
  return fail(`order ${orderId} did not come to rest after ${MAX_STEPS} steps`);
}

function nextStep(state: ControllerState, workflow: Workflow, order: Order, now: number): Step {
  const id = order.id;
  const s = order.state;
  switch (s.TYPE) {
    case 'Fresh':
      if (order.scheduledFor !== undefined && order.scheduledFor > now) return { TYPE: 'Stop', wakeAt: order.scheduledFor };
      return emit({ TYPE: 'OrderStarted', orderId: id });
    case 'Ready':
      return markStep(order) ?? readyStep(workflow, order, now);
    case 'Processed': {
      if (order.mark === 'cancel') return emit({ TYPE: 'OrderCancelled', orderId: id });
      const outcome = lastOutcome(order) ?? fail(`processed order ${id} has no outcome`);
      switch (outcome.TYPE) {
        case 'Succeeded':
          return emit({ TYPE: 'OrderMoved', orderId: id, to: withIndex(order.position, indexOf(order.position) + 1) });
        case 'Failed':
          return emit(routeFailure(order, locate(workflow, order.position).enclosing, outcome, now));
        case 'Cancelled':
          return emit({ TYPE: 'OrderCancelled', orderId: id });
        case 'Disrupted':
          return fail(`processed order ${id} has a Disrupted outcome; it should be Disrupted`);
        default:
          return unreachable(outcome);
      }
    }
    case 'Waiting': {
      const reason = s.reason;
      if (reason.TYPE === 'Forked') {
        const outcome = joinOutcome(state, reason);
        return outcome === undefined ? { TYPE: 'Stop' } : emit({ TYPE: 'OrderJoined', orderId: id, outcome });
      }
      return markStep(order) ?? (reason.until <= now ? emit({ TYPE: 'OrderAwoke', orderId: id }) : { TYPE: 'Stop', wakeAt: reason.until });
    }
    case 'Disrupted': {
      const marked = markStep(order);
      if (marked !== undefined) return marked;
      const instruction = locate(workflow, order.position).instruction;
      return instruction?.TYPE === 'Execute' && instruction.job.restartable === true ? emit({ TYPE: 'OrderRestarted', orderId: id }) : { TYPE: 'Stop' };
    }
    case 'Processing':
    case 'Suspended':
    case 'Failed':
    case 'Finished':
    case 'Cancelled':
      return { TYPE: 'Stop' };
    default:
      return unreachable(s);
  }
}

/** A mark that waited for a job or a fork takes effect once the order is at rest. */
function markStep(order: Order): Step | undefined {
  if (order.mark === 'cancel') return emit({ TYPE: 'OrderCancelled', orderId: order.id });
  if (order.mark === 'suspend') return emit({ TYPE: 'OrderSuspended', orderId: order.id });
  return undefined;
}

function readyStep(workflow: Workflow, order: Order, now: number): Step {
  const id = order.id;
  const { instruction, enclosing } = locate(workflow, order.position);
  const failWith = (outcome: Outcome): Step =>
    emit({ TYPE: 'OrderOutcomeAdded', orderId: id, outcome }, routeFailure(order, enclosing, outcome, now));
  const next = withIndex(order.position, indexOf(order.position) + 1);

  if (instruction === undefined) {
    const block = enclosing[enclosing.length - 1];
    // The end of the workflow, or of a fork branch (a child's whole life).
    if (block === undefined || forkBranchId(block.branch) !== undefined) return emit({ TYPE: 'OrderFinished', orderId: id });
    return emit({ TYPE: 'OrderMoved', orderId: id, to: withIndex(block.position, indexOf(block.position) + 1) });
  }
  switch (instruction.TYPE) {
    case 'Execute': {
      const env = jobEnv(order, instruction.job);
      if (env.TYPE === 'Unresolved') return failWith(failed(env.message));
      return emit({ TYPE: 'OrderProcessingStarted', orderId: id, attempt: order.attempt + 1 });
    }
    case 'If': {
      let holds: boolean;
      try {
        holds = evaluatePredicate(parseExpression(instruction.predicate), predicateVariables(order));
      } catch (err) {
        if (!(err instanceof ExpressionError)) throw err;
        return failWith(failed(`If ${JSON.stringify(instruction.predicate)}: ${err.message}`));
      }
      if (holds) return emit({ TYPE: 'OrderMoved', orderId: id, to: intoBranch(order.position, 'then') });
      return emit({ TYPE: 'OrderMoved', orderId: id, to: instruction.else === undefined ? next : intoBranch(order.position, 'else') });
    }
    case 'TryCatch':
      return emit({ TYPE: 'OrderMoved', orderId: id, to: intoBranch(order.position, 'try') });
    case 'Retry':
      return emit({ TYPE: 'OrderMoved', orderId: id, to: intoBranch(order.position, 'retry') });
    case 'Fork':
      return emit({
        TYPE: 'OrderForked',
        orderId: id,
        children: instruction.branches.map((b) => ({ orderId: `${id}|${b.id}`, branchId: b.id })),
      });
    case 'Fail':
      return failWith(failed(instruction.message ?? 'failed by a Fail instruction', instruction.returnCode));
    case 'Finish':
      return emit({ TYPE: 'OrderFinished', orderId: id });
    default:
      return unreachable(instruction);
  }
}

/** Order arguments, and `returnCode` of the latest outcome that has one (it wins over an argument of that name). */
function predicateVariables(order: Order): Map<string, Value> {
  const vars = new Map<string, Value>(Object.entries(order.arguments));
  for (let i = order.outcomes.length - 1; i >= 0; i--) {
    const o = order.outcomes[i];
    if ((o?.TYPE === 'Succeeded' || o?.TYPE === 'Failed') && o.returnCode !== undefined) {
      vars.set('returnCode', o.returnCode);
      break;
    }
  }
  return vars;
}

/** Which orders the committed `events` may have made ready to move (advanceOrder decides whether they are). */
export function ordersToAdvance(events: readonly Event[]): string[] {
  const ids = new Set<string>();
  for (const e of events) {
    if (!isOrderEvent(e) || e.TYPE === 'OrderStdWritten' || e.TYPE === 'OrderProcessingStarted' || e.TYPE === 'OrderDeleted') continue;
    ids.add(e.orderId);
    if (e.TYPE === 'OrderForked') for (const c of e.children) ids.add(c.orderId);
    const bar = e.orderId.lastIndexOf('|');
    // A child that ended may be the last one its parent waits for.
    if (bar > 0 && (e.TYPE === 'OrderFinished' || e.TYPE === 'OrderFailed' || e.TYPE === 'OrderCancelled')) ids.add(e.orderId.slice(0, bar));
  }
  return [...ids];
}

/** Orders whose running job must be killed once the events are committed (cancelled while processing). */
export function ordersToKill(events: readonly Event[]): string[] {
  const ids: string[] = [];
  for (const e of events) if (e.TYPE === 'OrderCancellationMarked') ids.push(e.orderId);
  return ids;
}

function emit(...events: StepEvent[]): Step {
  return { TYPE: 'Emit', events };
}

function fail(message: string): never {
  throw new AssertionError({ message });
}

function unreachable(x: never): never {
  throw new Error(`unhandled ${JSON.stringify(x)}`);
}
