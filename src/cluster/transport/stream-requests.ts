import { z } from 'zod';
import { asEpoch, asEventId, parseInput, type Epoch, type EventId } from '../../common/index.js';
import type { AckStreamRequest, JournalStreamRequest, WatchStreamRequest } from './transport.js';

/** Query parameters as they travel in a URL. */
export type QueryText = Readonly<Record<string, string>>;

const wholeNumberText = z
  .string()
  .regex(/^\d{1,16}$/, 'must be a non-negative integer')
  .transform(Number)
  .refine(Number.isSafeInteger, 'must be at most 2^53');

const eventIdText = wholeNumberText.transform((n): EventId => asEventId(n));
const epochText = wholeNumberText.transform((n): Epoch => asEpoch(n));

/** `GET /journal?file=&position=&epoch=&journalId=`. */
const journalQuerySchema = z.object({
  file: eventIdText.optional(),
  position: wholeNumberText.optional(),
  epoch: epochText,
  journalId: z.string().min(1).max(200).optional(),
});

/** `GET /event?onlyAcks=true&epoch=`. */
const ackQuerySchema = z.object({
  onlyAcks: z.literal('true', 'must be true'),
  epoch: epochText,
});

/** `GET /cluster/clusterWatchMessage?watchId=`. */
const watchQuerySchema = z.object({
  watchId: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'a watch id is 1–100 characters of [A-Za-z0-9._-]'),
});

/** The query a watch request travels as. */
export function watchQuery(request: WatchStreamRequest): QueryText {
  return { watchId: request.watchId };
}

/** The watch request a query stands for; throws InvalidRequest. */
export function parseWatchQuery(query: unknown): WatchStreamRequest {
  return { watchId: parseInput(watchQuerySchema, query, 'watch query').watchId };
}

/** As normalizedJournalRequest, for the watch stream. */
export function normalizedWatchRequest(request: WatchStreamRequest): WatchStreamRequest {
  return parseWatchQuery(watchQuery(request));
}

/** The query a journal request travels as. */
export function journalQuery(request: JournalStreamRequest): QueryText {
  return {
    ...(request.fileEventId === undefined ? {} : { file: String(request.fileEventId) }),
    ...(request.position === undefined ? {} : { position: String(request.position) }),
    epoch: String(request.epoch),
    ...(request.journalId === undefined ? {} : { journalId: request.journalId }),
  };
}

/** The journal request a query stands for; throws InvalidRequest. */
export function parseJournalQuery(query: unknown): JournalStreamRequest {
  const q = parseInput(journalQuerySchema, query, 'journal query');
  return {
    ...(q.file === undefined ? {} : { fileEventId: q.file }),
    ...(q.position === undefined ? {} : { position: q.position }),
    epoch: q.epoch,
    ...(q.journalId === undefined ? {} : { journalId: q.journalId }),
  };
}

/** The query an acknowledgement request travels as. */
export function ackQuery(request: AckStreamRequest): QueryText {
  return { onlyAcks: 'true', epoch: String(request.epoch) };
}

/** The acknowledgement request a query stands for; throws InvalidRequest. */
export function parseAckQuery(query: unknown): AckStreamRequest {
  return { epoch: parseInput(ackQuerySchema, query, 'acknowledgement query').epoch };
}

/** True when a `GET /event` query asks for acknowledgements (the node-to-node branch), whatever the value. */
export function asksForAcks(query: unknown): boolean {
  return typeof query === 'object' && query !== null && Object.hasOwn(query, 'onlyAcks');
}

/** Checks that a request is well formed the way the server would, so the in-memory transport refuses what HTTPS refuses. */
export function normalizedJournalRequest(request: JournalStreamRequest): JournalStreamRequest {
  return parseJournalQuery(journalQuery(request));
}

/** As normalizedJournalRequest, for acknowledgements. */
export function normalizedAckRequest(request: AckStreamRequest): AckStreamRequest {
  return parseAckQuery(ackQuery(request));
}
