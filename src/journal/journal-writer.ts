import { TandemError, type EventId, type Logger } from '../common/index.js';
import { createJournalFile, durableWritesFor, writeFully, type JournalFileHandle, type OpenJournalFile } from './journal-files.js';
import { WriteBatch } from './write-batch.js';

/** The file appends currently go to. */
interface CurrentFile {
  readonly name: string;
  readonly fileEventId: EventId;
  readonly handle: JournalFileHandle;
  written: number;
  synced: number;
}

interface RotateOp {
  readonly kind: 'rotate';
  readonly fileEventId: EventId;
  readonly content: Buffer;
  readonly done: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

type WriteOp = { readonly kind: 'batch'; readonly batch: WriteBatch } | RotateOp;

/** Counters for tests, the benchmark and metrics. */
export interface JournalStats {
  appends: number;
  writes: number;
  /** Batches made durable: with sync on, every write (one O_DSYNC write, or a write and an fdatasync). */
  syncs: number;
  bytes: number;
  rotations: number;
}

export interface WriterOptions {
  readonly dir: string;
  readonly sync: boolean;
  readonly openFile: OpenJournalFile;
  readonly logger: Logger;
  /** Called after bytes became durable or a new file was put in place. */
  readonly onProgress: () => void;
  readonly onRotated: (fileEventId: EventId) => void;
}

// A batch buffer above this size is not kept for reuse, so one burst does not pin memory.
const SPARE_LIMIT = 8 * 1024 * 1024;

/**
 * Writes batches and file rotations strictly in order. All appends that arrive
 * while a batch is being made durable join one batch, which goes out in the
 * next single durable write (group commit).
 */
export class JournalWriter {
  readonly #options: WriterOptions;
  /** With sync on, files are opened O_DSYNC where the platform has it: a write is then durable on return. */
  readonly #durableWrites: boolean;
  readonly #ops: WriteOp[] = [];
  #open: WriteBatch | undefined;
  #spare: Buffer | undefined;
  #file: CurrentFile;
  #draining: Promise<void> | undefined;
  #failure: TandemError | undefined;
  #committedEventId: EventId;
  readonly stats: JournalStats = { appends: 0, writes: 0, syncs: 0, bytes: 0, rotations: 0 };

  constructor(options: WriterOptions, file: CurrentFile, committedEventId: EventId) {
    this.#options = options;
    this.#durableWrites = durableWritesFor(options.sync);
    this.#file = file;
    this.#committedEventId = committedEventId;
  }

  get failure(): TandemError | undefined {
    return this.#failure;
  }

  get committedEventId(): EventId {
    return this.#committedEventId;
  }

