import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test, type TestContext } from 'node:test';
import { createApiServer } from '../../../src/api/index.js';
import { createLogger, ManualClock, silentLogger } from '../../../src/common/index.js';
import { startWatchProcess, WatchStateFile } from '../../../src/watch/index.js';
import { createTestPki, type TestPki } from '../../helpers/certificates.js';
import { FakeController } from '../../helpers/fake-controller.js';
import { waitFor } from '../../helpers/wait.js';
import { ScriptedEndpoint } from '../transport/scripted-endpoint.js';
import { FakeNode, heartbeat, request, tempDataDir } from './watch-harness.js';

// The watch logs in as the nodes' controller id with their cluster password (plain on the watch, hashed on the nodes).
const controllerId = 'tandem-test';
const clusterPassword = 'cluster-secret';

let pkiPromise: Promise<TestPki> | undefined;
const pki = (): Promise<TestPki> => (pkiPromise ??= createTestPki({ nodes: ['Primary', 'Backup', 'Watch'] }));
after(async () => {
  if (pkiPromise !== undefined) await (await pkiPromise).remove();
});

/** A fake node served over HTTPS with client authentication, as a real node serves its cluster routes. */
async function serveNode(t: TestContext, nodeId: string): Promise<FakeNode> {
  const certs = await pki();
  const own = certs.node(nodeId);
  const endpoint = new ScriptedEndpoint();
  const server = await createApiServer({
    host: '127.0.0.1',
    port: 0,
    controller: new FakeController(),
    logger: silentLogger(),
    clock: new ManualClock(),
    version: '0.0.0-test',
    auth: { public: false, loopbackIsPublic: false, users: { [controllerId]: { password: `plain:${clusterPassword}`, permissions: [], distinguishedNames: [] } } },
    maxBodyBytes: 1024 * 1024,
    https: { certificate: own.certificate, privateKey: own.privateKey, trustedCertificates: [certs.ca.certificate], clientAuthentication: true },
    cluster: { endpoint, controllerId },
  });
  t.after(() => server.close());
  return new FakeNode(nodeId, server.url, endpoint);
}

test('tandem watch over real HTTPS: config, credentials and TLS reach the nodes; FailedOver is granted only after real silence', async (t) => {
  const certs = await pki();
  const primary = await serveNode(t, 'Primary');
  const backup = await serveNode(t, 'Backup');
  const base = await tempDataDir(t);
  const configDir = join(base, 'config');
  await mkdir(join(configDir, 'private'), { recursive: true });
  // heartbeat 200 ms, heartbeat-timeout 1 s: watch-valid 1.2 s, hold 500 ms.
  await writeFile(
    join(configDir, 'watch.conf'),
    `js7.journal.cluster { heartbeat = 200ms, heartbeat-timeout = 1s }
     js7.journal.cluster.watch { id = watch-https, cluster-nodes = [ { uri = "${primary.uri}" } ] }
     js7.web.https { certificate = "${certs.node('Watch').certificateFile}", private-key = "${certs.node('Watch').privateKeyFile}", trusted-certificates = ["${certs.ca.certificateFile}"] }`,
  );
  await writeFile(join(configDir, 'private', 'private.conf'), `js7.journal.cluster.watch { user = ${controllerId}, password = "${clusterPassword}" }`);
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } });
  const fatal: unknown[] = [];
  const watch = await startWatchProcess({ configDir, dataDir: join(base, 'data'), nodeFlags: [backup.uri], logger, env: {}, onFatal: (err) => fatal.push(err) });
  t.after(() => watch.close());
  assert.deepEqual(
    watch.status().nodes.map((n) => n.uri),
    [primary.uri, backup.uri],
  );

  await primary.endpoint.until('the watch stream', () => primary.endpoint.watchCalls.length === 1);
  assert.deepEqual(primary.endpoint.watchCalls[0]?.request, { watchId: 'watch-https' });
  primary.endpoint.watch.push(heartbeat('Primary', 1, true));
  backup.endpoint.watch.push(heartbeat('Backup', 1, false));
  await waitFor('the watch taught', () => (watch.status().memory.TYPE === 'Taught' ? true : undefined));

  // The active heartbeats: a FailedOver is refused, and the log says why.
  primary.endpoint.watch.push(heartbeat('Primary', 1, true));
  backup.endpoint.watch.push(request('Backup', 'FailedOver', 'Primary', 1, 'Ask', 'r-1'));
  const refused = await backup.nextAnswer('r-1', 0);
  assert.equal(refused.verdict, 'Refused');
  assert.match(refused.reason ?? '', /the active node Primary was heard \d+ ms ago/);
  const line = lines.find((l) => l['decision'] === 'Refused');
  assert.ok(line !== undefined, 'one log line per decision');
  assert.equal(line['requestId'], 'r-1');
  assert.match(String(line['msg']), /^refused FailedOver for Backup \(Primary lost in epoch 1\): the active node Primary was heard/);

  // The active goes silent (the backup does not): past watch-valid the FailedOver is held, then granted.
  await waitFor('the active to be silent past watch-valid', () => ((watch.status().nodes[0]?.lastHeartbeatAgeMs ?? 0) > 1_200 ? true : undefined));
  backup.endpoint.watch.push(heartbeat('Backup', 1, false), request('Backup', 'FailedOver', 'Primary', 1, 'Ask', 'r-2'));
  assert.equal((await backup.nextAnswer('r-2', 0)).verdict, 'Hold');
  backup.endpoint.watch.push(request('Backup', 'FailedOver', 'Primary', 1, 'Commit', 'r-2'));
  const granted = await backup.nextAnswer('r-2', 1);
  assert.deepEqual(granted, { TYPE: 'ClusterWatchAnswer', watchId: 'watch-https', requestId: 'r-2', verdict: 'Granted', epoch: 2, activeId: 'Backup' });
  assert.deepEqual(await new WatchStateFile(join(base, 'data')).read(), { TYPE: 'Taught', watchId: 'watch-https', epoch: 2, activeId: 'Backup', failedOverGrantedInEpoch: 1 });
  assert.ok(lines.some((l) => l['decision'] === 'Granted' && /^granted FailedOver for Backup .*: Backup is active in epoch 2$/.test(String(l['msg']))));
  assert.deepEqual(fatal, []);
});

test('a watch without the cluster password is turned away by the nodes and says so in its log', async (t) => {
  const certs = await pki();
  const primary = await serveNode(t, 'Primary');
  const backup = await serveNode(t, 'Backup');
  const base = await tempDataDir(t);
  await mkdir(join(base, 'config'), { recursive: true });
  await writeFile(
    join(base, 'config', 'watch.conf'),
    `js7.journal.cluster.watch { user = ${controllerId}, password = wrong }
     js7.web.https { certificate = "${certs.node('Watch').certificateFile}", private-key = "${certs.node('Watch').privateKeyFile}", trusted-certificates = ["${certs.ca.certificateFile}"] }`,
  );
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } });
  const watch = await startWatchProcess({ configDir: join(base, 'config'), dataDir: join(base, 'data'), nodeFlags: [primary.uri, backup.uri], logger, env: {}, onFatal: () => undefined });
  t.after(() => watch.close());
  await waitFor('the refusal in the log', () => (lines.some((l) => /^lost the watch stream of .*Unauthenticated/.test(String(l['msg']))) ? true : undefined));
  assert.equal(primary.endpoint.watchCalls.length, 0);
  assert.equal(watch.status().nodes.every((n) => !n.connected), true);
});
