import { open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { TandemError, type EventId, type Logger } from '../common/index.js';
import { fsyncDir, isErrno } from './journal-files.js';
import type { FileScan, JournalProblem } from './journal-file-scan.js';
import type { JournalHeader, StampedEvent } from './journal-records.js';
import type { JournalReplay } from './journal-types.js';
import { surveyJournal } from './journal-survey.js';

/** The cut-off last record of the newest file, kept beside it. */
export interface TornTail {
  readonly file: string;
  readonly offset: number;
  readonly savedAs: string;
  readonly bytes: number;
}

/** The newest file, ready to be appended to. */
export interface RecoveredFile {
  readonly name: string;
  readonly header: JournalHeader;
  /** File size after any cut: where the next record goes. */
  readonly size: number;
  readonly eventsStart: number;
  readonly snapshot: readonly unknown[];
  readonly events: readonly StampedEvent[];
  readonly lastEventId: EventId;
  readonly tornTail: TornTail | undefined;
}

/**
 * Reads and checks the whole journal, then repairs what may be repaired: deletes
 * leftover `.tmp` files and cuts a torn last record (saving its bytes). Returns
 * undefined for a directory without journal files. Any other damage throws
 * JournalCorrupt (or JournalUnsupportedVersion) before a single file is changed.
 */
export async function recoverJournal(dir: string, logger: Logger, replay: JournalReplay | undefined): Promise<RecoveredFile | undefined> {
  const survey = await surveyJournal(dir, (_ref, newest) => {
    if (!newest) return { keepSnapshot: false, keepEvents: false };
    if (replay === undefined) return { keepSnapshot: true, keepEvents: true };
    return { keepSnapshot: true, keepEvents: false, onSnapshot: (records) => replay.snapshot(records), onEvents: (events) => replay.events(events) };
  });
  const newest = survey.scans[survey.scans.length - 1];
  // A newer format explains any other oddity, so it is reported first.
  const fatal =
    survey.problems.find((p) => p.unsupported !== undefined) ??
    survey.problems.find((p) => !(p.tail && p.file === newest?.ref.name));
  if (fatal !== undefined) throw problemError(dir, fatal);

  for (const leftover of survey.listing.leftovers) {
    // A .tmp is written and synced before it is renamed, and the file it would
    // have replaced still exists, so it only ever holds a copy of a snapshot.
    logger.warn({ file: leftover }, 'deleting the leftover of an unfinished journal rotation');
    await unlink(join(dir, leftover));
  }
  if (newest === undefined) {
    if (survey.listing.leftovers.length > 0) await fsyncDir(dir);
    return undefined;
  }
  if (newest.header === undefined) throw problemError(dir, { file: newest.ref.name, offset: 0, message: 'file has no header record', tail: false });
  const tornTail = newest.problem === undefined ? undefined : await cutTail(dir, newest, newest.problem, logger);
  return {
    name: newest.ref.name,
    header: newest.header,
    size: newest.intactBytes,
    eventsStart: newest.eventsStart,
    snapshot: newest.snapshot,
    events: newest.events,
    lastEventId: newest.lastEventId,
    tornTail,
  };
}

/** The error a problem stops the start with. */
export function problemError(dir: string, problem: JournalProblem): TandemError {
  const args = { dir, file: problem.file, offset: problem.offset };
  if (problem.unsupported !== undefined) {
    return new TandemError(
      'JournalUnsupportedVersion',
      `Journal file ${problem.file} has format version ${problem.unsupported}; this build reads version 1 only. Use a newer build.`,
      { ...args, version: problem.unsupported },
    );
  }
  return new TandemError(
    'JournalCorrupt',
    `Journal file ${problem.file} is damaged at byte offset ${problem.offset}: ${problem.message}. ` +
      'Nothing was changed; restore the file from the other node or a backup.',
    args,
  );
}

/** Moves the bytes from the damaged last record on into a file beside it, then truncates and syncs. */
async function cutTail(dir: string, scan: FileScan, problem: JournalProblem, logger: Logger): Promise<TornTail> {
  const path = join(dir, scan.ref.name);
  const offset = problem.offset;
  const handle = await open(path, 'r+');
  try {
    const bytes = scan.bytes - offset;
    const cut = Buffer.allocUnsafe(bytes);
    const { bytesRead } = await handle.read(cut, 0, bytes, offset);
    const savedAs = await saveBeside(dir, `${scan.ref.name}.torn-${offset}`, cut.subarray(0, bytesRead));
    await handle.truncate(offset);
    await handle.sync();
    await fsyncDir(dir);
    logger.warn(
      { file: scan.ref.name, offset, bytes, savedAs, reason: problem.message },
      'cut a torn last record off the journal; its bytes are kept beside the file',
    );
    return { file: scan.ref.name, offset, savedAs, bytes };
  } finally {
    await handle.close();
  }
}

/** Writes `content` under `name`, or `name-2`, `name-3`… when an earlier cut at the same offset is already there. */
async function saveBeside(dir: string, name: string, content: Buffer): Promise<string> {
  for (let n = 1; ; n += 1) {
    const candidate = n === 1 ? name : `${name}-${n}`;
    try {
      const handle = await open(join(dir, candidate), 'wx');
      try {
        await handle.writeFile(content);
        await handle.sync();
      } finally {
        await handle.close();
      }
      return candidate;
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) throw err;
    }
  }
}
