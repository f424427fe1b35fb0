import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, command } from '../helpers/http.js';
import { cliPath } from '../helpers/tandem-process.js';
import { waitFor } from '../helpers/wait.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('npm start (tandem dev): a local pair with its watch couples, runs an order, and Ctrl-C stops all three with exit 0', async (t) => {
  const base = await mkdtemp(join(tmpdir(), 'tandem-dev-'));
  t.after(() => rm(base, { recursive: true, force: true }));
  const port = 30_000 + Math.floor(Math.random() * 20_000);
  const dev = spawn(process.execPath, [cliPath, 'dev', base], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TANDEM_PORT: String(port) } });
  let out = '';
  dev.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
  dev.stderr.on('data', (b: Buffer) => (out += b.toString('utf8')));
  t.after(() => void dev.kill('SIGKILL'));

  await waitFor('the local pair to say it is coupled', () => (out.includes('the local pair is Coupled') ? true : undefined), 60_000);
  const processes = /processes: Primary (\d+), Backup (\d+), Watch (\d+)/.exec(out);
  assert.ok(processes !== null, out);
  const children = processes.slice(1).map(Number);
  assert.ok(children.every(alive), 'the three processes run');

  const primary = `http://127.0.0.1:${port}/controller/api`;
  const backup = `http://127.0.0.1:${port + 1}/controller/api`;
  assert.equal((await call(backup, 'GET', '/cluster')).body['TYPE'], 'Coupled');
  const added = await command(primary, { TYPE: 'AddOrder', order: { id: 'smoke-1', workflowPath: 'demo/hello', arguments: { name: 'smoke' } } });
  assert.equal(added.status, 200, JSON.stringify(added.body));
  await waitFor('the demo order to finish on the backup too', async () => {
    const r = await call(backup, 'GET', '/order/smoke-1');
    return r.status === 200 && (r.body['state'] as { TYPE: string }).TYPE === 'Finished' ? true : undefined;
  }, 20_000);

  dev.kill('SIGINT');
  await waitFor('npm start to stop', () => (dev.exitCode !== null || dev.signalCode !== null ? true : undefined), 30_000);
  assert.equal(dev.exitCode, 0, out.slice(-2000));
  for (const pid of children) assert.equal(alive(pid), false, `process ${pid} is gone`);
});
