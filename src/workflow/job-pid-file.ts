import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

const jobPidRecordSchema = z.object({
  version: z.literal(1),
  orderId: z.string(),
  pid: z.number().int().positive(),
  /** The job is started in its own session, so its process group id is its pid. */
  pgid: z.number().int().positive(),
  /** `/proc/<pid>/stat` field 22 (clock ticks since boot); null where /proc is missing. */
  startTime: z.number().int().nonnegative().nullable(),
});

/** What a pid file says about one running job. */
export type JobPidRecord = z.infer<typeof jobPidRecordSchema>;

/** One file found in the pid directory; `record` is undefined when the file is unreadable. */
export interface JobPidEntry {
  readonly path: string;
  readonly record: JobPidRecord | undefined;
  readonly problem?: string;
}

/** What `/proc/<pid>/stat` says about a process. */
export interface ProcessStat {
  /** Field 3: R, S, D, Z, T, … */
  readonly state: string;
  /** Field 22, clock ticks after boot: with the pid, it names one process for the whole uptime. */
  readonly startTime: number;
}

/** Reads `/proc/<pid>/stat`; undefined when there is no such process (or no /proc). */
export function readProcessStat(pid: number): ProcessStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // Field 2 is the command name in parentheses and may itself hold spaces and ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTime = Number(fields[19]);
  if (state === undefined || !Number.isSafeInteger(startTime)) return undefined;
  return { state, startTime };
}

/** True while `pid` is the very process that was started at `startTime` and has not exited. */
export function isSameProcessAlive(pid: number, startTime: number): boolean {
  const stat = readProcessStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.startTime === startTime;
}

// Keeps names portable and short; the full order id is inside the file.
function safeName(orderId: string): string {
  const safe = orderId.replace(/[^A-Za-z0-9_-]/gu, (c) => `%${(c.codePointAt(0) ?? 0).toString(16)}`);
  return safe.slice(0, 120);
}

/**
 * The directory of pid files, one per running job, so that a controller started
 * after one that died can find and end the jobs the dead one left behind.
 */
export class JobPidDirectory {
  readonly #dir: string;
  #created = false;

  constructor(dir: string) {
    this.#dir = dir;
  }

  /**
   * Writes the file synchronously, so it exists before `start()` returns. No fsync:
   * the file guards against a dead controller process, and a machine crash ends
   * the jobs too.
   */
  record(record: JobPidRecord): string {
    if (!this.#created) {
      mkdirSync(this.#dir, { recursive: true });
      this.#created = true;
    }
    // The pid keeps two runs of one order (an old one still dying) from sharing a file.
    const path = join(this.#dir, `${safeName(record.orderId)}.${record.pid}.json`);
    const tmp = `${path}.tmp`;
    writeFileSync(tmp, JSON.stringify(record));
    renameSync(tmp, path);
    return path;
  }

  remove(path: string): void {
    try {
      unlinkSync(path);
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
  }

  /** The files left in the directory (a missing directory has none). */
  async list(): Promise<JobPidEntry[]> {
    let names: string[];
    try {
      names = await readdir(this.#dir);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return [];
      throw err;
    }
    const entries: JobPidEntry[] = [];
    for (const name of names.sort()) {
      const path = join(this.#dir, name);
      // A `.tmp` is left by a controller killed between write and rename; it may still name the job.
      if (!name.endsWith('.json') && !name.endsWith('.json.tmp')) continue;
      entries.push(parseEntry(path, await readFile(path, 'utf8')));
    }
    return entries;
  }
}

function parseEntry(path: string, text: string): JobPidEntry {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { path, record: undefined, problem: 'pid file is not JSON' };
  }
  const parsed = jobPidRecordSchema.safeParse(json);
  return parsed.success
    ? { path, record: parsed.data }
    : { path, record: undefined, problem: `pid file has an unexpected shape: ${parsed.error.message}` };
}

function isErrno(err: unknown, code: string): boolean {
  return err instanceof Error && 'code' in err && err.code === code;
}
