import { z } from 'zod';

const orderStdWritten = z.object({
  TYPE: z.literal('OrderStdWritten'),
  orderId: z.string(),
  stream: z.enum(['stdout', 'stderr']),
  chunk: z.string(),
});

const orderAdded = z.object({
  TYPE: z.literal('OrderAdded'),
  orderId: z.string(),
  workflowPath: z.string(),
});

const orderTerminated = z.object({
  TYPE: z.enum(['OrderFinished', 'OrderFailed', 'OrderCancelled']),
  orderId: z.string(),
  outcome: z.object({ TYPE: z.string() }).optional(),
});

const indexedEvent = z.discriminatedUnion('TYPE', [orderStdWritten, orderAdded, orderTerminated]);

/** The events the read model indexes, narrowed to the fields it keeps. */
export type IndexedEvent = z.infer<typeof indexedEvent>;

const indexedTypes: ReadonlySet<string> = new Set([
  'OrderStdWritten',
  'OrderAdded',
  'OrderFinished',
  'OrderFailed',
  'OrderCancelled',
]);

/**
 * Narrows a committed event to one the read model indexes. Returns undefined for
 * every other event, and for an indexed TYPE whose shape is not as expected
 * (`problem` then says why, for the log).
 */
export function toIndexedEvent(event: unknown): { event?: IndexedEvent; problem?: string } {
  // Most events are not indexed; checking TYPE first spares building a parse error for each.
  if (typeof event !== 'object' || event === null || !('TYPE' in event)) return {};
  if (typeof event.TYPE !== 'string' || !indexedTypes.has(event.TYPE)) return {};
  const parsed = indexedEvent.safeParse(event);
  return parsed.success ? { event: parsed.data } : { problem: parsed.error.message };
}
