import { mkdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { asEventId, TandemError, type Clock, type EventId, type Logger } from '../common/index.js';
import { DirectoryLock } from './directory-lock.js';
import { deleteReleasedFiles, fsyncDir, journalFileName, openJournalFile, writeFully, type OpenJournalFile } from './journal-files.js';
import type { JournalRecord } from './journal-reader.js';
import type { JournalHeader } from './journal-records.js';
import { recoverJournal } from './journal-recovery.js';
import { isAfter, type JournalPoint, type JournalReplay, type Recovered } from './journal-types.js';
import { invalidReplicaPosition, reopenReplicaFile, replicaClosed, TMP_SUFFIX, toRecovered, type ReplicaFile } from './replica-file.js';
import { checkReplicaRecords, type ReplicaExpectation } from './replica-records.js';

export interface ReplicaOptions {
  /** The journal directory (`<data>/state`); created when missing. */
  readonly dir: string;
  /** fdatasync in `sync()` (`js7.journal.sync`); off only writes to the OS. */
  readonly sync: boolean;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Receives the recovered state while it is read, as with `Journal.open`. */
  readonly replay?: JournalReplay;
  /** Test seam: how files are opened for writing (to count or fail I/O). */
  readonly openFile?: OpenJournalFile;
}

type Lifecycle = { readonly kind: 'open' } | { readonly kind: 'closing'; readonly done: Promise<void> };

const noop = (): void => undefined;

/**
 * The passive node's copy of the active's journal. It takes the active's bytes
 * as they are — whole framed records, checked but never re-encoded — so the two
 * copies are byte-identical, and lays out files exactly as the active does (a new
 * file appears by rename only once its snapshot is complete), so `Journal.open`
 * can take the directory over when this node becomes active.
 *
 * Writes (and releases) run one at a time in call order; a sync waits for the
 * writes called before it, but later writes need not wait for its fdatasync, so
 * an owner may check and write the next batch while the last one is synced.
 */
export class JournalReplica {
  readonly #dir: string;
  readonly #sync: boolean;
  readonly #logger: Logger;
  readonly #lock: DirectoryLock;
  readonly #openFile: OpenJournalFile;
  #lifecycle: Lifecycle = { kind: 'open' };
  #file: ReplicaFile | undefined;
  #journalId: string | undefined;
  #lastEventId: EventId;
  #syncedEventId: EventId;
  /** Where the journal ends right after the event `#syncedEventId`. */
  #syncedAt: JournalPoint | undefined;
  #failure: TandemError | undefined;
  /** Writes and releases, one at a time in call order. */
  #writes: Promise<void> = Promise.resolve();
  /** Every sync() called, for close() to wait for. */
  #syncs: Promise<void> = Promise.resolve();
  /** fdatasync and the closing of a finished file, one at a time (never waiting for a write). */
  #syncLock: Promise<void> = Promise.resolve();

  private constructor(options: ReplicaOptions, logger: Logger, lock: DirectoryLock, file: ReplicaFile | undefined, lastEventId: EventId) {
    this.#dir = options.dir;
    this.#sync = options.sync;
    this.#logger = logger;
    this.#lock = lock;
    this.#openFile = options.openFile ?? openJournalFile;
    this.#file = file;
    this.#journalId = file?.header.journalId;
    this.#lastEventId = lastEventId;
    this.#syncedEventId = lastEventId;
    this.#syncedAt = this.end();
  }

  /**
   * Locks the directory and recovers what is there exactly like `Journal.open`,
   * but never creates a journal: an empty directory gives `recovered: undefined`.
   */
  static async open(options: ReplicaOptions): Promise<{ replica: JournalReplica; recovered: Recovered | undefined }> {
    const logger = options.logger.child({ component: 'journal-replica' });
    await mkdir(options.dir, { recursive: true });
    const lock = await DirectoryLock.acquire(options.dir, logger);
    try {
      const found = await recoverJournal(options.dir, logger, options.replay);
      if (found === undefined) {
        logger.info({ dir: options.dir }, 'no replicated journal yet');
        return { replica: new JournalReplica(options, logger, lock, undefined, asEventId(0)), recovered: undefined };
      }
      const file = await reopenReplicaFile(options.dir, options.openFile ?? openJournalFile, found);
      logger.info({ journalId: found.header.journalId, file: found.name, lastEventId: found.lastEventId }, 'recovered the replicated journal');
      return { replica: new JournalReplica(options, logger, lock, file, found.lastEventId), recovered: toRecovered(found) };
    } catch (err) {
      await lock.release();
      throw err;
    }
  }

  get journalId(): string | undefined {
    return this.#journalId;
  }

  /** The last EventId written. */
  get lastEventId(): EventId {
    return this.#lastEventId;
  }

  /** The last EventId known durable (with sync off: written before the last `sync()`). */
  get syncedEventId(): EventId {
    return this.#syncedEventId;
  }

  /** The end of the file that holds `syncedEventId`, right after it: how far the journal is durable, in bytes. */
  get syncedPoint(): JournalPoint | undefined {
    return this.#syncedAt;
  }

  /** The newest file once it is in place (its header and snapshot all written, no longer a `.tmp`). */
  get fileInPlace(): EventId | undefined {
    const file = this.#file;
    return file === undefined || file.tmp ? undefined : file.header.fileEventId;
  }

  /** Where the next bytes go: the end of the newest file, or undefined when empty. */
  end(): JournalPoint | undefined {
    const file = this.#file;
    return file === undefined ? undefined : { fileEventId: file.header.fileEventId, position: file.written };
  }

  /**
   * Appends whole records received from the active at `end()`, or at position 0 of
   * the file that follows, in one write call. Every record is checked first; on any
   * problem nothing is written. Returns the decoded records (`raw` are views into `bytes`).
   */
  write(fileEventId: EventId, position: number, bytes: Uint8Array): Promise<readonly JournalRecord[]> {
    return this.#queueWrite(() => this.#write(fileEventId, position, bytes));
  }

  /**
   * `write()` and then at once `sync()`: the fdatasync is already under way when the
   * records come back, so the owner can check and write the next bytes while the disk
   * works. `durable` settles as `sync()` would; await it.
   */
  writeAndSync(fileEventId: EventId, position: number, bytes: Uint8Array): Promise<{ readonly records: readonly JournalRecord[]; readonly durable: Promise<void> }> {
    return this.#queueWrite(async () => {
      const records = await this.#write(fileEventId, position, bytes);
      // Queued before this promise settles: with no fdatasync in flight it starts before the
      // owner's next step runs; behind one, it starts when that one ends.
      return { records, durable: this.#startSync() };
    });
  }

  /** Makes what the `write()` calls before it wrote durable: one fdatasync (none with sync off). */
  sync(): Promise<void> {
    if (this.#lifecycle.kind !== 'open') return Promise.reject(replicaClosed(this.#dir));
    return this.#writes.then(() => this.#startSync());
  }

  /** Queues an fdatasync of what is written so far; close() waits for it. */
  #startSync(): Promise<void> {
    const result = this.#exclusively(() => this.#syncNow());
    this.#syncs = Promise.all([this.#syncs, result]).then(noop, noop);
    return result;
  }

  /** Deletes whole older files whose events are all ≤ `upTo` and that a newer complete file follows. */
  release(upTo: EventId): Promise<void> {
    return this.#queueWrite(async () => {
      const file = this.#file;
      if (file !== undefined) await deleteReleasedFiles(this.#dir, file.header.fileEventId, upTo, this.#logger);
    });
  }

  /** Waits for pending calls, syncs, closes the file and unlocks the directory. Idempotent. */
  close(): Promise<void> {
    if (this.#lifecycle.kind === 'closing') return this.#lifecycle.done;
    const done = this.#shutdown();
    this.#lifecycle = { kind: 'closing', done };
    return done;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #queueWrite<T>(op: () => Promise<T>): Promise<T> {
    if (this.#lifecycle.kind !== 'open') return Promise.reject(replicaClosed(this.#dir));
    const result = this.#writes.then(() => {
      if (this.#failure !== undefined) throw this.#failure;
      return op();
    });
    this.#writes = result.then(noop, noop);
    return result;
  }

  #exclusively(op: () => Promise<void>): Promise<void> {
    const result = this.#syncLock.then(op);
    this.#syncLock = result.then(noop, noop);
    return result;
  }

  async #write(fileEventId: EventId, position: number, input: Uint8Array): Promise<readonly JournalRecord[]> {
    // A view, not a copy: the bytes go to the file exactly as they came.
    const bytes = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    const expect = this.#expectation(fileEventId, position);
    if (bytes.length === 0) return [];
    const checked = checkReplicaRecords(expect, bytes);
    try {
      const file = expect.header === undefined ? await this.#startFile(checked.header) : this.#file;
      if (file === undefined) throw new Error('no file to append to');
      await writeFully(file.handle, bytes, bytes.length, file.written);
      file.written += bytes.length;
      file.records = checked.fileRecords;
      file.unsynced = true;
      this.#lastEventId = checked.lastEventId;
      this.#journalId = checked.header.journalId;
      if (file.tmp && file.records > file.header.snapshotCount) await this.#putInPlace(file);
    } catch (err) {
      throw this.#fail(err);
    }
    return checked.records;
  }

  /** What bytes at (fileEventId, position) must be to continue this journal; throws JournalPositionInvalid if they cannot. */
  #expectation(fileEventId: EventId, position: number): ReplicaExpectation {
    const name = journalFileName(fileEventId);
    const file = this.#file;
    const at = { name, fileEventId, position, lastEventId: this.#lastEventId };
    if (file === undefined) {
      if (position !== 0) throw invalidReplicaPosition(fileEventId, position, 'this node holds no journal yet, so it needs a file from position 0');
      return { ...at, header: undefined, records: 0, lastEventId: fileEventId, journalId: undefined, generation: undefined };
    }
    const current = file.header.fileEventId;
    if (fileEventId === current) {
      if (position !== file.written) throw invalidReplicaPosition(fileEventId, position, `this node's copy of ${name} ends at ${file.written}`);
      return { ...at, header: file.header, records: file.records, journalId: this.#journalId, generation: undefined };
    }
    if (fileEventId < current || position !== 0) {
      throw invalidReplicaPosition(fileEventId, position, `this node's journal continues at file ${current} position ${file.written}`);
    }
    // This also keeps a file from following an unfinished .tmp: that holds no
    // events, so the last EventId is the .tmp's own fileEventId.
    if (fileEventId !== this.#lastEventId) {
      throw invalidReplicaPosition(fileEventId, position, `a new file must follow the last EventId ${this.#lastEventId} of file ${current}`);
    }
    return { ...at, header: undefined, records: 0, journalId: this.#journalId, generation: file.header.generation + 1 };
  }

  /** Finishes the current file and opens the `.tmp` of the next. */
  async #startFile(header: JournalHeader): Promise<ReplicaFile> {
    const previous = this.#file;
    if (previous !== undefined) await this.#exclusively(() => this.#finishFile(previous));
    const name = journalFileName(header.fileEventId);
    const handle = await this.#openFile(join(this.#dir, name + TMP_SUFFIX), 'w', false);
    const file: ReplicaFile = { name, header, handle, written: 0, records: 0, unsynced: false, tmp: true };
    this.#file = file;
    return file;
  }

  /** Makes a file durable and closes it (after any fdatasync in flight on it). */
  async #finishFile(previous: ReplicaFile): Promise<void> {
    if (this.#failure !== undefined) throw this.#failure;
    // The old file must be complete on disk before its successor exists (also
    // with sync off): recovery treats damage in any file but the newest as corruption.
    if (previous.unsynced) await previous.handle.datasync();
    previous.unsynced = false;
    this.#synced(this.#lastEventId, { fileEventId: previous.header.fileEventId, position: previous.written });
    this.#file = undefined;
    await previous.handle.close();
  }

  /** Renames a `.tmp` whose header and snapshot are all in, as the active did with its own. */
  async #putInPlace(file: ReplicaFile): Promise<void> {
    await file.handle.datasync();
    await rename(join(this.#dir, file.name + TMP_SUFFIX), join(this.#dir, file.name));
    await fsyncDir(this.#dir);
    file.tmp = false;
    file.unsynced = false;
    this.#synced(this.#lastEventId, { fileEventId: file.header.fileEventId, position: file.written });
    this.#logger.info({ file: file.name, snapshotRecords: file.header.snapshotCount }, 'replicated a new journal file');
  }

  async #syncNow(): Promise<void> {
    if (this.#failure !== undefined) throw this.#failure;
    const file = this.#file;
    // Everything written up to here is covered by an fdatasync that starts now.
    const target = this.#lastEventId;
    // A .tmp is durable only once it is in place.
    const at = file === undefined || file.tmp ? undefined : { fileEventId: file.header.fileEventId, position: file.written };
    // A .tmp holds no events yet (only header and snapshot), so there is nothing to make durable.
    if (this.#sync && file !== undefined && file.unsynced && !file.tmp) {
      // Cleared first: a write landing during the fdatasync may not be covered by it.
      file.unsynced = false;
      try {
        await file.handle.datasync();
      } catch (err) {
        throw this.#fail(err);
      }
    }
    this.#synced(target, at);
  }

  /** `at`: where the durable bytes end now, if known; a new file in place moves it without a new event. */
  #synced(upTo: EventId, at: JournalPoint | undefined): void {
    if (upTo > this.#syncedEventId) this.#syncedEventId = upTo;
    if (at !== undefined && upTo === this.#syncedEventId && isAfter(at, this.#syncedAt)) this.#syncedAt = at;
  }

  #fail(err: unknown): TandemError {
    if (err instanceof TandemError && err === this.#failure) return err;
    const name = this.#file?.name ?? this.#dir;
    this.#failure ??= new TandemError(
      'JournalWriteFailed',
      `Writing the replicated journal file ${name} failed: ${err instanceof Error ? err.message : String(err)}`,
      { file: name },
      { cause: err },
    );
    this.#logger.error({ err, file: name }, 'replicated journal write failed; the replica accepts no more bytes');
    return this.#failure;
  }

  async #shutdown(): Promise<void> {
    await this.#writes;
    await this.#syncs;
    const file = this.#file;
    this.#file = undefined;
    try {
      if (file !== undefined) await this.#closeFile(file);
    } finally {
      await this.#lock.release();
    }
  }

  async #closeFile(file: ReplicaFile): Promise<void> {
    try {
      // A graceful stop loses nothing, also with sync off.
      if (file.unsynced && !file.tmp && this.#failure === undefined) await file.handle.datasync();
    } finally {
      await file.handle.close();
    }
    if (!file.tmp) return;
    // An unfinished new file holds only part of a snapshot the active will send
    // again. Best effort: the next open deletes a leftover .tmp anyway.
    const tmp = file.name + TMP_SUFFIX;
    try {
      await unlink(join(this.#dir, tmp));
      await fsyncDir(this.#dir);
      this.#logger.info({ file: tmp }, 'deleted an unfinished replicated journal file');
    } catch (err) {
      this.#logger.warn({ err, file: tmp }, 'could not delete an unfinished replicated journal file; the next open will');
    }
  }
}
