import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { WATCH_STATE_FILE_NAME } from '../../../src/watch/index.js';
import { cliPath } from '../../helpers/tandem-process.js';
import { tempDataDir } from './watch-harness.js';

// Nothing listens on port 9 of the loopback: the watch keeps trying, which is all these tests need.
const nodeA = 'http://127.0.0.1:9/a';
const nodeB = 'http://127.0.0.1:9/b';

interface Run {
  readonly code: Promise<number | string>;
  output(): string;
  /** Standard error alone: the human message, whose lines a log line on standard output cannot split. */
  stderr(): string;
  kill(signal: NodeJS.Signals): void;
}

function runWatch(t: TestContext, args: readonly string[]): Run {
  const child = spawn(process.execPath, [cliPath, 'watch', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TANDEM_LOG_LEVEL: 'info' } });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => {
    out += b.toString('utf8');
    err += b.toString('utf8');
  });
  // 'close', not 'exit': a test reads the output once the code is known, so all of it must have been read.
  const code = once(child, 'close').then(([c, s]) => (c ?? s) as number | string);
  // A test that fails half-way must not leave a watch running.
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await code;
    clearTimeout(timer);
  });
  return { code, output: () => out, stderr: () => err, kill: (signal) => child.kill(signal) };
}

async function dirs(t: TestContext, conf = ''): Promise<{ configDir: string; dataDir: string }> {
  const base = await tempDataDir(t);
  const configDir = join(base, 'config');
  const dataDir = join(base, 'data');
  await mkdir(configDir, { recursive: true });
  await writeFile(join(configDir, 'watch.conf'), conf);
  return { configDir, dataDir };
}

test('tandem watch without --config-dir and --data-dir is a usage error (exit 2)', async (t) => {
  const run = runWatch(t, []);
  assert.equal(await run.code, 2);
  assert.match(run.output(), /tandem watch needs --config-dir DIR and --data-dir DIR/);
});

test('one node is a configuration error: exit 1, a log line and the reason', async (t) => {
  const { configDir, dataDir } = await dirs(t);
  const run = runWatch(t, ['--config-dir', configDir, '--data-dir', dataDir, '--node', nodeA]);
  assert.equal(await run.code, 1);
  assert.match(run.stderr(), /tandem: ConfigInvalid: .*\n {2}- command line --node: the watch needs exactly two nodes .*got 1: http:\/\/127\.0\.0\.1:9\/a/);
  assert.match(run.output(), /"code":"ConfigInvalid".*"msg":"the cluster watch cannot start: /);
});

test('a damaged state file: exit 1, naming the file, which is left as it was', async (t) => {
  const { configDir, dataDir } = await dirs(t);
  await mkdir(dataDir, { recursive: true });
  const file = join(dataDir, WATCH_STATE_FILE_NAME);
  await writeFile(file, '{"version":1,"memory":');
  const run = runWatch(t, ['--config-dir', configDir, '--data-dir', dataDir, '--node', nodeA, '--node', nodeB]);
  assert.equal(await run.code, 1);
  assert.ok(run.output().includes(`tandem: WatchStateCorrupt: The cluster watch's state file ${file} is damaged`), run.output());
  assert.match(run.output(), /"code":"WatchStateCorrupt"/);
  assert.equal(await readFile(file, 'utf8'), '{"version":1,"memory":');
});

test('SIGTERM stops a running watch cleanly (exit 0), its state file written', async (t) => {
  const { configDir, dataDir } = await dirs(t, `js7.journal.cluster.watch.cluster-nodes = [ { uri = "${nodeA}" } ]`);
  const run = runWatch(t, ['--config-dir', configDir, '--data-dir', dataDir, '--node', nodeB]);
  await new Promise<void>((resolve, reject) => {
    const poll = setInterval(() => {
      if (!/tandem: watching /.test(run.output())) return;
      clearInterval(poll);
      resolve();
    }, 20);
    void run.code.then((code) => {
      clearInterval(poll);
      reject(new Error(`the watch exited (${String(code)}) before watching:\n${run.output()}`));
    });
  });
  assert.match(run.output(), new RegExp(`tandem: watching ${nodeA} and ${nodeB}`));
  run.kill('SIGTERM');
  assert.equal(await run.code, 0, run.output());
  assert.match(run.output(), /"msg":"cluster watch stopped"/);
  const state = JSON.parse(await readFile(join(dataDir, WATCH_STATE_FILE_NAME), 'utf8')) as { memory: { TYPE: string; watchId: string } };
  assert.equal(state.memory.TYPE, 'Untaught');
  assert.match(state.memory.watchId, /^watch-/);
});
