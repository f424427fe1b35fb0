import {
  failed,
  forkBranchId,
  intoBranch,
  isTerminated,
  lastOutcome,
  positionsEqual,
  succeeded,
  type ControllerState,
  type EventOf,
  type Order,
  type Outcome,
  type WaitReason,
} from '../state/index.js';
import { AssertionError } from 'node:assert';
import { parseDuration } from './duration.js';
import type { Enclosing } from './instruction-navigator.js';

type FailureEvent = EventOf<'OrderCaught'> | EventOf<'OrderRetrying'> | EventOf<'OrderFailed'>;

/**
 * Where a failure at the order's position leads, looking outwards through the
 * enclosing blocks: the nearest `try` catches it; a `retry` block starts again while
 * it has tries left (after its delay), else the failure goes on outwards; a fork
 * branch is as far as it goes (the parent learns of it when it joins).
 */
export function routeFailure(order: Order, enclosing: readonly Enclosing[], outcome: Outcome, now: number): FailureEvent {
  for (let k = enclosing.length - 1; k >= 0; k--) {
    const block = enclosing[k];
    if (block === undefined) break;
    if (block.branch === 'try') return { TYPE: 'OrderCaught', orderId: order.id, to: intoBranch(block.position, 'catch'), outcome };
    if (block.branch === 'retry' && block.instruction.TYPE === 'Retry') {
      const tries = order.retries?.find((r) => positionsEqual(r.position, block.position))?.tries ?? 1;
      if (tries < block.instruction.maxTries) {
        const delay = retryDelay(block.instruction.retryDelays, tries);
        const to = intoBranch(block.position, 'retry');
        return delay > 0
          ? { TYPE: 'OrderRetrying', orderId: order.id, to, delayedUntil: now + delay }
          : { TYPE: 'OrderRetrying', orderId: order.id, to };
      }
    }
    if (forkBranchId(block.branch) !== undefined) break;
  }
  return { TYPE: 'OrderFailed', orderId: order.id, outcome };
}

/** The delay after try `tries`: the list is used in order and its last entry repeats. */
function retryDelay(delays: readonly string[] | undefined, tries: number): number {
  if (delays === undefined || delays.length === 0) return 0;
  const text = delays[Math.min(tries, delays.length) - 1] ?? '0s';
  return parseDuration(text) ?? 0;
}

/**
 * The outcome of a fork once every child has ended, or undefined while one still runs.
 * A child that did not finish (failed or was cancelled) fails the fork.
 */
export function joinOutcome(state: ControllerState, reason: Extract<WaitReason, { TYPE: 'Forked' }>): Outcome | undefined {
  const problems: string[] = [];
  for (const { orderId, branchId } of reason.children) {
    const child = state.orders.get(orderId);
    if (child === undefined) throw new AssertionError({ message: `fork child ${orderId} is missing from the state` });
    if (!isTerminated(child.state)) return undefined;
    if (child.state.TYPE === 'Cancelled') problems.push(`branch ${branchId} was cancelled`);
    if (child.state.TYPE === 'Failed') {
      const last = lastOutcome(child);
      problems.push(`branch ${branchId} failed${last?.TYPE === 'Failed' ? `: ${last.message}` : ''}`);
    }
  }
  return problems.length === 0 ? succeeded(0) : failed(problems.join('; '));
}
