import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { TandemError, type EventId } from '../common/index.js';
import { FrameScanner } from './frame-scanner.js';
import { isErrno, journalFileName, listJournal } from './journal-files.js';
import { parseEvents, parseHeader, type JournalHeader, type StampedEvent } from './journal-records.js';
import type { JournalPoint, JournalPositionInfo } from './journal-types.js';
import { decodeBody } from './record-codec.js';

interface RecordPlace {
  readonly fileEventId: EventId;
  readonly position: number;
  readonly nextPosition: number;
  /** The full framed bytes, exactly as in the file (what a replica writes). */
  readonly raw: Buffer;
}

/** One record of the journal, in file order. */
export type JournalRecord =
  | (RecordPlace & { readonly kind: 'header'; readonly body: JournalHeader })
  | (RecordPlace & { readonly kind: 'snapshot'; readonly body: unknown })
  | (RecordPlace & { readonly kind: 'events'; readonly body: readonly StampedEvent[] });

/** What a live reader needs of the open journal. */
export interface LiveJournal {
  position(): JournalPositionInfo;
  waitForChange(since: JournalPoint, signal: AbortSignal): Promise<void>;
}

export interface ReadRecordsOptions {
  /**
   * Follow this open journal: read only committed bytes of its current file, and
   * wait for more instead of ending. Without it the read ends at the end of the
   * newest file (a torn last record there ends it quietly).
   */
  readonly live?: LiveJournal;
  /** Stops a live read: the pending wait rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/**
 * The records from `from` (a record boundary, or the end of a file) onwards,
 * crossing into each next file when one ends. Pure file I/O: works on a journal
 * directory whether or not a Journal has it open.
 */
export async function* readRecords(dir: string, from: JournalPoint, options: ReadRecordsOptions = {}): AsyncGenerator<JournalRecord> {
  const signal = options.signal ?? new AbortController().signal;
  let fileEventId = from.fileEventId;
  let startAt = from.position;
  let journalId: string | undefined;
  for (;;) {
    const name = journalFileName(fileEventId);
    const handle = await openForReading(dir, name, from);
    try {
      const scanner = new FrameScanner(handle, 0, await readableEnd(handle, fileEventId, options.live));
      let index = 0;
      let header: JournalHeader | undefined;
      let next: EventId | undefined;
      // Records skipped before `startAt` are not decoded, so order is checked from the first one read.
      let lastEventId = fileEventId;
      while (next === undefined) {
        signal.throwIfAborted();
        const step = scanner.step();
        if (step === 'more') {
          await scanner.fill();
        } else if (step === 'damage') {
          const offset = scanner.damage?.offset ?? scanner.cursor;
          const last = (await nextFile(dir, fileEventId)) === undefined;
          if (options.live === undefined && last && !(await scanner.intactFrameAfter(offset))) return;
          throw corrupt(name, offset, scanner.damage?.reason ?? 'damaged record');
        } else if (step === 'end') {
          if (scanner.cursor < startAt) throw invalidPosition(from, `the file has only ${scanner.cursor} bytes`);
          next = await nextFile(dir, fileEventId);
          if (next !== undefined) {
            // A successor exists only once this file is complete: read it to its real end.
            const { size } = await handle.stat();
            if (size > scanner.end) {
              scanner.extendEnd(size);
              next = undefined;
            }
          } else if (options.live === undefined) {
            return;
          } else {
            await options.live.waitForChange({ fileEventId, position: scanner.cursor }, signal);
            scanner.extendEnd(await readableEnd(handle, fileEventId, options.live));
          }
        } else {
          const position = scanner.position;
          if (index === 0) {
            header = readHeader(scanner, name, fileEventId);
            if (journalId !== undefined && header.journalId !== journalId) {
              throw corrupt(name, 0, `journalId ${header.journalId} differs from the previous file's ${journalId}`);
            }
            journalId = header.journalId;
          }
          index += 1;
          if (position < startAt) {
            if (scanner.nextPosition > startAt) throw invalidPosition(from, 'it is not a record boundary');
            continue;
          }
          const record = toRecord(scanner, name, index - 1, header, lastEventId);
          if (record.kind === 'events') lastEventId = record.body[record.body.length - 1]?.eventId ?? lastEventId;
          yield record;
        }
      }
      fileEventId = next;
      startAt = 0;
    } finally {
      await handle.close();
    }
  }
}

function toRecord(scanner: FrameScanner, name: string, index: number, header: JournalHeader | undefined, after: EventId): JournalRecord {
  if (header === undefined) throw corrupt(name, 0, 'file has no header record');
  const place = { fileEventId: header.fileEventId, position: scanner.position, nextPosition: scanner.nextPosition, raw: scanner.raw() };
  if (index === 0) return { ...place, kind: 'header', body: header };
  const body = decode(scanner, name);
  if (index <= header.snapshotCount) return { ...place, kind: 'snapshot', body };
  const events = parseEvents(body, after);
  if (!events.ok) throw corrupt(name, scanner.position, events.problem);
  return { ...place, kind: 'events', body: events.value };
}

function readHeader(scanner: FrameScanner, name: string, fileEventId: EventId): JournalHeader {
  const parsed = parseHeader(decode(scanner, name));
  if (parsed.ok) {
    if (parsed.value.fileEventId !== fileEventId) throw corrupt(name, 0, `header says fileEventId ${parsed.value.fileEventId}`);
    return parsed.value;
  }
  if ('unsupported' in parsed) {
    throw new TandemError('JournalUnsupportedVersion', `Journal file ${name} has format version ${parsed.unsupported}.`, { file: name, version: parsed.unsupported });
  }
  throw corrupt(name, 0, parsed.problem);
}

function decode(scanner: FrameScanner, name: string): unknown {
  try {
    return decodeBody(scanner.chunk, scanner.bodyStart, scanner.bodyEnd);
  } catch (err) {
    throw corrupt(name, scanner.position, `record body does not decode: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function openForReading(dir: string, name: string, from: JournalPoint): Promise<FileHandle> {
  try {
    return await open(join(dir, name), 'r');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) throw invalidPosition(from, `journal file ${name} does not exist (any more)`);
    throw err;
  }
}

/** How far a file may be read: a live journal's current file only up to its committed bytes. */
async function readableEnd(handle: FileHandle, fileEventId: EventId, live: LiveJournal | undefined): Promise<number> {
  const at = live?.position();
  if (at !== undefined && at.fileEventId === fileEventId) return at.synced;
  return (await handle.stat()).size;
}

async function nextFile(dir: string, fileEventId: EventId): Promise<EventId | undefined> {
  const { files } = await listJournal(dir);
  return files.find((f) => f.fileEventId > fileEventId)?.fileEventId;
}

function corrupt(file: string, offset: number, message: string): TandemError {
  return new TandemError('JournalCorrupt', `Journal file ${file} is damaged at byte offset ${offset}: ${message}.`, { file, offset });
}

function invalidPosition(from: JournalPoint, why: string): TandemError {
  return new TandemError(
    'JournalPositionInvalid',
    `Cannot read the journal from file ${from.fileEventId} position ${from.position}: ${why}.`,
    { fileEventId: from.fileEventId, position: from.position },
  );
}
