import { randomUUID } from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { asEventId, TandemError, type Clock, type EventId, type Logger } from '../common/index.js';
import { ChangeWaiters } from './change-waiters.js';
import { DirectoryLock } from './directory-lock.js';
import { nextEventId } from './event-id.js';
import {
  createJournalFile,
  deleteReleasedFiles,
  fsyncDir,
  journalFileName,
  listJournal,
  openJournalFile,
  durableWritesFor,
  type JournalFileHandle,
} from './journal-files.js';
import { makeHeader, type StampedEvent } from './journal-records.js';
import { recoverJournal, type RecoveredFile } from './journal-recovery.js';
import type {
  AppendTicket,
  JournalFileInfo,
  JournalOptions,
  JournalPoint,
  JournalPositionInfo,
  Recovered,
} from './journal-types.js';
import { JournalWriter, type JournalStats } from './journal-writer.js';
import { encodeBody, encodeFrames, FRAME_HEADER_BYTES } from './record-codec.js';

/** The file appends go to, as far as the rotation policy is concerned (it may not be on disk yet). */
interface AppendFile {
  readonly fileEventId: EventId;
  readonly generation: number;
  readonly createdAt: number;
  readonly snapshotBytes: number;
  bytes: number;
}

type Lifecycle = { readonly kind: 'open' } | { readonly kind: 'closing'; readonly done: Promise<void> };

interface Start {
  readonly journalId: string;
  readonly name: string;
  readonly handle: JournalFileHandle;
  readonly size: number;
  readonly file: AppendFile;
  readonly lastEventId: EventId;
}

/**
 * The append-only journal of one node: stamps events with EventIds, group-commits
 * them, rotates files with a fresh snapshot and deletes released files whole.
 */
export class Journal {
  readonly #dir: string;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #lock: DirectoryLock;
  readonly #writer: JournalWriter;
  readonly #snapshot: () => readonly unknown[];
  readonly #rotateBytes: number;
  readonly #rotateAgeMs: number;
  readonly #autoRelease: boolean;
  readonly #journalId: string;
  readonly #waiters = new ChangeWaiters();
  #lifecycle: Lifecycle = { kind: 'open' };
  #file: AppendFile;
  #lastEventId: EventId;
  #released: EventId = asEventId(0);
  #housekeeping: Promise<void> = Promise.resolve();

