import { TandemError, type EventId } from '../common/index.js';
import type { JournalRecord } from './journal-reader.js';
import { parseEvents, parseHeader, type JournalHeader } from './journal-records.js';
import { checkFrame, decodeBody, describeFrameCheck, FRAME_HEADER_BYTES } from './record-codec.js';

/** What must hold for bytes received from the active to continue the replica's journal. */
export interface ReplicaExpectation {
  /** The file the bytes belong to, and where in it they start. */
  readonly name: string;
  readonly fileEventId: EventId;
  readonly position: number;
  /** The file's header; undefined when the bytes start a new file (and must begin with its header). */
  readonly header: JournalHeader | undefined;
  /** Records the file already holds before the bytes. */
  readonly records: number;
  /** The last EventId before the bytes: every event in them must come after it. */
  readonly lastEventId: EventId;
  /** The journalId a new file's header must carry (undefined: any, for an empty replica). */
  readonly journalId: string | undefined;
  /** The generation a new file's header must carry (undefined: any, for an empty replica). */
  readonly generation: number | undefined;
}

/** The bytes, decoded and checked. */
export interface CheckedRecords {
  readonly records: JournalRecord[];
  /** The header of the file the bytes belong to. */
  readonly header: JournalHeader;
  /** Records the file holds once the bytes are in. */
  readonly fileRecords: number;
  readonly lastEventId: EventId;
}

/**
 * Decodes `bytes` into whole records and checks every one — frame, CRC, body,
 * header of a new file, event order — against what the replica already holds.
 * Pure: throws JournalCorrupt, JournalIdMismatch or JournalUnsupportedVersion
 * before anything is written. The records' `raw` are views into `bytes`, not copies.
 */
export function checkReplicaRecords(expect: ReplicaExpectation, bytes: Buffer): CheckedRecords {
  const records: JournalRecord[] = [];
  let header = expect.header;
  let index = expect.records;
  let lastEventId = expect.lastEventId;
  let offset = 0;
  while (offset < bytes.length) {
    const at = expect.position + offset;
    const check = checkFrame(bytes, offset, bytes.length);
    if (check.kind !== 'intact') throw corrupt(expect, at, describeFrameCheck(check));
    const bodyStart = offset + FRAME_HEADER_BYTES;
    const next = bodyStart + check.bodyLength;
    const body = decode(expect, bytes, bodyStart, next, at);
    const fileEventId = expect.fileEventId;
    const nextPosition = expect.position + next;
    const raw = bytes.subarray(offset, next);
    // Literal objects, not a spread of the common fields: this runs once per record
    // and a spread costs about half the replica's throughput.
    if (header === undefined) {
      header = checkHeader(expect, body);
      records.push({ kind: 'header', fileEventId, position: at, nextPosition, raw, body: header });
    } else if (index <= header.snapshotCount) {
      records.push({ kind: 'snapshot', fileEventId, position: at, nextPosition, raw, body });
    } else {
      const events = parseEvents(body, lastEventId);
      if (!events.ok) throw corrupt(expect, at, events.problem);
      lastEventId = events.value[events.value.length - 1]?.eventId ?? lastEventId;
      records.push({ kind: 'events', fileEventId, position: at, nextPosition, raw, body: events.value });
    }
    index += 1;
    offset = next;
  }
  if (header === undefined) throw corrupt(expect, expect.position, 'a new file must start with its header record');
  return { records, header, fileRecords: index, lastEventId };
}

function checkHeader(expect: ReplicaExpectation, body: unknown): JournalHeader {
  const parsed = parseHeader(body);
  if (!parsed.ok) {
    if ('unsupported' in parsed) {
      throw new TandemError(
        'JournalUnsupportedVersion',
        `Journal file ${expect.name} from the active node has format version ${parsed.unsupported}; this build reads version 1 only.`,
        { file: expect.name, version: parsed.unsupported },
      );
    }
    throw corrupt(expect, 0, parsed.problem);
  }
  const header = parsed.value;
  if (expect.journalId !== undefined && header.journalId !== expect.journalId) {
    throw new TandemError(
      'JournalIdMismatch',
      `Journal file ${expect.name} from the active node belongs to journal ${header.journalId}, but this node holds journal ${expect.journalId}: the two nodes are not one cluster.`,
      { file: expect.name, expected: expect.journalId, got: header.journalId },
    );
  }
  if (header.fileEventId !== expect.fileEventId) {
    throw corrupt(expect, 0, `the header says fileEventId ${header.fileEventId}`);
  }
  if (expect.generation !== undefined && header.generation !== expect.generation) {
    throw corrupt(expect, 0, `the header says generation ${header.generation} where ${expect.generation} must follow`);
  }
  return header;
}

function decode(expect: ReplicaExpectation, bytes: Buffer, start: number, end: number, at: number): unknown {
  try {
    return decodeBody(bytes, start, end);
  } catch (err) {
    throw corrupt(expect, at, `record body does not decode: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function corrupt(expect: ReplicaExpectation, offset: number, message: string): TandemError {
  return new TandemError(
    'JournalCorrupt',
    `Journal bytes received for file ${expect.name} are damaged at byte offset ${offset}: ${message}. Nothing was written.`,
    { file: expect.name, offset },
  );
}
