import { createHash } from 'node:crypto';
import { mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { ManualClock, silentLogger, TandemError, type ErrorCode } from '../../../src/common/index.js';
import {
  encodeFrame,
  Journal,
  journalOpenFlags,
  listJournal,
  readRecords,
  type JournalFileHandle,
  type JournalOptions,
  type JournalRecord,
  type OpenJournalFile,
  type Recovered,
} from '../../../src/journal/index.js';

/** A fresh directory under the OS temp dir, removed after the test. */
export async function tempDir(t: TestContext, prefix = 'tandem-journal-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export function journalOptions(dir: string, overrides: Partial<JournalOptions> = {}): JournalOptions {
  return {
    dir,
    sync: true,
    rotateBytes: 1024 * 1024 * 1024,
    rotateAgeMs: 24 * 3600 * 1000,
    clock: new ManualClock(),
    logger: silentLogger(),
    snapshot: () => [{ TYPE: 'EmptySnapshot' }],
    ...overrides,
  };
}

/** Opens a journal and closes it after the test (close is idempotent). */
export async function openJournal(t: TestContext, options: JournalOptions): Promise<{ journal: Journal; recovered: Recovered }> {
  const opened = await Journal.open(options);
  t.after(() => opened.journal.close());
  return opened;
}

export function event(n: number): { TYPE: string; n: number; text: string } {
  return { TYPE: n % 3 === 0 ? 'Fizz' : 'Plain', n, text: `event number ${n}` };
}

/** Every record of the journal from its oldest file on. */
export async function allRecords(dir: string): Promise<JournalRecord[]> {
  const { files } = await listJournal(dir);
  const first = files[0];
  if (first === undefined) return [];
  const records: JournalRecord[] = [];
  for await (const record of readRecords(dir, { fileEventId: first.fileEventId, position: 0 })) records.push(record);
  return records;
}

/** Names and SHA-256 of every file in `dir`: equal before and after means nothing changed. */
export async function fingerprint(dir: string): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  for (const name of (await readdir(dir)).sort()) {
    result.set(name, createHash('sha256').update(await readFile(join(dir, name))).digest('hex'));
  }
  return result;
}

/** Flips one bit of a file in place. */
export async function flipBit(path: string, offset: number, bit = 0): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, offset);
    byte[0] = (byte[0] ?? 0) ^ (1 << bit);
    await handle.write(byte, 0, 1, offset);
  } finally {
    await handle.close();
  }
}

/** Writes a journal file by hand from records (header first), for shapes the Journal never writes. */
export async function craftFile(dir: string, name: string, records: readonly unknown[]): Promise<void> {
  await writeFile(join(dir, name), Buffer.concat(records.map((r) => encodeFrame(r))));
}

export function header(fields: { journalId?: string; fileEventId?: number; generation?: number; snapshotCount?: number; version?: number } = {}): Record<string, unknown> {
  return {
    TYPE: 'JournalHeader',
    version: fields.version ?? 1,
    journalId: fields.journalId ?? 'crafted',
    fileEventId: fields.fileEventId ?? 0,
    generation: fields.generation ?? 1,
    snapshotCount: fields.snapshotCount ?? 0,
    createdAt: 1,
  };
}

/** Asserts `promise` rejects with a TandemError of `code`, and returns it. */
export async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<TandemError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof TandemError && err.code === code) return err;
    throw new Error(`expected TandemError ${code}, got ${String(err)}`, { cause: err });
  }
  throw new Error(`expected TandemError ${code}, but it resolved`);
}

/**
 * An opener that counts the calls that make bytes durable — fdatasyncs, and writes to a file
 * opened with `durableWrites` (O_DSYNC) — and can be told to make them fail, or wait for a gate.
 */
export function faultyFiles(): {
  openFile: OpenJournalFile;
  syncs: () => number;
  failSyncs: (err: Error) => void;
  holdSyncs: (gate: Promise<void> | undefined) => void;
} {
  let syncs = 0;
  let failure: Error | undefined;
  let hold: Promise<void> | undefined;
  const durably = async <T>(op: () => Promise<T>): Promise<T> => {
    if (failure !== undefined) throw failure;
    syncs += 1;
    await hold;
    return op();
  };
  const openFile: OpenJournalFile = async (path, mode, durableWrites) => {
    const handle = await open(path, journalOpenFlags(mode, durableWrites));
    const wrapped: JournalFileHandle = {
      write: (buffer, offset, length, position) => {
        const write = () => handle.write(buffer, offset, length, position);
        return durableWrites ? durably(write) : write();
      },
      datasync: () => durably(() => handle.datasync()),
      close: () => handle.close(),
    };
    return wrapped;
  };
  return {
    openFile,
    syncs: () => syncs,
    failSyncs: (err) => {
      failure = err;
    },
    holdSyncs: (gate) => {
      hold = gate;
    },
  };
}

/** Resolves as `promise` does, or rejects naming `what` once `ms` have passed. */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
