import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { TandemError, type Logger } from '../common/index.js';
import { isErrno } from './journal-files.js';

const LOCK_NAME = 'journal.lock';
const lockContentSchema = z
  .string()
  .trim()
  .regex(/^\d+$/)
  .transform((s) => Number(s));

// Lock files this process holds. A lock naming our own pid that is not in here
// was left by an earlier process that had the same pid (pid 1 in a restarted
// container), so it is stale.
const heldByThisProcess = new Set<string>();

/**
 * An exclusive claim on a journal directory: a lock file holding the owner's pid.
 * A lock whose process no longer exists (SIGKILLed) is taken over. Meant for a
 * local file system: pids mean nothing across hosts.
 */
export class DirectoryLock {
  readonly #path: string;
  #released = false;

  private constructor(path: string) {
    this.#path = path;
  }

  static async acquire(dir: string, logger: Logger): Promise<DirectoryLock> {
    const path = join(dir, LOCK_NAME);
    // A stale lock costs one round to remove; a race with another starter may cost one more.
    for (let round = 0; round < 3; round += 1) {
      if (await tryCreate(path)) {
        heldByThisProcess.add(path);
        return new DirectoryLock(path);
      }
      const holder = await readHolder(path);
      if (holder === 'gone') continue;
      if (holder !== 'unreadable' && isAlive(holder, path)) {
        throw new TandemError('JournalLocked', `The journal directory ${dir} is in use by process ${holder}.`, { dir, pid: holder });
      }
      logger.warn({ lock: path, pid: holder }, 'taking over the journal lock of a process that no longer runs');
      await unlink(path).catch((err: unknown) => {
        if (!isErrno(err, 'ENOENT')) throw err;
      });
    }
    throw new TandemError('JournalLocked', `The journal directory ${dir} is being locked by another process.`, { dir });
  }

  /** Removes the lock file. Idempotent. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    heldByThisProcess.delete(this.#path);
    await unlink(this.#path).catch((err: unknown) => {
      if (!isErrno(err, 'ENOENT')) throw err;
    });
  }
}

async function tryCreate(path: string): Promise<boolean> {
  // Written aside and hard-linked into place, so the lock never exists without
  // its pid: link() fails with EEXIST atomically when another holder is there.
  const aside = `${path}.${process.pid}`;
  await writeFile(aside, `${process.pid}\n`);
  try {
    await link(aside, path);
    return true;
  } catch (err) {
    if (isErrno(err, 'EEXIST')) return false;
    throw err;
  } finally {
    await unlink(aside);
  }
}

async function readHolder(path: string): Promise<number | 'gone' | 'unreadable'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return 'gone';
    throw err;
  }
  const parsed = lockContentSchema.safeParse(text);
  // Only damage makes a lock unreadable (it is never seen half-written); take it over.
  return parsed.success ? parsed.data : 'unreadable';
}

function isAlive(pid: number, path: string): boolean {
  if (pid === process.pid) return heldByThisProcess.has(path);
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return !isErrno(err, 'ESRCH');
  }
}
