import { z } from 'zod';
import { asEventId, type EventId } from '../common/index.js';

/** The format version this build writes and the newest it reads. */
export const JOURNAL_FORMAT_VERSION = 1;

/** One event as the journal stores it: the owner's opaque value and its id. */
export interface StampedEvent<E = unknown> {
  readonly eventId: EventId;
  readonly event: E;
}

const eventIdSchema = z
  .number()
  .int()
  .nonnegative()
  .max(Number.MAX_SAFE_INTEGER)
  .transform((n) => asEventId(n));

/** Only what is needed to decide whether this build can read the file at all. */
const headerVersionSchema = z.looseObject({
  TYPE: z.literal('JournalHeader'),
  version: z.number().int().positive(),
});

const headerSchema = z.object({
  TYPE: z.literal('JournalHeader'),
  version: z.literal(JOURNAL_FORMAT_VERSION),
  journalId: z.string().min(1),
  fileEventId: eventIdSchema,
  generation: z.number().int().positive(),
  snapshotCount: z.number().int().nonnegative(),
  createdAt: z.number(),
});

/** The first record of every journal file. */
export type JournalHeader = z.output<typeof headerSchema>;

/** The result of narrowing a decoded body; `problem` is a short human phrase. */
export type Narrowed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

function summarise(error: z.ZodError): string {
  const first = error.issues[0];
  if (first === undefined) return 'invalid';
  const path = first.path.length > 0 ? first.path.join('.') : '(root)';
  return `${path}: ${first.message}`;
}

/** Narrows a decoded header body; `unsupported` when it is a header of a newer format. */
export function parseHeader(body: unknown): Narrowed<JournalHeader> | { readonly ok: false; readonly unsupported: number } {
  const versioned = headerVersionSchema.safeParse(body);
  if (!versioned.success) return { ok: false, problem: `not a journal header (${summarise(versioned.error)})` };
  if (versioned.data.version > JOURNAL_FORMAT_VERSION) return { ok: false, unsupported: versioned.data.version };
  const parsed = headerSchema.safeParse(body);
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, problem: `malformed journal header (${summarise(parsed.error)})` };
}

/**
 * Narrows a decoded event-record body whose events must all come after `after`:
 * a non-empty array of `{eventId, event}` with strictly increasing safe-integer ids.
 * Checked by hand and returned as is, without the copy a schema makes of every
 * element: this runs for every event a node recovers and a passive replicates.
 */
export function parseEvents(body: unknown, after: EventId): Narrowed<readonly StampedEvent[]> {
  if (!Array.isArray(body)) return { ok: false, problem: 'malformed event record ((root): expected an array)' };
  if (body.length === 0) return { ok: false, problem: 'malformed event record ((root): no events)' };
  let last: number = after;
  for (let i = 0; i < body.length; i++) {
    const element: unknown = body[i];
    if (typeof element !== 'object' || element === null || Array.isArray(element) || !('event' in element)) {
      return { ok: false, problem: `malformed event record (${i}: expected an object with eventId and event)` };
    }
    const eventId = (element as { eventId?: unknown }).eventId;
    if (typeof eventId !== 'number') return { ok: false, problem: `malformed event record (${i}.eventId: expected a number)` };
    if (!Number.isSafeInteger(eventId)) return { ok: false, problem: `EventId ${eventId} is not a safe integer` };
    if (eventId <= last) return { ok: false, problem: `EventId ${eventId} is not after ${last}: events out of order` };
    last = eventId;
  }
  return { ok: true, value: body as StampedEvent[] };
}

/** Builds the header of a new file. */
export function makeHeader(fields: Omit<JournalHeader, 'TYPE' | 'version'>): JournalHeader {
  // Field order is fixed here so that equal headers encode to equal bytes.
  return {
    TYPE: 'JournalHeader',
    version: JOURNAL_FORMAT_VERSION,
    journalId: fields.journalId,
    fileEventId: fields.fileEventId,
    generation: fields.generation,
    snapshotCount: fields.snapshotCount,
    createdAt: fields.createdAt,
  };
}
