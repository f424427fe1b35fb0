import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { createPair } from '../helpers/pair.js';
import { waitUntilActive } from '../helpers/pair-checks.js';
import { waitFor } from '../helpers/wait.js';
import { runCliToEnd } from '../helpers/tandem-process.js';

/** A port nothing listens on: bound once, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

test('tandem cluster against a running pair: appoint, status (text and --json), switchover and shutdown, finding the active node by asking both', async (t) => {
  const pair = await createPair();
  t.after(() => pair.cleanup());
  await pair.start(pair.primary);
  await pair.start(pair.backup);
  await pair.startWatch();

  // Before the appointment no node acts as half of a pair: the CLI says what each one is.
  const before = await pair.cli('status', '--json');
  const beforeViews = JSON.parse(before.stdout) as { nodeId: string; clusterState: { TYPE: string } }[];
  assert.deepEqual(beforeViews.map((v) => [v.nodeId, v.clusterState.TYPE]), [['Primary', 'Empty'], ['Backup', 'Empty']]);

  const appointed = await pair.cli('appoint');
  assert.equal(appointed.code, 0, appointed.stderr);
  assert.match(appointed.stdout, new RegExp(`appointed Primary ${pair.primary.uri} and Backup ${pair.backup.uri}`));
  await pair.waitForClusterState(pair.primary, 'Coupled');
  await pair.waitForClusterState(pair.backup, 'Coupled');

  const status = await pair.cli('status');
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, new RegExp(`^${pair.primary.uri} {2}Primary {2}ACTIVE\\n {2}cluster Coupled, epoch \\d+\\n {2}journal at \\d+, acknowledged \\d+`, 'm'));
  assert.match(status.stdout, new RegExp(`^${pair.backup.uri} {2}Backup {2}passive$`, 'm'));
  assert.match(status.stdout, / {2}watch connected/);
  assert.match(status.stdout, / {2}licence Valid/);

  const json = await pair.cli('status', '--json');
  const views = JSON.parse(json.stdout) as { url: string; nodeId: string; isActive: boolean; epoch: number }[];
  assert.deepEqual(views.map((v) => [v.url, v.nodeId, v.isActive]), [[pair.primary.uri, 'Primary', true], [pair.backup.uri, 'Backup', false]]);

  // A third URL that does not answer is reported, and does not stop the CLI from finding the active node.
  const dead = `https://127.0.0.1:${await closedPort()}`;
  const partial = await pair.cli('status', '--url', dead);
  assert.equal(partial.code, 0, partial.stderr);
  assert.match(partial.stdout, new RegExp(`${dead}\\n {2}unreachable or refused \\(0\\)`));

  const switched = await pair.cli('switchover');
  assert.equal(switched.code, 0, switched.stderr);
  assert.match(switched.stdout, /switchover started: the other node becomes active \(Primary at /);
  await waitUntilActive(pair, pair.backup);
  const after = await waitFor('the status to show the Backup active and the pair coupled again', async () => {
    const r = await pair.cli('status');
    return /Backup {2}ACTIVE\n {2}cluster Coupled/.test(r.stdout) && /Primary {2}passive/.test(r.stdout) ? r : undefined;
  }, 30_000);
  const epochs = [...after.stdout.matchAll(/epoch (\d+)/g)].map((m) => Number(m[1]));
  assert.ok(epochs.every((e) => e > views[0]!.epoch), `the switchover raised the epoch: ${epochs.join()} after ${views[0]!.epoch}`);

  // A second appointment goes to the Primary, which is passive now: refused, and the pair is unchanged.
  const again = await pair.cli('appoint');
  assert.equal(again.code, 1);
  assert.match(again.stderr, /refused ClusterAppointNodes \(503\): ClusterNodeIsNotActive/);

  const backupProcess = pair.backup.process!;
  const shutdown = await pair.cli('shutdown');
  assert.equal(shutdown.code, 0, shutdown.stderr);
  assert.match(shutdown.stdout, /the active node shuts down \(Backup at /);
  assert.equal(await backupProcess.exited, 0, 'the active node stopped cleanly');
  pair.backup.process = undefined;
  await pair.waitForClusterState(pair.primary, 'ActiveShutDown');
});

/** Runs `tandem cluster ARGS…` to its end. */
function runCli(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCliToEnd(['cluster', ...args]);
}

test('tandem cluster refuses a command line it cannot use, with exit code 2 and the usage', async () => {
  const url = `https://127.0.0.1:${await closedPort()}`;
  const cases: [string[], RegExp][] = [
    [['frobnicate', '--url', url], /unknown subcommand frobnicate/],
    [['status'], /name at least one node with --url/],
    [['status', '--url', 'ftp://127.0.0.1:1'], /--url ftp:\/\/127\.0\.0\.1:1: expected https:\/\/host:port/],
    [['appoint', '--url', url, '--backup-uri', 'backup'], /backup: expected https:\/\/host:port/],
    [['confirm-loss', '--url', url], /confirm-loss needs --lost NODE_ID/],
    [['status', '--url', url, '--cert', 'x.pem'], /--cert and --key go together/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /usage:\n {2}tandem cluster status/);
  }
  // A well-formed command against nodes that do not answer: exit 1 and the reason per node.
  const unreachable = await runCli(['switchover', '--url', url]);
  assert.equal(unreachable.code, 1);
  assert.match(unreachable.stderr, new RegExp(`no active node among ${url}\n {2}${url}: Unreachable`));
});
