import type { EventId, Logger } from '../common/index.js';
import { listJournal, readRecords, type StampedEvent } from '../journal/index.js';
import type { ReadModel } from '../readmodel/index.js';

/** The journal a node has just recovered, as far as its read model needs to know. */
export interface RecoveredJournal {
  /** The journal directory. */
  readonly dir: string;
  /** The newest file: replay passes by the events after its snapshot. */
  readonly fileEventId: EventId;
  readonly lastEventId: EventId;
  /** The events replay passed by that the read model lacks, when `MissingEvents` kept them all. */
  readonly replayed?: readonly StampedEvent[] | undefined;
}

/** Events per read-model write while catching up. */
const chunk = 1000;

/** More missing events than this are read from the files again instead of being held in memory. */
const maxHeld = 100_000;

/**
 * Collects, while a journal replays, the events the read model lacks, so that the usual
 * restart (a read model a few writes behind) needs no second read of the newest file.
 * Past `maxHeld` it gives up and `events` is undefined.
 */
export class MissingEvents {
  readonly #after: EventId;
  #events: StampedEvent[] | undefined = [];

  constructor(readModelLastEventId: EventId) {
    this.#after = readModelLastEventId;
  }

  add(stamped: StampedEvent): void {
    if (stamped.eventId <= this.#after || this.#events === undefined) return;
    if (this.#events.length < maxHeld) this.#events.push(stamped);
    else this.#events = undefined;
  }

  get events(): readonly StampedEvent[] | undefined {
    return this.#events;
  }
}

/**
 * Lines the read model up with the journal a node just recovered, before the node
 * feeds it anything new. It stores the events it lacks — the node stopped before
 * its last write, or the read model was deleted while the node was stopped — read
 * again from the journal files the node keeps, the older ones too (a node keeps a
 * file until its read model has stored every event in it). A read model ahead of
 * the journal belongs to another journal or to one cut back since: it would show
 * what the journal no longer holds and skip new events up to its lastEventId, so it
 * is cleared and rebuilt the same way. Without a journal (`undefined`), a read model
 * with anything in it is cleared.
 */
export async function lineUpReadModel(readModel: ReadModel, logger: Logger, journal: RecoveredJournal | undefined): Promise<void> {
  try {
    await lineUp(readModel, logger, journal);
  } catch (err) {
    // Derived data: the node still starts, and the log says what its read model lacks.
    logger.warn({ err, readModel: readModel.lastEventId }, 'could not line the read model up with the journal; job logs and history after this point are incomplete');
  }
}

async function lineUp(readModel: ReadModel, logger: Logger, journal: RecoveredJournal | undefined): Promise<void> {
  if (journal !== undefined && readModel.lastEventId === journal.lastEventId) return;
  // What replay kept was measured against the read model as it was, not as a reset leaves it.
  let replayed = journal?.replayed;
  if (journal === undefined || readModel.lastEventId > journal.lastEventId) {
    if (readModel.lastEventId === 0) return;
    logger.warn({ readModel: readModel.lastEventId, journal: journal?.lastEventId ?? null }, 'read model is ahead of the journal; rebuilding it');
    await readModel.reset();
    if (journal === undefined) return;
    replayed = undefined;
  }
  if (replayed !== undefined && readModel.lastEventId >= journal.fileEventId) {
    // Everything it lacks is in the newest file, and replay kept it.
    for (let i = 0; i < replayed.length; i += chunk) await readModel.apply(replayed.slice(i, i + chunk));
    return;
  }
  const { files } = await listJournal(journal.dir);
  // The file that holds the read model's next event: the newest one that starts at or before its last.
  const from = files.filter((f) => f.fileEventId <= readModel.lastEventId).at(-1) ?? files[0];
  if (from === undefined) return;
  if (from.fileEventId > readModel.lastEventId) {
    logger.warn(
      { readModel: readModel.lastEventId, oldestFile: from.fileEventId },
      'read model misses events older than the oldest journal file; job logs and history before it are not available',
    );
  }
  // Streamed from the files, not collected: a file may hold a million events.
  let batch: StampedEvent[] = [];
  for await (const record of readRecords(journal.dir, { fileEventId: from.fileEventId, position: 0 })) {
    if (record.kind !== 'events') continue;
    for (const s of record.body) if (s.eventId > readModel.lastEventId) batch.push(s);
    if (batch.length >= chunk) {
      await readModel.apply(batch);
      batch = [];
    }
  }
  await readModel.apply(batch);
}
