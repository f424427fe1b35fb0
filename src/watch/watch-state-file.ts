import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { TandemError } from '../common/index.js';
import { watchMemorySchema, type WatchMemory } from './watch-memory.js';

/** The file's name in the watch's data directory. */
export const WATCH_STATE_FILE_NAME = 'watch-state.json';

const fileSchema = z.strictObject({ version: z.literal(1), memory: watchMemorySchema });

/**
 * The watch's durable memory, one small JSON file. A write replaces it whole:
 * temp file, fsync, rename, fsync of the directory — so after a crash the file
 * holds the old memory or the new, never a mix. A damaged file stops the start
 * (WatchStateCorrupt): taking it for "untaught" could forget a loss already granted.
 */
export class WatchStateFile {
  readonly path: string;
  readonly #dir: string;

  constructor(dataDir: string) {
    this.#dir = dataDir;
    this.path = join(dataDir, WATCH_STATE_FILE_NAME);
  }

  /** The memory the file holds; undefined when there is none yet (a first start). Throws WatchStateCorrupt when it is damaged. */
  async read(): Promise<WatchMemory | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw err;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw this.#corrupt(`not JSON (${err instanceof Error ? err.message : String(err)})`);
    }
    const parsed = fileSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = ['$', ...(issue?.path ?? []).map(String)].join('.');
      throw this.#corrupt(`${path}: ${issue?.message ?? 'invalid'}`);
    }
    return parsed.data.memory;
  }

  /** Replaces the file with `memory`, durably, before it resolves. */
  async write(memory: WatchMemory): Promise<void> {
    const tmp = `${this.path}.tmp`;
    try {
      await mkdir(this.#dir, { recursive: true });
      const handle = await open(tmp, 'w', 0o600);
      try {
        await handle.writeFile(`${JSON.stringify({ version: 1, memory }, null, 2)}\n`, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, this.path);
      await syncDirectory(this.#dir);
    } catch (err) {
      const problem = err instanceof Error ? err.message : String(err);
      throw new TandemError('InternalError', `Cannot write the cluster watch's state file ${this.path}: ${problem}`, { file: this.path, problem }, { cause: err });
    }
  }

  #corrupt(problem: string): TandemError {
    return new TandemError('WatchStateCorrupt', `The cluster watch's state file ${this.path} is damaged: ${problem}. See docs/errors.md#watchstatecorrupt.`, {
      file: this.path,
      problem,
    });
  }
}

/** Makes the rename durable: without it a crash could bring back the old file. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function isErrno(err: unknown, code: string): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === code;
}
