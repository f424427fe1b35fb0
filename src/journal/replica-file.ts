import { join } from 'node:path';
import { TandemError, type EventId } from '../common/index.js';
import { fsyncDir, type JournalFileHandle, type OpenJournalFile } from './journal-files.js';
import type { JournalHeader } from './journal-records.js';
import type { RecoveredFile } from './journal-recovery.js';
import type { Recovered } from './journal-types.js';

/** The replica's newest file: the one the next bytes go to. */
export interface ReplicaFile {
  /** The final name; while `tmp`, the file is on disk as `name + '.tmp'`. */
  readonly name: string;
  readonly header: JournalHeader;
  readonly handle: JournalFileHandle;
  written: number;
  /** Records in the file, as far as telling header, snapshot and events apart needs (a recovered file counts as header + snapshot). */
  records: number;
  /** Bytes were written since the last fdatasync began. */
  unsynced: boolean;
  /** Still named `….tmp`: its header or snapshot is not all in yet. */
  tmp: boolean;
}

export const TMP_SUFFIX = '.tmp';

/** Opens the newest file recovery left, for appends at its (possibly cut) end. */
export async function reopenReplicaFile(dir: string, openFile: OpenJournalFile, found: RecoveredFile): Promise<ReplicaFile> {
  // Written and then synced (no O_DSYNC): frames written while an fdatasync runs share the next one.
  const handle = await openFile(join(dir, found.name), 'r+', false);
  try {
    // Recovered bytes may sit unsynced in the page cache of a process that died; they count from now on,
    // and so does the file's name (a rename whose directory fsync the process did not live to make).
    await handle.datasync();
    await fsyncDir(dir);
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
  // Recovery only accepts a newest file with its whole snapshot, so appends continue with events.
  const records = found.header.snapshotCount + 1;
  return { name: found.name, header: found.header, handle, written: found.size, records, unsynced: false, tmp: false };
}

/** What recovery found, in the shape `Journal.open` reports it. */
export function toRecovered(found: RecoveredFile): Recovered {
  return {
    journalId: found.header.journalId,
    fileEventId: found.header.fileEventId,
    lastEventId: found.lastEventId,
    snapshot: found.snapshot,
    events: found.events,
    fresh: false,
    ...(found.tornTail === undefined ? {} : { tornTail: found.tornTail }),
  };
}

export function replicaClosed(dir: string): TandemError {
  return new TandemError('ShuttingDown', 'The replicated journal is closed.', { dir });
}

export function invalidReplicaPosition(fileEventId: EventId, position: number, why: string): TandemError {
  return new TandemError(
    'JournalPositionInvalid',
    `Cannot write journal file ${fileEventId} at position ${position}: ${why}. Nothing was written.`,
    { fileEventId, position },
  );
}
