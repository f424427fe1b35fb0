/**
 * What every benchmark needs besides its load: progress lines, percentiles, a
 * description of the machine, and writing `bench/results/<name>.{md,json}`.
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A timestamped progress line on stderr (stdout carries the result table). */
export function progress(what: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${what}\n`);
}

/** The q-quantile (0…1) of ascending `sorted`; NaN when empty. */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

/** The median of unsorted values; NaN when empty. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Today as YYYY-MM-DD (UTC), for result file names. */
export function today(): string {
  return new Date().toISOString().slice(0, 10);
}

/** The first line a command prints, or `unknown` when it cannot run. */
export async function commandOutput(file: string, args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await run(file, args);
    return stdout.trim();
  } catch {
    return 'unknown';
  }
}

export interface MachineInfo {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly node: string;
  readonly loadAverage: readonly number[];
  /** Device, filesystem type and mount options of `dir` (findmnt). */
  readonly filesystem: string;
}

/** The machine as results record it; `dir` is where the benchmark's files live. */
export async function machineInfo(dir: string): Promise<MachineInfo> {
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    kernel: os.release(),
    node: process.version,
    loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
    filesystem: (await commandOutput('findmnt', ['-n', '-o', 'SOURCE,FSTYPE,OPTIONS', '-T', dir])).replace(/\s+/g, ' '),
  };
}

/** Writes `bench/results/<name>.md` and `<name>.json` (relative to the compiled bench in dist/bench). */
export async function saveResults(name: string, markdown: string, data: unknown): Promise<string> {
  const dir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${name}.md`), markdown);
  await writeFile(join(dir, `${name}.json`), `${JSON.stringify(data, null, 2)}\n`);
  return join(dir, `${name}.md`);
}
