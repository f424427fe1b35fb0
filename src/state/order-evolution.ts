import { eventMismatch } from './event-mismatch.js';
import type { EventOf, OrderEvent } from './events.js';
import type { Order, OrderStateType } from './order.js';
import { isInside, positionsEqual, type Position } from './position.js';

/**
 * How one order changes under one of its events — the single-order part of
 * `applyEvent`, also used by the engine to simulate a chain of events on a copy.
 * Creating and removing orders (OrderAdded, OrderDeleted, fork children) is `applyEvent`'s job.
 * Returns a new Order; the input is never changed.
 */
export function evolveOrder(order: Order, event: Exclude<OrderEvent, EventOf<'OrderAdded' | 'OrderDeleted'>>): Order {
  switch (event.TYPE) {
    case 'OrderStarted':
      expect(order, event, 'Fresh');
      return { ...order, state: { TYPE: 'Ready' } };
    case 'OrderProcessingStarted':
      expect(order, event, 'Ready');
      return { ...order, state: { TYPE: 'Processing' }, attempt: event.attempt };
    case 'OrderStdWritten':
      expect(order, event, 'Processing');
      return order;
    case 'OrderProcessed':
      expect(order, event, 'Processing');
      return {
        ...order,
        state: event.outcome.TYPE === 'Disrupted' ? { TYPE: 'Disrupted' } : { TYPE: 'Processed' },
        outcomes: [...order.outcomes, event.outcome],
      };
    case 'OrderOutcomeAdded':
      expect(order, event, 'Ready');
      return { ...order, outcomes: [...order.outcomes, event.outcome] };
    case 'OrderMoved':
    case 'OrderCaught':
      expect(order, event, 'Ready', 'Processed');
      return moveTo(order, event.to, order.retries);
    case 'OrderForked':
      expect(order, event, 'Ready');
      return { ...order, state: { TYPE: 'Waiting', reason: { TYPE: 'Forked', children: event.children } } };
    case 'OrderJoined':
      if (order.state.TYPE !== 'Waiting' || order.state.reason.TYPE !== 'Forked') eventMismatch(event, 'the order is not waiting for fork children');
      return { ...order, state: { TYPE: 'Processed' }, outcomes: [...order.outcomes, event.outcome] };
    case 'OrderRetrying': {
      expect(order, event, 'Ready', 'Processed');
      const moved = moveTo(order, event.to, withOneMoreTry(order, event.to, event));
      return event.delayedUntil === undefined
        ? moved
        : { ...moved, state: { TYPE: 'Waiting', reason: { TYPE: 'DelayedAfterError', until: event.delayedUntil } } };
    }
    case 'OrderAwoke':
      if (order.state.TYPE !== 'Waiting' || order.state.reason.TYPE !== 'DelayedAfterError') eventMismatch(event, 'the order is not delayed');
      return { ...order, state: { TYPE: 'Ready' } };
    case 'OrderFailed':
      expect(order, event, 'Ready', 'Processed');
      return withoutMark({ ...order, state: { TYPE: 'Failed' } });
    case 'OrderFinished':
      expect(order, event, 'Ready');
      return withoutMark({ ...order, state: { TYPE: 'Finished' } });
    case 'OrderRestarted':
      expect(order, event, 'Disrupted');
      return { ...order, state: { TYPE: 'Ready' } };
    case 'OrderCancellationMarked':
      expectMarkable(order, event);
      return { ...order, mark: 'cancel' };
    case 'OrderSuspensionMarked':
      expectMarkable(order, event);
      if (order.mark === 'cancel') eventMismatch(event, 'the order is already marked for cancellation');
      return { ...order, mark: 'suspend' };
    case 'OrderResumptionMarked':
      if (order.mark !== 'suspend') eventMismatch(event, 'the order has no suspension mark');
      return withoutMark(order);
    case 'OrderCancelled':
      expect(order, event, 'Fresh', 'Ready', 'Processed', 'Waiting', 'Suspended', 'Failed', 'Disrupted');
      if (order.state.TYPE === 'Waiting' && order.state.reason.TYPE === 'Forked') eventMismatch(event, 'fork children are still running');
      return withoutMark({ ...order, state: { TYPE: 'Cancelled' } });
    case 'OrderSuspended':
      expect(order, event, 'Fresh', 'Ready', 'Waiting', 'Disrupted');
      if (order.state.TYPE === 'Waiting' && order.state.reason.TYPE === 'Forked') eventMismatch(event, 'fork children are still running');
      return withoutMark({ ...order, state: order.state.TYPE === 'Fresh' ? { TYPE: 'Suspended', fresh: true } : { TYPE: 'Suspended' } });
    case 'OrderResumed':
      expect(order, event, 'Suspended', 'Disrupted', 'Failed');
      return {
        ...order,
        state: order.state.TYPE === 'Suspended' && order.state.fresh === true ? { TYPE: 'Fresh' } : { TYPE: 'Ready' },
      };
    default:
      return unreachable(event);
  }
}

function expect(order: Order, event: OrderEvent, ...states: OrderStateType[]): void {
  if (!states.includes(order.state.TYPE)) {
    eventMismatch(event, `order ${order.id} is ${order.state.TYPE}, expected ${states.join(' or ')}`);
  }
}

/** Marks wait for something running: a job, or fork children. */
function expectMarkable(order: Order, event: OrderEvent): void {
  const s = order.state;
  if (s.TYPE === 'Processing' || s.TYPE === 'Processed' || (s.TYPE === 'Waiting' && s.reason.TYPE === 'Forked')) return;
  eventMismatch(event, `order ${order.id} is ${s.TYPE}; only a processing or forked order takes a mark`);
}

/** A new position starts a new attempt and forgets the tries of Retry blocks it left. */
function moveTo(order: Order, to: Position, retries: Order['retries']): Order {
  const kept = retries?.filter((r) => isInside(to, r.position, 'retry')) ?? [];
  const moved: Mutable<Order> = { ...order, position: to, state: { TYPE: 'Ready' }, attempt: 0 };
  if (kept.length === 0) delete moved.retries;
  else moved.retries = kept;
  return moved;
}

function withOneMoreTry(order: Order, to: Position, event: OrderEvent): Order['retries'] {
  const block = to.slice(0, -2);
  if (to[to.length - 2] !== 'retry') eventMismatch(event, 'a retry must go to the start of a Retry block');
  const others = (order.retries ?? []).filter((r) => !positionsEqual(r.position, block));
  const tries = (order.retries ?? []).find((r) => positionsEqual(r.position, block))?.tries ?? 1;
  return [...others, { position: block, tries: tries + 1 }];
}

function withoutMark(order: Order): Order {
  if (order.mark === undefined) return order;
  const copy: Mutable<Order> = { ...order };
  delete copy.mark;
  return copy;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function unreachable(x: never): never {
  throw new Error(`unhandled event ${JSON.stringify(x)}`);
}
