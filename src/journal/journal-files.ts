import { constants } from 'node:fs';
import { open, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { asEventId, type EventId, type Logger } from '../common/index.js';

const JOURNAL_NAME = /^controller--(\d+)\.journal$/;
const TMP_SUFFIX = '.tmp';

/** The name of the file whose events follow `fileEventId`. */
export function journalFileName(fileEventId: EventId): string {
  return `controller--${fileEventId}.journal`;
}

/** The fileEventId a journal file name carries, or undefined for any other name. */
export function parseJournalFileName(name: string): EventId | undefined {
  const match = JOURNAL_NAME.exec(name);
  if (match === null || match[1] === undefined) return undefined;
  const n = Number(match[1]);
  return Number.isSafeInteger(n) ? asEventId(n) : undefined;
}

export interface JournalFileRef {
  readonly name: string;
  readonly fileEventId: EventId;
}

export interface JournalListing {
  /** Journal files, oldest first. */
  readonly files: readonly JournalFileRef[];
  /** Leftover `….journal.tmp` files of an unfinished rotation. */
  readonly leftovers: readonly string[];
}

/** Lists the journal files of `dir` in order; a missing directory lists as empty. */
export async function listJournal(dir: string): Promise<JournalListing> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return { files: [], leftovers: [] };
    throw err;
  }
  const files: JournalFileRef[] = [];
  const leftovers: string[] = [];
  for (const name of names) {
    const fileEventId = parseJournalFileName(name);
    if (fileEventId !== undefined) files.push({ name, fileEventId });
    else if (name.endsWith(TMP_SUFFIX) && parseJournalFileName(name.slice(0, -TMP_SUFFIX.length)) !== undefined) {
      leftovers.push(name);
    }
  }
  files.sort((a, b) => a.fileEventId - b.fileEventId);
  return { files, leftovers };
}

/** What the writer needs of an open file; a seam so tests can inject I/O faults. */
export interface JournalFileHandle {
  write(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  datasync(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens a journal file for writing: `'r+'` to append to an existing file, `'w'` to create
 * one. With `durableWrites` every write returns only once its bytes are durable (O_DSYNC),
 * so a group commit is one call into the thread pool instead of a write and an fdatasync.
 */
export type OpenJournalFile = (path: string, mode: 'r+' | 'w', durableWrites: boolean) => Promise<JournalFileHandle>;

export const openJournalFile: OpenJournalFile = (path, mode, durableWrites) => open(path, journalOpenFlags(mode, durableWrites));

/** Whether this platform has O_DSYNC (Windows has not): without it, durability takes write + fdatasync. */
const DURABLE_WRITES_AVAILABLE = typeof constants.O_DSYNC === 'number';

/** Whether the active's journal files are opened for durable writes under `js7.journal.sync`. */
export function durableWritesFor(sync: boolean): boolean {
  return sync && DURABLE_WRITES_AVAILABLE;
}

/** The open(2) flags `openJournalFile` uses. */
export function journalOpenFlags(mode: 'r+' | 'w', durableWrites: boolean): number {
  const flags = mode === 'w' ? constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC : constants.O_RDWR;
  if (!durableWrites) return flags;
  if (!DURABLE_WRITES_AVAILABLE) throw new Error('O_DSYNC is not available on this platform');
  return flags | constants.O_DSYNC;
}

/** Writes all of `buffer` at `position`, looping over short writes. */
export async function writeFully(handle: JournalFileHandle, buffer: Buffer, length: number, position: number): Promise<void> {
  let done = 0;
  while (done < length) {
    const { bytesWritten } = await handle.write(buffer, done, length - done, position + done);
    if (bytesWritten <= 0) throw new Error(`short write: 0 of ${length - done} bytes`);
    done += bytesWritten;
  }
}

/** Makes renames and unlinks in `dir` durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Creates `controller--<fileEventId>.journal` holding `content` (header and snapshot
 * frames): written as `.tmp`, synced, renamed, and the directory synced, so the
 * file either exists complete or not at all. Returns the open handle (opened with
 * `durableWrites` for the appends too), positioned for appends at `content.length`.
 */
export async function createJournalFile(
  dir: string,
  fileEventId: EventId,
  content: Buffer,
  openFile: OpenJournalFile,
  durableWrites: boolean,
): Promise<{ name: string; handle: JournalFileHandle }> {
  const name = journalFileName(fileEventId);
  const tmpPath = join(dir, name + TMP_SUFFIX);
  const handle = await openFile(tmpPath, 'w', durableWrites);
  try {
    await writeFully(handle, content, content.length, 0);
    if (!durableWrites) await handle.datasync();
    await rename(tmpPath, join(dir, name));
    await fsyncDir(dir);
  } catch (err) {
    await handle.close().catch(() => undefined);
    await unlink(tmpPath).catch(() => undefined);
    throw err;
  }
  return { name, handle };
}

/**
 * Deletes, whole and oldest first, the files before the current one whose events
 * are all ≤ `releasedUpTo` (`'all'`: every file before the current one).
 */
export async function deleteReleasedFiles(dir: string, current: EventId, releasedUpTo: EventId | 'all', logger: Logger): Promise<void> {
  const { files } = await listJournal(dir);
  for (const [index, file] of files.entries()) {
    const successor = files[index + 1];
    // A file's events all lie at or before its successor's fileEventId.
    if (successor === undefined || file.fileEventId >= current) return;
    if (releasedUpTo !== 'all' && successor.fileEventId > releasedUpTo) return;
    await unlink(join(dir, file.name));
    logger.info({ file: file.name }, 'deleted a released journal file');
  }
}

/** True when `err` is a Node system error with the given code. */
export function isErrno(err: unknown, code: string): boolean {
  return err instanceof Error && 'code' in err && err.code === code;
}
