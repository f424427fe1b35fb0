import { open, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { TandemError, type EventId } from '../common/index.js';
import { fsyncDir, listJournal, writeFully } from './journal-files.js';

/** Where a journal is to end: a record boundary in one of its files. */
export interface CutPoint {
  readonly fileEventId: EventId;
  readonly position: number;
}

/** What a cut moved aside: the files holding the cut bytes, named for the cut. */
export interface CutResult {
  readonly keptFiles: readonly string[];
  readonly cutBytes: number;
}

/**
 * Cuts the journal in `dir` back to `point`, keeping every cut byte: the tail of
 * the point's file goes to `<file>.cut-<label>`, later files are renamed the same
 * way, then the file is truncated and synced (without the point's file, only the later ones
 * go aside; a journal that ends before the point is JournalPositionInvalid). Nothing is deleted — the cut events
 * were never committed, but an operator may want to read them. Changes nothing
 * when the journal already ends at `point`. The journal must be closed.
 */
export async function cutJournal(dir: string, point: CutPoint, label: string): Promise<CutResult> {
  const listing = await listJournal(dir);
  const file = listing.files.find((f) => f.fileEventId === point.fileEventId);
  const keptFiles: string[] = [];
  let cutBytes = 0;
  const keptName = (name: string): string => `${name}.cut-${label}`;
  // Later files first: a crash in between leaves a journal that still ends at a file boundary.
  const later = [
    ...listing.files.filter((f) => f.fileEventId > point.fileEventId).map((f) => f.name),
    ...listing.leftovers.filter((name) => laterLeftover(name, point.fileEventId)),
  ];
  if (file === undefined && listing.files.every((f) => f.fileEventId < point.fileEventId)) {
    throw new TandemError('JournalPositionInvalid', `The journal has no file ${point.fileEventId} to cut back to.`, {
      fileEventId: point.fileEventId,
      files: listing.files.map((f) => f.fileEventId),
    });
  }
  for (const name of later) {
    cutBytes += (await stat(join(dir, name))).size;
    await rename(join(dir, name), join(dir, keptName(name)));
    keptFiles.push(keptName(name));
  }
  // On disk before the file they follow is shortened: a power loss must not bring a later file back after a cut one.
  if (later.length > 0) await fsyncDir(dir);
  // The point's file is gone (deleted by hand, or by a release before this node knew it had to cut):
  // everything after it goes aside, and the node replicates the rest again.
  if (file === undefined) return { keptFiles, cutBytes };
  const path = join(dir, file.name);
  const size = (await stat(path)).size;
  if (point.position > size) {
    throw new TandemError('JournalPositionInvalid', `Position ${point.position} is beyond the end (${size}) of journal file ${point.fileEventId}.`, {
      fileEventId: point.fileEventId,
      position: point.position,
      size,
    });
  }
  if (size > point.position) {
    const tail = Buffer.allocUnsafe(size - point.position);
    const handle = await open(path, 'r+');
    try {
      await handle.read(tail, 0, tail.length, point.position);
      // 'w', not 'wx': a cut that died before the truncate left the same tail (or part of it) under this name; write it whole again.
      const kept = await open(join(dir, keptName(file.name)), 'w');
      try {
        await writeFully(kept, tail, tail.length, 0);
        await kept.datasync();
      } finally {
        await kept.close();
      }
      // The cut bytes' own file is on disk, name and all, before they leave the journal file.
      await fsyncDir(dir);
      await handle.truncate(point.position);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    keptFiles.push(keptName(file.name));
    cutBytes += tail.length;
  }
  return { keptFiles, cutBytes };
}

function laterLeftover(name: string, fileEventId: EventId): boolean {
  const match = /^controller--(\d+)\.journal\.tmp$/.exec(name);
  return match?.[1] !== undefined && Number(match[1]) > fileEventId;
}
