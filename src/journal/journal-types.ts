import type { Clock, EventId, Logger } from '../common/index.js';
import type { OpenJournalFile } from './journal-files.js';
import type { StampedEvent } from './journal-records.js';
import type { TornTail } from './journal-recovery.js';

export interface JournalOptions {
  /** The journal directory (`<data>/state`); created when missing. */
  readonly dir: string;
  /** Every commit durable before it counts (`js7.journal.sync = on`; the file is opened O_DSYNC); off only writes to the OS. */
  readonly sync: boolean;
  /** Start a new file with a fresh snapshot once the current one is this big… */
  readonly rotateBytes: number;
  /** …or this old (by the wall clock). */
  readonly rotateAgeMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
  /**
   * Called synchronously at a rotation point (and once for a new journal): the
   * owner's full state as snapshot records, consistent with every event appended so far.
   */
  readonly snapshot: () => readonly unknown[];
  /**
   * true (default): delete older files as soon as a newer snapshot file is durable.
   * false: keep them until `release()` allows it (the passive's acknowledgement).
   */
  readonly autoRelease?: boolean;
  /**
   * Optional: receive the recovered state while it is read instead of in
   * `Recovered.events`, so a long journal never sits in memory at once.
   */
  readonly replay?: JournalReplay;
  /** Test seam: how files are opened for writing (to inject I/O faults). */
  readonly openFile?: OpenJournalFile;
  /** Test seam: makes the journalId of a new journal (default: a random UUID). */
  readonly newJournalId?: () => string;
}

/**
 * Receives the newest file's snapshot, then its events record by record, during
 * `Journal.open`. If `open` then rejects (damage found later), whatever was
 * received must be discarded.
 */
export interface JournalReplay {
  /** Called once, before any events (also for a new journal, with its first snapshot). */
  snapshot(records: readonly unknown[]): void;
  /** Called per event record, in order. */
  events(batch: readonly StampedEvent[]): void;
}

/** What `Journal.open` found: the state to start from. */
export interface Recovered {
  readonly journalId: string;
  readonly fileEventId: EventId;
  readonly lastEventId: EventId;
  /** The snapshot records of the newest file. */
  readonly snapshot: readonly unknown[];
  /** The events after that snapshot, in order (empty when `replay` received them). */
  readonly events: readonly StampedEvent[];
  /** Present when a torn last record was cut off (its bytes are kept in `savedAs`). */
  readonly tornTail?: TornTail;
  /** True when the directory held no journal and a new one was created. */
  readonly fresh: boolean;
}

/** What `append()` hands back at once. */
export interface AppendTicket {
  readonly stamped: readonly StampedEvent[];
  readonly lastEventId: EventId;
  /** Resolves once the record is durable; rejects with JournalWriteFailed. */
  readonly committed: Promise<void>;
}

/** A point in the journal: a byte position inside the file named by its fileEventId. */
export interface JournalPoint {
  readonly fileEventId: EventId;
  readonly position: number;
}

/** `a` lies after `b` in the journal (anything lies after undefined). */
export function isAfter(a: JournalPoint, b: JournalPoint | undefined): boolean {
  return b === undefined || a.fileEventId > b.fileEventId || (a.fileEventId === b.fileEventId && a.position > b.position);
}

/** Where the writer stands in the current file. */
export interface JournalPositionInfo {
  readonly fileEventId: EventId;
  /** Bytes handed to the OS. */
  readonly written: number;
  /** Bytes acknowledged as committed: durable (with sync off: written). */
  readonly synced: number;
}

export interface JournalFileInfo {
  readonly name: string;
  readonly fileEventId: EventId;
  readonly bytes: number;
  /** True for the file appends go to. */
  readonly current: boolean;
}
