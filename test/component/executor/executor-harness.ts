import { EventEmitter, once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, systemClock, type Clock } from '../../../src/common/index.js';
import { JobExecutor, type JobExecutorOptions, type OutputStream } from '../../../src/workflow/job-executor.js';
import { readProcessStat } from '../../../src/workflow/job-pid-file.js';

interface TestContext {
  after(fn: () => unknown): void;
}

export interface OutputChunk {
  readonly orderId: string;
  readonly stream: OutputStream;
  readonly chunk: string;
}

/** An executor on a temp pid dir that records every output chunk it delivers. */
export interface Harness {
  readonly executor: JobExecutor;
  readonly dir: string;
  readonly pidDir: string;
  readonly chunks: OutputChunk[];
  text(orderId: string, stream: OutputStream): string;
  chunksOf(orderId: string, stream: OutputStream): string[];
  /** Resolves when `predicate` holds for the output so far; rejects after `timeoutMs`. */
  waitForText(orderId: string, stream: OutputStream, predicate: (text: string) => boolean, timeoutMs?: number): Promise<string>;
}

export async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-executor-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export async function makeHarness(
  t: TestContext,
  options: { clock?: Clock; sigkillDelayMs?: number; shell?: string; cwd?: string; pidDir?: string } = {},
): Promise<Harness> {
  const dir = await tempDir(t);
  const pidDir = options.pidDir ?? join(dir, 'pids');
  const chunks: OutputChunk[] = [];
  const emitter = new EventEmitter();
  const executorOptions: JobExecutorOptions = {
    clock: options.clock ?? systemClock,
    logger: silentLogger(),
    sigkillDelayMs: options.sigkillDelayMs ?? 2000,
    pidDir,
    onOutput: (orderId, stream, chunk) => {
      chunks.push({ orderId, stream, chunk });
      emitter.emit('output');
    },
    ...(options.shell === undefined ? {} : { shell: options.shell }),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  };
  const executor = new JobExecutor(executorOptions);
  t.after(() => executor.close());
  const chunksOf = (orderId: string, stream: OutputStream): string[] =>
    chunks.filter((c) => c.orderId === orderId && c.stream === stream).map((c) => c.chunk);
  const text = (orderId: string, stream: OutputStream): string => chunksOf(orderId, stream).join('');
  return {
    executor,
    dir,
    pidDir,
    chunks,
    text,
    chunksOf,
    waitForText: async (orderId, stream, predicate, timeoutMs = 5000) => {
      const signal = AbortSignal.timeout(timeoutMs);
      while (!predicate(text(orderId, stream))) {
        await once(emitter, 'output', { signal });
      }
      return text(orderId, stream);
    },
  };
}

/** True while `pid` exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  const stat = readProcessStat(pid);
  return stat !== undefined && stat.state !== 'Z';
}

/** Polls (there is no event for another process's death) until `pid` is gone; false after `timeoutMs`. */
export async function waitUntilGone(pid: number, timeoutMs = 5000): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (isAlive(pid)) {
    if (performance.now() > deadline) return false;
    await systemClock.sleep(10);
  }
  return true;
}

/** Kills a process group in test cleanup, whether or not it is still there. */
export function killGroupQuietly(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone: nothing to clean up.
  }
}
