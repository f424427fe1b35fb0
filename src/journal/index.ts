/** The append-only journal: codec, group-committing writer, recovery, rotation, readers. */
export { Journal } from './journal.js';
/** The passive node's byte-identical copy of the active's journal. */
export { JournalReplica, type ReplicaOptions } from './journal-replica.js';
export type {
  AppendTicket,
  JournalFileInfo,
  JournalOptions,
  JournalPoint,
  JournalPositionInfo,
  JournalReplay,
  Recovered,
} from './journal-types.js';
export { isAfter } from './journal-types.js';
export type { JournalStats } from './journal-writer.js';
export type { TornTail } from './journal-recovery.js';
export type { StampedEvent, JournalHeader, Narrowed } from './journal-records.js';
/** Narrow decoded header and event-record bodies (for a replica checking what it receives). */
export { parseEvents, parseHeader, JOURNAL_FORMAT_VERSION } from './journal-records.js';
/** The EventId after `last` at a wall time; strictly increasing. */
export { nextEventId } from './event-id.js';
/** Record framing: `u32 length · u32 crc32 · msgpack body`. */
export {
  checkFrame,
  decodeBody,
  encodeFrame,
  FRAME_HEADER_BYTES,
  MAX_BODY_BYTES,
  type FrameCheck,
} from './record-codec.js';
/** Journal file names and listing. */
export {
  journalFileName,
  journalOpenFlags,
  parseJournalFileName,
  listJournal,
  type JournalFileHandle,
  type JournalFileRef,
  type JournalListing,
  type OpenJournalFile,
} from './journal-files.js';
/** Reads records from a (file, position) onwards, optionally following a live journal. */
export { readRecords, type JournalRecord, type LiveJournal, type ReadRecordsOptions } from './journal-reader.js';
/** Offline checks for the CLI. */
export {
  inspectJournal,
  verifyJournal,
  type InspectedFile,
  type JournalSummary,
  type ReportedProblem,
  type VerifiedFile,
  type VerifyReport,
} from './journal-inspection.js';
/** Cuts a journal back to a failover point, keeping the cut bytes. */
export { cutJournal, type CutPoint, type CutResult } from './journal-cut.js';
