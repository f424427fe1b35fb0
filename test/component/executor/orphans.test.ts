import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { readProcessStat } from '../../../src/workflow/job-pid-file.js';
import { isAlive, killGroupQuietly, makeHarness, tempDir } from './executor-harness.js';

const hostPath = fileURLToPath(new URL('./orphan-host.js', import.meta.url));

void test('a job left running by a SIGKILLed controller is reaped by the next one', async (t) => {
  const dir = await tempDir(t);
  const pidDir = join(dir, 'pids');
  const orderId = 'demo/order:1 ü';
  const host = spawn(process.execPath, [hostPath, pidDir, orderId], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => host.kill('SIGKILL'));
  const lines = createInterface({ input: host.stdout });
  const [line] = (await once(lines, 'line', { signal: AbortSignal.timeout(10_000) })) as [string];
  const { pid } = z.object({ pid: z.number() }).parse(JSON.parse(line));
  t.after(() => killGroupQuietly(pid));
  assert.equal((await readdir(pidDir)).length, 1, 'the job was recorded before start() returned');

  host.kill('SIGKILL');
  await once(host, 'exit');
  assert.ok(isAlive(pid), 'the job outlives its controller');

  const h = await makeHarness(t, { pidDir });
  const reaped = await h.executor.reapOrphans();
  assert.deepEqual(reaped, [{ orderId, pid, killed: true }]);
  assert.equal(isAlive(pid), false, 'reapOrphans returns only once the job is gone');
  assert.deepEqual(await readdir(pidDir), []);
  assert.deepEqual(await h.executor.reapOrphans(), []);
});

void test('a pid now held by another process is not killed; own jobs are not reaped', async (t) => {
  const h = await makeHarness(t);
  // Stands for an unrelated process that was given the dead job's pid.
  const stranger = spawn('sleep', ['100'], { detached: true, stdio: 'ignore' });
  t.after(() => killGroupQuietly(stranger.pid));
  const strangerPid = stranger.pid ?? assert.fail('sleep did not start');
  const startTime = readProcessStat(strangerPid)?.startTime ?? assert.fail('no /proc stat');

  await mkdir(h.pidDir, { recursive: true });
  const record = { version: 1, orderId: 'o-reused', pid: strangerPid, pgid: strangerPid, startTime: startTime - 1 };
  await writeFile(join(h.pidDir, 'o-reused.json'), JSON.stringify(record));
  await writeFile(join(h.pidDir, 'garbage.json'), '{"version":');

  const own = h.executor.start({ orderId: 'own', script: 'sleep 100', env: {} });
  t.after(() => killGroupQuietly(own.pid));

  const reaped = await h.executor.reapOrphans();
  assert.deepEqual(reaped, [{ orderId: 'o-reused', pid: strangerPid, killed: false }]);
  assert.ok(isAlive(strangerPid), 'the process that reused the pid was left alone');
  assert.equal(h.executor.running(), 1, 'the executor’s own job was left alone');
  assert.deepEqual((await readdir(h.pidDir)).filter((n) => !n.startsWith('own.')), []);
  assert.equal((await readdir(h.pidDir)).length, 1);
});