  private constructor(options: JournalOptions, logger: Logger, lock: DirectoryLock, start: Start) {
    this.#dir = options.dir;
    this.#clock = options.clock;
    this.#logger = logger;
    this.#lock = lock;
    this.#snapshot = options.snapshot;
    this.#rotateBytes = options.rotateBytes;
    this.#rotateAgeMs = options.rotateAgeMs;
    this.#autoRelease = options.autoRelease ?? true;
    this.#journalId = start.journalId;
    this.#file = start.file;
    this.#lastEventId = start.lastEventId;
    const current = { name: start.name, fileEventId: start.file.fileEventId, handle: start.handle, written: start.size, synced: start.size };
    this.#writer = new JournalWriter(
      {
        dir: options.dir,
        sync: options.sync,
        openFile: options.openFile ?? openJournalFile,
        logger,
        onProgress: () => this.#notify(),
        onRotated: () => this.#scheduleHousekeeping(),
      },
      current,
      start.lastEventId,
    );
  }

  /** Locks the directory, recovers the journal (creating it when empty) and opens it for appends. */
  static async open(options: JournalOptions): Promise<{ journal: Journal; recovered: Recovered }> {
    const logger = options.logger.child({ component: 'journal' });
    await mkdir(options.dir, { recursive: true });
    const lock = await DirectoryLock.acquire(options.dir, logger);
    try {
      const found = await recoverJournal(options.dir, logger, options.replay);
      return found === undefined ? await Journal.#create(options, logger, lock) : await Journal.#reopen(options, logger, lock, found);
    } catch (err) {
      await lock.release();
      throw err;
    }
  }

  static async #create(options: JournalOptions, logger: Logger, lock: DirectoryLock): Promise<{ journal: Journal; recovered: Recovered }> {
    const snapshot = options.snapshot();
    options.replay?.snapshot(snapshot);
    const journalId = (options.newJournalId ?? randomUUID)();
    const header = makeHeader({ journalId, fileEventId: asEventId(0), generation: 1, snapshotCount: snapshot.length, createdAt: options.clock.now() });
    const content = encodeFrames([header, ...snapshot]);
    const { name, handle } = await createJournalFile(options.dir, header.fileEventId, content, options.openFile ?? openJournalFile, durableWritesFor(options.sync));
    const file = { fileEventId: header.fileEventId, generation: 1, createdAt: header.createdAt, snapshotBytes: content.length, bytes: content.length };
    const journal = new Journal(options, logger, lock, { journalId, name, handle, size: content.length, file, lastEventId: header.fileEventId });
    logger.info({ journalId, file: name }, 'created a new journal');
    return { journal, recovered: { journalId, fileEventId: header.fileEventId, lastEventId: header.fileEventId, snapshot, events: [], fresh: true } };
  }

  static async #reopen(options: JournalOptions, logger: Logger, lock: DirectoryLock, found: RecoveredFile): Promise<{ journal: Journal; recovered: Recovered }> {
    const { header } = found;
    const handle = await (options.openFile ?? openJournalFile)(join(options.dir, found.name), 'r+', durableWritesFor(options.sync));
    try {
      // Recovered bytes may sit unsynced in the page cache (the previous process died
      // before its fdatasync); they count as committed from now on, so make them durable.
      // So is the file's name: a process killed between its rename and the directory's
      // fsync leaves a name that a power loss could turn back into a .tmp, which recovery deletes.
      await handle.datasync();
      await fsyncDir(options.dir);
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw err;
    }
    const file = { fileEventId: header.fileEventId, generation: header.generation, createdAt: header.createdAt, snapshotBytes: found.eventsStart, bytes: found.size };
    const journal = new Journal(options, logger, lock, { journalId: header.journalId, name: found.name, handle, size: found.size, file, lastEventId: found.lastEventId });
    journal.#scheduleHousekeeping();
    logger.info({ journalId: header.journalId, file: found.name, lastEventId: found.lastEventId }, 'recovered the journal');
    const recovered: Recovered = {
      journalId: header.journalId,
      fileEventId: header.fileEventId,
      lastEventId: found.lastEventId,
      snapshot: found.snapshot,
      events: found.events,
      fresh: false,
      ...(found.tornTail === undefined ? {} : { tornTail: found.tornTail }),
    };
    return { journal, recovered };
  }

  get journalId(): string {
    return this.#journalId;
  }

  /** The last EventId appended (durable or not). */
  get lastEventId(): EventId {
    return this.#lastEventId;
  }

  /** The last EventId known durable. */
  get committedEventId(): EventId {
    return this.#writer.committedEventId;
  }

  /** Stamps, encodes and queues `events` as one atomic record. Throws when closed or failed. */
  append(events: readonly unknown[]): AppendTicket {
    this.#assertWritable();
    if (events.length === 0) throw new RangeError('append needs at least one event');
    // Not awaited: this append goes to the new file either way, and a failed
    // rotation fails the writer, which every later append reports.
    if (this.#rotationDue()) void this.#startRotation();
    const now = this.#clock.now();
    let last = this.#lastEventId;
    const stamped: StampedEvent[] = [];
    for (const event of events) {
      last = nextEventId(now, last);
      stamped.push({ eventId: last, event });
    }
    // Encoding may throw on a value msgpack cannot carry; nothing has changed yet then.
    const body = encodeBody(stamped);
    this.#lastEventId = last;
    this.#file.bytes += FRAME_HEADER_BYTES + body.length;
    const committed = this.#writer.append(body, last);
    return { stamped, lastEventId: last, committed };
  }

  /**
   * Starts a new file with a fresh snapshot now (the snapshot is taken inside this
   * call) and resolves when it is durable. Without events since the current file
   * began there is nothing new to snapshot: it only waits for what is queued.
   */
  async rotate(): Promise<void> {
    this.#assertWritable();
    if (this.#lastEventId === this.#file.fileEventId) return this.#writer.flushed();
    return this.#startRotation();
  }

  /** Allows deleting files whose events are all ≤ `upTo` (matters with autoRelease false). */
  release(upTo: EventId): void {
    if (upTo <= this.#released) return;
    this.#released = upTo;
    this.#scheduleHousekeeping();
  }

  position(): JournalPositionInfo {
    return this.#writer.position();
  }

  stats(): Readonly<JournalStats> {
    return { ...this.#writer.stats };
  }

  /** The journal files on disk, oldest first. */
  async files(): Promise<JournalFileInfo[]> {
    const { files } = await listJournal(this.#dir);
    const current = this.#writer.position().fileEventId;
    const infos: JournalFileInfo[] = [];
    for (const ref of files) {
      const bytes = await stat(join(this.#dir, ref.name)).then((s) => s.size, () => undefined);
      if (bytes !== undefined) infos.push({ ...ref, bytes, current: ref.fileEventId === current });
    }
    return infos;
  }

  /** Resolves when committed bytes beyond `since` exist in its file, or a newer file exists. */
  waitForChange(since: JournalPoint, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (this.#changedSince(since)) return Promise.resolve();
    const stopped = this.#stoppedError();
    if (stopped !== undefined) return Promise.reject(stopped);
    return this.#waiters.wait(since, signal);
  }

  /** Writes and syncs pending appends, closes the file and unlocks the directory. Idempotent. */
  close(): Promise<void> {
    if (this.#lifecycle.kind === 'closing') return this.#lifecycle.done;
    const done = this.#shutdown();
    this.#lifecycle = { kind: 'closing', done };
    return done;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #shutdown(): Promise<void> {
    // Live readers learn first: nothing more will come.
    this.#waiters.stop(new TandemError('ShuttingDown', 'The journal is closed.', { dir: this.#dir }));
    try {
      await this.#writer.close();
      await this.#housekeeping;
    } finally {
      await this.#lock.release();
    }
  }

  #assertWritable(): void {
    const stopped = this.#stoppedError();
    if (stopped !== undefined) throw stopped;
  }

  #stoppedError(): TandemError | undefined {
    if (this.#lifecycle.kind !== 'open') return new TandemError('ShuttingDown', 'The journal is closed.', { dir: this.#dir });
    return this.#writer.failure;
  }

  #rotationDue(): boolean {
    const file = this.#file;
    if (this.#lastEventId === file.fileEventId) return false;
    if (this.#clock.now() - file.createdAt >= this.#rotateAgeMs) return true;
    // A file must also hold at least as many event bytes as snapshot bytes, or a
    // snapshot near the size bound would cause a new file after every append.
    return file.bytes >= this.#rotateBytes && file.bytes - file.snapshotBytes >= file.snapshotBytes;
  }

  #startRotation(): Promise<void> {
    const records = this.#snapshot();
    const header = makeHeader({
      journalId: this.#journalId,
      fileEventId: this.#lastEventId,
      generation: this.#file.generation + 1,
      snapshotCount: records.length,
      createdAt: this.#clock.now(),
    });
    const content = encodeFrames([header, ...records]);
    this.#file = { fileEventId: header.fileEventId, generation: header.generation, createdAt: header.createdAt, snapshotBytes: content.length, bytes: content.length };
    this.#logger.info({ file: journalFileName(header.fileEventId), snapshotRecords: records.length, bytes: content.length }, 'rotating the journal');
    return this.#writer.rotate(header.fileEventId, content);
  }

  #changedSince(since: JournalPoint): boolean {
    const at = this.#writer.position();
    return at.fileEventId > since.fileEventId || (at.fileEventId === since.fileEventId && at.synced > since.position);
  }

  #notify(): void {
    if (this.#waiters.size === 0) return;
    const stopped = this.#stoppedError();
    if (stopped !== undefined) this.#waiters.stop(stopped);
    else this.#waiters.notify((since) => this.#changedSince(since));
  }

  #scheduleHousekeeping(): void {
    this.#housekeeping = this.#housekeeping
      .then(() => deleteReleasedFiles(this.#dir, this.#writer.position().fileEventId, this.#autoRelease ? 'all' : this.#released, this.#logger))
      .catch((err: unknown) => this.#logger.warn({ err }, 'deleting released journal files failed; will retry at the next rotation'));
  }
}
