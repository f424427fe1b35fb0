import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { EventId } from '../common/index.js';
import { FrameScanner } from './frame-scanner.js';
import type { JournalFileRef } from './journal-files.js';
import { parseEvents, parseHeader, type JournalHeader, type StampedEvent } from './journal-records.js';
import { decodeBody } from './record-codec.js';

/**
 * What is wrong at one place of the journal. `tail` marks a torn or bad last
 * record of a file (nothing intact follows it); `unsupported` a newer format.
 */
export interface JournalProblem {
  readonly file: string;
  readonly offset: number;
  readonly message: string;
  readonly tail: boolean;
  readonly unsupported?: number;
}

export interface FileScanOptions {
  /** Keep the snapshot records (only the newest file's matter). */
  readonly keepSnapshot: boolean;
  /** Keep the events in `FileScan.events`. */
  readonly keepEvents: boolean;
  /** Gets the snapshot records once the last of them is read (needs keepSnapshot). */
  readonly onSnapshot?: (records: readonly unknown[]) => void;
  /** Sees every event record, in order. */
  readonly onEvents?: (events: readonly StampedEvent[]) => void;
}

/** One journal file as read: its header, what it holds, and its first problem if any. */
export interface FileScan {
  readonly ref: JournalFileRef;
  readonly header: JournalHeader | undefined;
  readonly bytes: number;
  /** End of the last intact record before any problem. */
  readonly intactBytes: number;
  /** Where the event records start (after header and snapshot). */
  readonly eventsStart: number;
  readonly records: number;
  readonly eventRecords: number;
  readonly eventCount: number;
  readonly firstEventId: EventId | undefined;
  /** The last event's id, or the fileEventId when the file holds no events. */
  readonly lastEventId: EventId;
  readonly snapshot: readonly unknown[];
  readonly events: readonly StampedEvent[];
  readonly problem: JournalProblem | undefined;
}

interface ScanState {
  header: JournalHeader | undefined;
  records: number;
  eventRecords: number;
  eventCount: number;
  firstEventId: EventId | undefined;
  lastEventId: EventId;
  eventsStart: number;
  snapshot: unknown[];
  events: StampedEvent[];
}

/** Reads one journal file record by record, checking framing, CRCs, header and event order. Changes nothing. */
export async function scanJournalFile(dir: string, ref: JournalFileRef, options: FileScanOptions): Promise<FileScan> {
  const handle = await open(join(dir, ref.name), 'r');
  try {
    const { size } = await handle.stat();
    const scanner = new FrameScanner(handle, 0, size, { reuseChunks: true });
    const state: ScanState = {
      header: undefined,
      records: 0,
      eventRecords: 0,
      eventCount: 0,
      firstEventId: undefined,
      lastEventId: ref.fileEventId,
      eventsStart: 0,
      snapshot: [],
      events: [],
    };
    const finish = (problem: JournalProblem | undefined): FileScan => ({
      ref,
      bytes: size,
      intactBytes: scanner.cursor,
      ...state,
      problem,
    });
    const problem = (offset: number, message: string, tail = false): FileScan =>
      finish({ file: ref.name, offset, message, tail });

    for (;;) {
      const step = scanner.step();
      if (step === 'more') {
        await scanner.fill();
        continue;
      }
      if (step === 'end') break;
      if (step === 'damage') {
        const damage = scanner.damage ?? { offset: scanner.cursor, reason: 'damaged record' };
        const tail = !(await scanner.intactFrameAfter(damage.offset));
        // A file only ever appears complete with its header and snapshot (it is
        // renamed into place after a sync), so a damaged one there is never a torn write.
        const inSnapshot = state.header === undefined || state.records <= state.header.snapshotCount;
        return problem(damage.offset, inSnapshot ? `${damage.reason} (inside the header or snapshot)` : damage.reason, tail && !inSnapshot);
      }
      let body: unknown;
      try {
        body = decodeBody(scanner.chunk, scanner.bodyStart, scanner.bodyEnd);
      } catch (err) {
        return problem(scanner.position, `record body does not decode: ${err instanceof Error ? err.message : String(err)}`);
      }
      const message = acceptRecord(state, ref, body, options, scanner.nextPosition);
      if (message !== undefined) {
        if (typeof message === 'number') {
          return finish({ file: ref.name, offset: scanner.position, message: `format version ${message} is newer than this build reads`, tail: false, unsupported: message });
        }
        return problem(scanner.position, message);
      }
    }
    if (state.header === undefined) return problem(0, 'file has no header record');
    if (state.records <= state.header.snapshotCount) {
      return problem(size, `file ends after ${state.records - 1} of ${state.header.snapshotCount} snapshot records`);
    }
    return finish(undefined);
  } finally {
    await handle.close();
  }
}

/** Takes one decoded record into `state`; returns a problem message, a newer version number, or undefined. */
function acceptRecord(
  state: ScanState,
  ref: JournalFileRef,
  body: unknown,
  options: FileScanOptions,
  nextPosition: number,
): string | number | undefined {
  const index = state.records;
  state.records += 1;
  if (state.header === undefined) {
    const parsed = parseHeader(body);
    if (!parsed.ok) return 'unsupported' in parsed ? parsed.unsupported : parsed.problem;
    if (parsed.value.fileEventId !== ref.fileEventId) {
      return `header says fileEventId ${parsed.value.fileEventId} but the file name says ${ref.fileEventId}`;
    }
    state.header = parsed.value;
    state.eventsStart = nextPosition;
    if (parsed.value.snapshotCount === 0) options.onSnapshot?.(state.snapshot);
    return undefined;
  }
  if (index <= state.header.snapshotCount) {
    if (options.keepSnapshot) state.snapshot.push(body);
    state.eventsStart = nextPosition;
    if (index === state.header.snapshotCount) options.onSnapshot?.(state.snapshot);
    return undefined;
  }
  const parsed = parseEvents(body, state.lastEventId);
  if (!parsed.ok) return parsed.problem;
  const last = parsed.value[parsed.value.length - 1]?.eventId ?? state.lastEventId;
  if (options.keepEvents) for (const stamped of parsed.value) state.events.push(stamped);
  state.firstEventId ??= parsed.value[0]?.eventId;
  state.lastEventId = last;
  state.eventRecords += 1;
  state.eventCount += parsed.value.length;
  options.onEvents?.(parsed.value);
  return undefined;
}
