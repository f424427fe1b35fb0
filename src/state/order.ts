import { z } from 'zod';
import type { Immutable } from './immutable.js';
import { outcomeSchema, type Outcome } from './outcome.js';
import { positionSchema } from './position.js';

export type OrderId = string;

export type ArgumentValue = string | number | boolean;
export type Arguments = Readonly<Record<string, ArgumentValue>>;

function isArguments(x: unknown): x is Arguments {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  for (const v of Object.values(x)) {
    if (typeof v !== 'string' && typeof v !== 'boolean' && !(typeof v === 'number' && Number.isFinite(v))) return false;
  }
  return true;
}

/**
 * Order arguments: a flat object of strings, finite numbers and booleans. Names are
 * checked where orders enter (commands); this hand-written check keeps replay fast.
 */
export const argumentsSchema = z.custom<Arguments>(isArguments, 'arguments must map names to strings, numbers or booleans');

export const forkChildSchema = z.object({ orderId: z.string(), branchId: z.string() });

/** Why a `Waiting` order waits (JS7 calls these states Forked and DelayedAfterError). */
export const waitReasonSchema = z.discriminatedUnion('TYPE', [
  z.object({ TYPE: z.literal('Forked'), children: z.array(forkChildSchema) }),
  z.object({ TYPE: z.literal('DelayedAfterError'), until: z.number() }),
]);

export const orderStateSchema = z.discriminatedUnion('TYPE', [
  z.object({ TYPE: z.literal('Fresh') }),
  z.object({ TYPE: z.literal('Ready') }),
  z.object({ TYPE: z.literal('Processing') }),
  // The job (or the fork) ended and its outcome is recorded; the engine moves on from here.
  z.object({ TYPE: z.literal('Processed') }),
  z.object({ TYPE: z.literal('Waiting'), reason: waitReasonSchema }),
  // `fresh`: suspended before it started, so resuming returns to Fresh (and its schedule).
  z.object({ TYPE: z.literal('Suspended'), fresh: z.literal(true).exactOptional() }),
  z.object({ TYPE: z.literal('Failed') }),
  z.object({ TYPE: z.literal('Disrupted') }),
  z.object({ TYPE: z.literal('Finished') }),
  z.object({ TYPE: z.literal('Cancelled') }),
]);

/** How often the Retry block at `position` has been entered; absent means the first try. */
export const retryCountSchema = z.object({ position: positionSchema, tries: z.number().int().min(2) });

export const orderMarkSchema = z.enum(['cancel', 'suspend']);

export const orderSchema = z.object({
  id: z.string().min(1),
  workflowPath: z.string(),
  workflowVersion: z.number().int(),
  arguments: argumentsSchema,
  scheduledFor: z.number().exactOptional(),
  position: positionSchema,
  state: orderStateSchema,
  outcomes: z.array(outcomeSchema),
  /** Job starts at the current position (a restart after a disruption counts again). */
  attempt: z.number().int().min(0),
  mark: orderMarkSchema.exactOptional(),
  parentId: z.string().exactOptional(),
  branchId: z.string().exactOptional(),
  retries: z.array(retryCountSchema).exactOptional(),
  /** The EventId of the OrderFinished or OrderCancelled that ended the order: the retention counts from it. */
  endedAt: z.number().int().min(0).exactOptional(),
});

export type Order = Immutable<z.infer<typeof orderSchema>>;
export type OrderState = Order['state'];
export type OrderStateType = OrderState['TYPE'];
export type WaitReason = Immutable<z.infer<typeof waitReasonSchema>>;
export type OrderMark = z.infer<typeof orderMarkSchema>;

/** States an order never leaves by itself (Failed can still be resumed or cancelled by a command). */
export function isTerminated(state: OrderState): boolean {
  return state.TYPE === 'Finished' || state.TYPE === 'Cancelled' || state.TYPE === 'Failed';
}

/** Finished and Cancelled orders keep no claim on their workflow version. */
export function isOver(state: OrderState): boolean {
  return state.TYPE === 'Finished' || state.TYPE === 'Cancelled';
}

export function lastOutcome(order: Order): Outcome | undefined {
  return order.outcomes[order.outcomes.length - 1];
}
