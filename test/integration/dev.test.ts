import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { call } from '../helpers/http.js';
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

interface Dev {
  readonly process: ChildProcess;
  readonly children: readonly number[];
  output(): string;
}

/** Runs `tandem dev BASE` (what npm start runs) until it says the pair is coupled. */
async function startDev(base: string, port: number, t: { after(fn: () => void): void }): Promise<Dev> {
  const dev = spawn(process.execPath, [cliPath, 'dev', base], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TANDEM_PORT: String(port), TANDEM_LOG_LEVEL: 'info', TANDEM_LOG_FORMAT: 'json' } });
  let out = '';
  dev.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
  dev.stderr.on('data', (b: Buffer) => (out += b.toString('utf8')));
  t.after(() => void dev.kill('SIGKILL'));
  await waitFor('the local pair to say it is coupled', () => (out.includes('the local pair is Coupled') ? true : undefined), 60_000);
  const processes = /processes: Primary (\d+), Backup (\d+), Watch (\d+)/.exec(out);
  assert.ok(processes !== null, out);
  const children = processes.slice(1).map(Number);
  assert.ok(children.every(alive), 'the three processes run');
  return { process: dev, children, output: () => out };
}

/** Every log line of a node names the node, its role and its epoch; the primary logs as active, the backup as passive. */
function assertLogLinesSayWhoAndWhen(output: string): void {
  const lines = output
    .split('\n')
    .map((l) => /^\[(Primary|Backup)\] (\{.*\})$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ member: m[1], log: JSON.parse(m[2]!) as Record<string, unknown> }));
  assert.ok(lines.length >= 10, `the nodes log at info level:\n${output.slice(0, 2000)}`);
  for (const { member, log } of lines) {
    assert.equal(log['nodeId'], member, JSON.stringify(log));
    assert.equal(typeof log['role'], 'string', JSON.stringify(log));
    // Before a node has read its journal it says so: role starting, epoch null.
    assert.ok(typeof log['epoch'] === 'number' || (log['epoch'] === null && log['role'] === 'starting'), JSON.stringify(log));
  }
  const roles = (member: string): Set<unknown> => new Set(lines.filter((l) => l.member === member).map((l) => l.log['role']));
  assert.ok(roles('Primary').has('active'), [...roles('Primary')].join());
  assert.ok(roles('Backup').has('passive'), [...roles('Backup')].join());
}

/** Ctrl-C: npm start exits 0 and leaves none of the three behind. */
async function interrupt(dev: Dev): Promise<void> {
  dev.process.kill('SIGINT');
  await waitFor('npm start to stop', () => (dev.process.exitCode !== null || dev.process.signalCode !== null ? true : undefined), 30_000);
  assert.equal(dev.process.exitCode, 0, dev.output().slice(-2000));
  for (const pid of dev.children) assert.equal(alive(pid), false, `process ${pid} is gone`);
}

test('npm start (tandem dev): a local HTTPS pair with its watch couples, runs orders, stops on Ctrl-C, and resumes the same journals', async (t) => {
  const base = await mkdtemp(join(tmpdir(), 'tandem-dev-'));
  t.after(() => rm(base, { recursive: true, force: true }));
  const port = 30_000 + Math.floor(Math.random() * 20_000);
  const primary = `https://127.0.0.1:${port}/controller/api`;
  const backup = `https://127.0.0.1:${port + 1}/controller/api`;

  const first = await startDev(base, port, t);
  assert.match(first.output(), new RegExp(`status pages: Primary https://127\\.0\\.0\\.1:${port}/`));
  const caPem = await readFile(join(base, 'pki', 'ca.pem'), 'utf8');
  assert.ok(new X509Certificate(await readFile(join(base, 'pki', 'primary.pem'), 'utf8')).checkIssued(new X509Certificate(caPem)), 'certificates were made on the first start');
  // Only a client that trusts the generated CA gets through: the nodes really serve HTTPS with it.
  await assert.rejects(call(primary, 'GET', '/cluster'), /certificate/i);
  const agent = new Agent({ connect: { ca: caPem } });
  t.after(() => agent.close());

  assert.equal((await call(backup, 'GET', '/cluster', undefined, {}, agent)).body['TYPE'], 'Coupled');
  const added = await call(primary, 'POST', '/command', { TYPE: 'AddOrder', order: { id: 'smoke-1', workflowPath: 'demo/hello', arguments: { name: 'smoke' } } }, {}, agent);
  assert.equal(added.status, 200, JSON.stringify(added.body));
  await waitFor('the order to finish on the backup too', async () => {
    const r = await call(backup, 'GET', '/order/smoke-1', undefined, {}, agent);
    return r.status === 200 && (r.body['state'] as { TYPE: string }).TYPE === 'Finished' ? true : undefined;
  }, 20_000);
  assertLogLinesSayWhoAndWhen(first.output());
  await interrupt(first);

  const second = await startDev(base, port, t);
  assert.doesNotMatch(second.output(), /certificates for the local pair written/, 'the second start keeps the certificates');
  const kept = await call(primary, 'GET', '/order/smoke-1', undefined, {}, agent);
  assert.equal((kept.body['state'] as { TYPE: string } | undefined)?.TYPE, 'Finished', 'the order of the first run is still there');
  await waitFor('the demo schedule to add an order that finishes', async () => {
    const r = await call(primary, 'GET', '/order', undefined, {}, agent);
    const orders = r.body['orders'] as { id: string; state: { TYPE: string } }[] | undefined;
    return orders?.some((o) => o.id !== 'smoke-1' && o.state.TYPE === 'Finished') === true ? true : undefined;
  }, 30_000);
  await interrupt(second);
});
