import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';

/** The compiled CLI entry point. */
export const cliPath = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface TandemProcess {
  readonly child: ChildProcess;
  /** e.g. http://127.0.0.1:40123/controller/api */
  readonly api: string;
  /** Everything the process wrote so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code (or the signal name) once the process has ended. */
  readonly exited: Promise<number | string>;
}

/** A temp directory with `config/` and `data/`, removed after the test. */
export async function makeNodeDirs(conf: string, files: Record<string, string> = {}): Promise<{ base: string; configDir: string; dataDir: string; cleanup(): Promise<void> }> {
  const base = await mkdtemp(join(tmpdir(), 'tandem-it-'));
  const configDir = join(base, 'config');
  const dataDir = join(base, 'data');
  await mkdir(join(configDir, 'private'), { recursive: true });
  await mkdir(dataDir, { recursive: true });
  await writeFile(join(configDir, 'controller.conf'), conf);
  for (const [name, text] of Object.entries(files)) await writeFile(join(configDir, name), text);
  return { base, configDir, dataDir, cleanup: () => rm(base, { recursive: true, force: true }) };
}

/** How to launch the CLI: node flags (e.g. `--cpu-prof`) and another build's entry point (a benchmark's baseline). */
export interface LaunchOptions {
  readonly execArgv?: readonly string[];
  readonly cli?: string;
}

/** Starts `tandem start` as a real child process and waits (bounded) until it serves. */
export async function startTandem(args: readonly string[], timeoutMs = 30_000, launch: LaunchOptions = {}): Promise<TandemProcess> {
  return startCli(['start', '--host', '127.0.0.1', ...args], /tandem: serving (\S+)/, timeoutMs, launch);
}

/** Starts `tandem watch` as a real child process and waits (bounded) until it watches; `api` is then the first node it watches. */
export async function startWatch(args: readonly string[], timeoutMs = 30_000, launch: LaunchOptions = {}): Promise<TandemProcess> {
  return startCli(['watch', ...args], /tandem: watching (\S+)/, timeoutMs, launch);
}

async function startCli(args: readonly string[], ready: RegExp, timeoutMs: number, launch: LaunchOptions): Promise<TandemProcess> {
  const child = spawn(process.execPath, [...(launch.execArgv ?? []), launch.cli ?? cliPath, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TANDEM_LOG_LEVEL: process.env['TANDEM_TEST_LOG_LEVEL'] ?? 'warn' },
  });
  let out = '';
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string);
  const serving = new Promise<string>((resolve, reject) => {
    const onData = (b: Buffer): void => {
      out += b.toString('utf8');
      const m = ready.exec(out);
      if (m?.[1] !== undefined) resolve(m[1]);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => reject(new Error(`tandem ${args[0] ?? ''} exited (${String(code)}) before it was ready:\n${out}`)));
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    const api = await serving;
    return { child, api, output: () => out, exited };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs a short CLI command (`tandem ARGS…`) to its end; resolves with its exit code and
 * everything it wrote. Waits for 'close', not 'exit': only then has all its output been read.
 */
export async function runCliToEnd(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [cliPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code: code ?? -1, stdout, stderr };
}

/** Sends `signal` and waits for the process to end. */
export async function stopTandem(p: TandemProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | string> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill(signal);
  return p.exited;
}
