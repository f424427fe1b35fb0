import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { TandemError, linkedAbort, type Clock, type Epoch, type EventId } from '../common/index.js';
import { checkFrame, FRAME_HEADER_BYTES, journalFileName, listJournal, MAX_BODY_BYTES, type Journal } from '../journal/index.js';
import type { JournalFrame, JournalStreamRequest } from './transport/index.js';

export interface JournalServerOptions {
  readonly dir: string;
  readonly journal: () => Journal;
  readonly clock: Clock;
  readonly heartbeatMs: number;
  readonly epoch: () => Epoch;
  /** Called as each Records frame goes out. */
  readonly onRecords?: () => void;
}

/**
 * At most this many bytes go into one Records frame (always whole records). A catch-up
 * runs at about 1.3x the rate of 4 MiB frames: the passive decodes a whole frame before
 * it applies it, and the events of a big one outlive the young generation.
 */
const maxFrameBytes = 256 * 1024;

/**
 * Serves the active's journal to the passive as raw bytes — the copies stay
 * byte-identical — from (file, position) on and live, only ever bytes that are
 * durable here, with a heartbeat frame whenever the journal is idle.
 */
export async function* serveJournal(o: JournalServerOptions, request: JournalStreamRequest, signal: AbortSignal): AsyncGenerator<JournalFrame> {
  const journal = o.journal();
  // A reader behind in epochs is a returning node catching up (it reads the failover it missed);
  // a reader *ahead* knows of a failover this node missed: this node is the stale one.
  if (request.epoch > o.epoch()) {
    throw new TandemError('ClusterEpochStale', `The reader knows epoch ${request.epoch}, above this node's ${o.epoch()}: this node is not the active one any more.`, {
      epoch: request.epoch,
    });
  }
  if (request.journalId !== undefined && request.journalId !== journal.journalId) {
    throw new TandemError('JournalIdMismatch', 'The reader holds another journal: the two nodes do not belong to the same cluster.', {
      expected: journal.journalId,
      got: request.journalId,
    });
  }
  let file = request.fileEventId;
  let position = request.position ?? 0;
  const files = (await listJournal(o.dir)).files;
  if (file === undefined) {
    file = files[0]?.fileEventId;
    position = 0;
  }
  if (file === undefined || !files.some((f) => f.fileEventId === file)) {
    throw new TandemError('JournalPositionInvalid', `This node has no journal file ${String(file)} (any more).`, {
      fileEventId: file,
      files: files.map((f) => f.fileEventId),
    });
  }
  let current: EventId = file;
  // One handle per file for the whole stream: an open and close per frame cost more than the read itself on the commit path.
  // Opened at once and kept: a file deleted meanwhile (released) is still read to its end.
  let handle = await openJournalFile(o.dir, current);
  let lastHeartbeatAt = Number.NEGATIVE_INFINITY;
  try {
    // Before the first frame, so a bad position is refused with its status: later positions are ends of records sent.
    await checkRecordBoundary(handle, current, position, await durableEnd(journal, current, handle));
    while (!signal.aborted) {
      const at = journal.position();
      const end = await durableEnd(journal, current, handle);
      if (position > end) {
        throw new TandemError('JournalPositionInvalid', `Position ${position} is beyond the end of journal file ${current}.`, { fileEventId: current, position });
      }
      if (position < end) {
        const bytes = await readWholeRecords(handle, current, position, end);
        o.onRecords?.();
        yield { TYPE: 'Records', fileEventId: current, position, bytes };
        position += bytes.length;
        continue;
      }
      if (current < at.fileEventId) {
        // This file is complete; go on with the next one that exists (a rotation may still be renaming it).
        const next = (await listJournal(o.dir)).files.find((f) => f.fileEventId > current);
        if (next !== undefined) {
          const done = handle;
          handle = await openJournalFile(o.dir, next.fileEventId);
          current = next.fileEventId;
          position = 0;
          await done.close();
          continue;
        }
      }
      const now = o.clock.monotonic();
      if (current === at.fileEventId && now - lastHeartbeatAt >= o.heartbeatMs) {
        // The reader has all that is synced. Said at least once an interval even while writing goes
        // on without pause, when the journal is never still for a whole interval: the passive couples on it.
        lastHeartbeatAt = now;
        yield { TYPE: 'Heartbeat', fileEventId: current, position, lastEventId: journal.committedEventId, epoch: o.epoch() };
        continue;
      }
      if (!(await changeOrTimeout(journal, { fileEventId: current, position }, o, signal))) {
        lastHeartbeatAt = o.clock.monotonic();
        yield { TYPE: 'Heartbeat', fileEventId: current, position, lastEventId: journal.committedEventId, epoch: o.epoch() };
      }
    }
  } finally {
    await handle.close();
  }
}