  position(): { fileEventId: EventId; written: number; synced: number } {
    return { fileEventId: this.#file.fileEventId, written: this.#file.written, synced: this.#file.synced };
  }

  /** Queues one encoded record; the promise resolves once it is durable. */
  append(body: Buffer, lastEventId: EventId): Promise<void> {
    let batch = this.#open;
    if (batch === undefined) {
      batch = new WriteBatch(this.#spare, lastEventId);
      this.#spare = undefined;
      this.#open = batch;
      this.#ops.push({ kind: 'batch', batch });
      this.#kick();
    }
    batch.add(body, lastEventId);
    this.stats.appends += 1;
    return batch.done;
  }

  /** Queues the switch to a new file holding `content`, after everything queued before. */
  rotate(fileEventId: EventId, content: Buffer): Promise<void> {
    let resolve: () => void = () => undefined;
    let reject: (err: unknown) => void = () => undefined;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Rotations the owner did not ask for are not awaited; their failure reaches it
    // through every later append instead of as an unhandled rejection.
    done.catch(() => undefined);
    this.#open = undefined;
    this.#ops.push({ kind: 'rotate', fileEventId, content, done, resolve, reject });
    this.#kick();
    return done;
  }

  /** Resolves when everything queued so far is durable. */
  flushed(): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const last = this.#ops[this.#ops.length - 1];
    if (last === undefined) return Promise.resolve();
    return last.kind === 'batch' ? last.batch.done : last.done;
  }

  /** Writes what is queued, syncs (also with sync off: a graceful stop loses nothing) and closes the file. */
  async close(): Promise<void> {
    while (this.#draining !== undefined) await this.#draining;
    if (this.#failure === undefined && !this.#options.sync) {
      try {
        await this.#file.handle.datasync();
      } catch (err) {
        this.#fail(err, undefined);
      }
    }
    await this.#file.handle.close();
  }

  #kick(): void {
    this.#draining ??= this.#drain();
  }

  async #drain(): Promise<void> {
    // Yield once, so appends made by callers woken in this same turn join the batch.
    await Promise.resolve();
    try {
      for (let op = this.#ops.shift(); op !== undefined; op = this.#ops.shift()) {
        if (op.kind === 'batch' && op.batch === this.#open) this.#open = undefined;
        try {
          await this.#run(op);
        } catch (err) {
          this.#fail(err, op);
        }
      }
    } finally {
      this.#draining = undefined;
    }
  }

  async #run(op: WriteOp): Promise<void> {
    switch (op.kind) {
      case 'batch':
        return this.#writeBatch(op.batch);
      case 'rotate':
        return this.#rotate(op);
      default: {
        const never: never = op;
        throw new Error(`unknown write op ${String(never)}`);
      }
    }
  }

  async #writeBatch(batch: WriteBatch): Promise<void> {
    const file = this.#file;
    // With durable writes (O_DSYNC) this is the write and the fdatasync in one.
    await writeFully(file.handle, batch.buffer, batch.length, file.written);
    file.written += batch.length;
    this.stats.writes += 1;
    this.stats.bytes += batch.length;
    if (this.#options.sync) {
      if (!this.#durableWrites) await file.handle.datasync();
      this.stats.syncs += 1;
    }
    file.synced = file.written;
    this.#committedEventId = batch.lastEventId;
    if (batch.buffer.length <= SPARE_LIMIT) this.#spare = batch.buffer;
    batch.resolve();
    this.#options.onProgress();
  }

  async #rotate(op: RotateOp): Promise<void> {
    const old = this.#file;
    // The old file must be complete on disk before its successor exists: recovery
    // treats damage in any file but the newest as corruption, never as a torn tail.
    if (!this.#options.sync) await old.handle.datasync();
    const { name, handle } = await createJournalFile(this.#options.dir, op.fileEventId, op.content, this.#options.openFile, this.#durableWrites);
    this.#file = { name, fileEventId: op.fileEventId, handle, written: op.content.length, synced: op.content.length };
    this.stats.rotations += 1;
    await old.handle.close().catch((err: unknown) => {
      this.#options.logger.warn({ err, file: old.name }, 'closing the previous journal file failed (its data was synced)');
    });
    op.resolve();
    this.#options.onRotated(op.fileEventId);
    this.#options.onProgress();
  }

  #fail(err: unknown, op: WriteOp | undefined): void {
    const failure =
      this.#failure ??
      new TandemError(
        'JournalWriteFailed',
        `Writing journal file ${this.#file.name} failed: ${err instanceof Error ? err.message : String(err)}`,
        { file: this.#file.name },
        { cause: err },
      );
    if (this.#failure === undefined) {
      this.#failure = failure;
      this.#options.logger.error({ err, file: this.#file.name }, 'journal write failed; the journal accepts no more appends');
    }
    const rejected = op === undefined ? this.#ops.splice(0) : [op, ...this.#ops.splice(0)];
    this.#open = undefined;
    for (const each of rejected) {
      if (each.kind === 'batch') each.batch.reject(failure);
      else each.reject(failure);
    }
    this.#options.onProgress();
  }
}
