import type { EventId, Logger } from '../common/index.js';
import { readRecords, type StampedEvent } from '../journal/index.js';
import type { ReadModel } from '../readmodel/index.js';

/** The journal a node has just recovered, as far as its read model needs to know. */
export interface RecoveredJournal {
  /** The journal directory. */
  readonly dir: string;
  /** The newest file, which starts with the snapshot: events before it are only in older files. */
  readonly fileEventId: EventId;
  readonly lastEventId: EventId;
  /** The events after the read model's lastEventId that replay passed by, in order. */
  readonly missing: readonly StampedEvent[];
}

/** Events per read-model write while catching up. */
const chunk = 1000;

/**
 * Lines the read model up with the journal a node just recovered, before the node
 * feeds it anything new: it stores the events it lacks (a process killed before its
 * last write, or a read model deleted while the node was stopped). A read model
 * ahead of the journal belongs to another journal or to one cut back since: it would
 * show what the journal no longer holds and skip new events up to its lastEventId,
 * so it is cleared and rebuilt from the newest file. Without a journal
 * (`undefined`), a read model with anything in it is cleared.
 */
export async function lineUpReadModel(readModel: ReadModel, logger: Logger, journal: RecoveredJournal | undefined): Promise<void> {
  if (journal === undefined) {
    if (readModel.lastEventId > 0) {
      logger.warn({ readModel: readModel.lastEventId }, 'read model without a journal; clearing it');
      await readModel.reset();
    }
    return;
  }
  if (readModel.lastEventId > journal.lastEventId) {
    logger.warn({ readModel: readModel.lastEventId, journal: journal.lastEventId }, 'read model is ahead of the journal; rebuilding it');
    await readModel.reset();
    warnIfBeforeSnapshot(readModel, logger, journal);
    // Streamed from the file, not collected: the newest file may hold a million events.
    try {
      let batch: StampedEvent[] = [];
      for await (const record of readRecords(journal.dir, { fileEventId: journal.fileEventId, position: 0 })) {
        if (record.kind !== 'events') continue;
        for (const s of record.body) batch.push(s);
        if (batch.length >= chunk) {
          await readModel.apply(batch);
          batch = [];
        }
      }
      await readModel.apply(batch);
    } catch (err) {
      // Derived data: the node still starts, and the log says what its read model lacks.
      logger.warn({ err, readModel: readModel.lastEventId }, 'could not rebuild the read model from the journal; job logs before this point are not available');
    }
    return;
  }
  warnIfBeforeSnapshot(readModel, logger, journal);
  const { missing } = journal;
  for (let i = 0; i < missing.length; i += chunk) await readModel.apply(missing.slice(i, i + chunk));
}

function warnIfBeforeSnapshot(readModel: ReadModel, logger: Logger, journal: RecoveredJournal): void {
  if (readModel.lastEventId < journal.fileEventId && journal.fileEventId > 0) {
    logger.warn(
      { readModel: readModel.lastEventId, snapshot: journal.fileEventId },
      'read model misses events older than the journal snapshot; job logs before it are not available',
    );
  }
}
