import { z } from 'zod';
import type { EventId } from '../common/index.js';

/*
 * Key layout (level sorts keys as strings):
 *   meta:lastEventId                      → number
 *   order:<order>                         → { workflowPath }       (orders not yet finished)
 *   log:<order>:<eventId, 16 digits>      → { stream, chunk }
 *   hist:<eventId, 16 digits>             → HistoryRecord
 * EventIds are ≤ 2^53, which has 16 digits, so zero-padding to 16 sorts them numerically.
 */

export const LAST_EVENT_ID_KEY = 'meta:lastEventId';

const EVENT_ID_DIGITS = 16;

export function padEventId(eventId: EventId): string {
  return String(eventId).padStart(EVENT_ID_DIGITS, '0');
}

/**
 * Makes an order id safe inside a key: it can then hold no ':' or ';', so
 * `log:<order>:` … `log:<order>;` spans exactly that order's entries. Every UTF-16
 * unit outside a small safe set becomes `%` and 4 hex digits, which is injective
 * and, unlike encodeURIComponent, accepts lone surrogates.
 */
export function encodeOrderId(orderId: string): string {
  return orderId.replace(/[^A-Za-z0-9._~-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export const orderKey = (orderId: string): string => `order:${encodeOrderId(orderId)}`;

export const logKey = (orderId: string, eventId: EventId): string =>
  `log:${encodeOrderId(orderId)}:${padEventId(eventId)}`;

/** Bounds of one order's log entries after `after` (exclusive) in key order. */
export function logRange(orderId: string, after: EventId | undefined): { gt: string; lt: string } {
  const prefix = `log:${encodeOrderId(orderId)}`;
  return { gt: after === undefined ? `${prefix}:` : `${prefix}:${padEventId(after)}`, lt: `${prefix};` };
}

export const historyKey = (eventId: EventId): string => `hist:${padEventId(eventId)}`;

export function historyRange(after: EventId | undefined): { gt: string; lt: string } {
  return { gt: after === undefined ? 'hist:' : historyKey(after), lt: 'hist;' };
}

/** `log:<order>:<eventId>` → the eventId. */
export function eventIdOfKey(key: string): number {
  return Number(key.slice(key.lastIndexOf(':') + 1));
}

// Stored values are read back through schemas too: the database outlives the code that wrote it.

export const lastEventIdValue = z.number().int().nonnegative();

export const orderValue = z.object({ workflowPath: z.string() });

export const logValue = z.object({ stream: z.enum(['stdout', 'stderr']), chunk: z.string() });

export const historyValue = z.object({
  orderId: z.string(),
  workflowPath: z.string().nullable(),
  outcome: z.string().nullable(),
  state: z.enum(['Finished', 'Failed', 'Cancelled']),
});