/** Why a wait for a change ended without one (a reason made once: an abort without one builds an error with a stack). */
const idle = new Error('no change within a heartbeat interval');

/**
 * Resolves true when the journal moved past `since`, false after a heartbeat interval
 * of silence. Runs once per frame, so the timer is cancelled, not aborted (see Clock.timer).
 */
async function changeOrTimeout(journal: Journal, since: { fileEventId: EventId; position: number }, o: JournalServerOptions, signal: AbortSignal): Promise<boolean> {
  const wait = linkedAbort(signal);
  const cancel = o.clock.timer(o.heartbeatMs, () => wait.abort(idle));
  try {
    await journal.waitForChange(since, wait.signal);
    return true;
  } catch (err) {
    if (err === idle || signal.aborted) return false;
    throw err;
  } finally {
    cancel();
    wait.dispose();
  }
}

/** How far the file holds durable bytes: the synced end of the current file, the size of an older one. */
async function durableEnd(journal: Journal, fileEventId: EventId, handle: FileHandle): Promise<number> {
  const at = journal.position();
  return fileEventId === at.fileEventId ? at.synced : (await handle.stat()).size;
}

async function openJournalFile(dir: string, fileEventId: EventId): Promise<FileHandle> {
  try {
    return await open(join(dir, journalFileName(fileEventId)), 'r');
  } catch (err) {
    throw released(err, fileEventId);
  }
}

/** A file gone before the stream opened it: deleted once the reader's node had acknowledged past it, or by hand. */
function released(err: unknown, fileEventId: EventId): unknown {
  if (!(typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'ENOENT')) return err;
  return new TandemError('JournalPositionInvalid', `This node has no journal file ${fileEventId} any more.`, { fileEventId }, { cause: err });
}

/**
 * A requested position must start a record (or be the durable end): the frame found there
 * must be whole and pass its CRC, which bytes from the middle of a record do only by a
 * one-in-four-billion chance. Without this the stream would send bytes cut at a wrong
 * place, and a length read from the middle of a record.
 */
async function checkRecordBoundary(handle: FileHandle, fileEventId: EventId, position: number, end: number): Promise<void> {
  if (position === 0 || position >= end) return;
  const header = Buffer.alloc(FRAME_HEADER_BYTES);
  const { bytesRead } = await handle.read(header, 0, FRAME_HEADER_BYTES, position);
  const bodyLength = bytesRead === FRAME_HEADER_BYTES ? header.readUInt32BE(0) : 0;
  let intact = bodyLength > 0 && bodyLength <= MAX_BODY_BYTES && position + FRAME_HEADER_BYTES + bodyLength <= end;
  if (intact) {
    const frame = Buffer.alloc(FRAME_HEADER_BYTES + bodyLength);
    const read = await handle.read(frame, 0, frame.length, position);
    intact = read.bytesRead === frame.length && checkFrame(frame, 0, frame.length).kind === 'intact';
  }
  if (!intact) {
    throw new TandemError('JournalPositionInvalid', `Position ${position} in journal file ${fileEventId} is not the start of a record.`, { fileEventId, position });
  }
}

/** Reads [from, end) but stops at the last record boundary within maxFrameBytes, so a frame holds whole records only. */
async function readWholeRecords(handle: FileHandle, fileEventId: EventId, from: number, end: number): Promise<Buffer> {
  const length = Math.min(end - from, maxFrameBytes);
  const buffer = Buffer.allocUnsafe(length);
  const { bytesRead } = await handle.read(buffer, 0, length, from);
  if (from + bytesRead === end) return buffer.subarray(0, bytesRead);
  let boundary = 0;
  while (boundary + FRAME_HEADER_BYTES <= bytesRead) {
    const next = boundary + FRAME_HEADER_BYTES + buffer.readUInt32BE(boundary);
    if (next > bytesRead) break;
    boundary = next;
  }
  if (boundary === 0) {
    // One record larger than a frame: send it whole, and never more than the file holds.
    const size = FRAME_HEADER_BYTES + buffer.readUInt32BE(0);
    if (size > end - from) {
      throw new TandemError('JournalCorrupt', `The record at ${from} in journal file ${fileEventId} claims ${size} bytes, more than the file holds after it.`, { fileEventId, position: from });
    }
    const big = Buffer.allocUnsafe(size);
    const { bytesRead: got } = await handle.read(big, 0, size, from);
    if (got !== size) throw new TandemError('JournalCorrupt', `Journal file ${fileEventId} ended inside the record at ${from}.`, { fileEventId, position: from });
    return big;
  }
  return buffer.subarray(0, boundary);
}
