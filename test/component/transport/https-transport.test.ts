import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, test, type TestContext } from 'node:test';
import { unpack } from 'msgpackr';
import { Agent, request } from 'undici';
import { createApiServer, type ApiServer, type ApiUser } from '../../../src/api/index.js';
import { HttpsTransport, type HttpsTransportOptions, type PeerTransport } from '../../../src/cluster/transport/index.js';
import { asEpoch, asEventId, createLogger, ManualClock, silentLogger, type ErrorCode, type Logger } from '../../../src/common/index.js';
import { createTestPki, type TestPki } from '../../helpers/certificates.js';
import { FakeController } from '../../helpers/fake-controller.js';
import { ScriptedEndpoint } from './scripted-endpoint.js';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy.js';
import { rejectsWith, transportContract, type TransportFixture } from './transport-contract.js';

const controllerId = 'tandem-test';
const clusterPassword = 'cluster-secret';
const sha512Hex = (text: string): string => createHash('sha512').update(text, 'utf8').digest('hex');

const users: Readonly<Record<string, ApiUser>> = {
  [controllerId]: { password: `sha512:${sha512Hex(clusterPassword)}`, permissions: [], distinguishedNames: [] },
  reader: { password: 'plain:reader-secret', permissions: ['SuperPermission'], distinguishedNames: ['CN=Primary, O=Tandem Tests'] },
};

let pkiPromise: Promise<TestPki> | undefined;
const pki = (): Promise<TestPki> => (pkiPromise ??= createTestPki());
after(async () => {
  if (pkiPromise !== undefined) await (await pkiPromise).remove();
});

interface ServerOptions {
  /** Serve HTTPS (default) or plain HTTP. */
  readonly https?: boolean;
  readonly clientAuthentication?: boolean;
  readonly public?: boolean;
  /** Serve the node-to-node routes (default true). */
  readonly cluster?: boolean;
  /** Where the server logs (default: nowhere). */
  readonly logger?: Logger;
}

interface Served {
  readonly server: ApiServer;
  readonly endpoint: ScriptedEndpoint;
  readonly proxy: TcpProxy;
  /** The peer URI, through the proxy. */
  readonly uri: string;
}

async function serve(t: TestContext, options: ServerOptions = {}): Promise<Served> {
  const certs = await pki();
  const endpoint = new ScriptedEndpoint();
  const backup = certs.node('Backup');
  const server = await createApiServer({
    host: '127.0.0.1',
    port: 0,
    controller: new FakeController(),
    logger: options.logger ?? silentLogger(),
    clock: new ManualClock(),
    version: '0.0.0-test',
    auth: { public: options.public ?? false, loopbackIsPublic: false, users },
    maxBodyBytes: 1024 * 1024,
    ...(options.https === false
      ? {}
      : {
          https: {
            certificate: backup.certificate,
            privateKey: backup.privateKey,
            trustedCertificates: [certs.ca.certificate],
            clientAuthentication: options.clientAuthentication ?? true,
          },
        }),
    ...(options.cluster === false ? {} : { cluster: { endpoint, controllerId } }),
  });
  const proxy = await startTcpProxy(Number(new URL(server.url).port));
  t.after(async () => {
    await proxy.close();
    await server.close();
  });
  const scheme = options.https === false ? 'http' : 'https';
  return { server, endpoint, proxy, uri: `${scheme}://127.0.0.1:${proxy.port}` };
}

/** A client transport as the Primary node would have it; `overrides` change what it shows the server. */
async function client(t: TestContext, overrides: Partial<HttpsTransportOptions> = {}): Promise<HttpsTransport> {
  const certs = await pki();
  const primary = certs.node('Primary');
  const transport = new HttpsTransport({
    controllerId,
    clusterPassword,
    tls: { trustedCertificates: [certs.ca.certificate], certificate: primary.certificate, privateKey: primary.privateKey },
    logger: silentLogger(),
    ...overrides,
  });
  t.after(() => transport.close());
  return transport;
}

transportContract('https', async (t): Promise<TransportFixture> => {
  const served = await serve(t);
  const transport = await client(t);
  return {
    transport,
    uri: served.uri,
    endpoint: served.endpoint,
    stopPeer: () => served.server.close(),
    cut: () => served.proxy.cut(),
  };
});

const epoch = asEpoch(1);

/** Each node-to-node call, with the code it is expected to fail with. */
async function assertAllRefused(peer: PeerTransport, code: ErrorCode, who: string): Promise<void> {
  await rejectsWith(
    (async () => {
      for await (const frame of peer.journal({ epoch }, new AbortController().signal)) assert.fail(`${who} got a journal frame ${frame.TYPE}`);
    })(),
    code,
    `${who}: journal`,
  );
  await rejectsWith(
    (async () => {
      for await (const frame of peer.acks({ epoch }, new AbortController().signal)) assert.fail(`${who} got an ack ${frame.TYPE}`);
    })(),
    code,
    `${who}: acks`,
  );
  await rejectsWith(peer.command({ TYPE: 'ClusterPassiveDown' }), code, `${who}: command`);
}

test('https: only the peer with a trusted certificate and the cluster password gets through', async (t) => {
  const logLines: string[] = [];
  const served = await serve(t, { logger: createLogger({ destination: { write: (line: string) => void logLines.push(line) } }) });
  const certs = await pki();
  const primary = certs.node('Primary');
  const trusted = [certs.ca.certificate];
  const noCertificate = await client(t, { tls: { trustedCertificates: trusted } });
  await assertAllRefused(noCertificate.peer(served.uri), 'Forbidden', 'no client certificate');
  const impostor = await client(t, { tls: { trustedCertificates: trusted, certificate: certs.rogue.certificate, privateKey: certs.rogue.privateKey } });
  await assertAllRefused(impostor.peer(served.uri), 'Forbidden', 'a certificate from an untrusted CA');
  const wrongPassword = await client(t, { clusterPassword: 'guess' });
  await assertAllRefused(wrongPassword.peer(served.uri), 'Unauthenticated', 'a wrong password');
  // A real user with a right password, even with a certificate mapped to it, is not the peer.
  const otherUser = await client(t, { controllerId: 'reader', clusterPassword: 'reader-secret' });
  await assertAllRefused(otherUser.peer(served.uri), 'Forbidden', 'a user other than the cluster user');
  const noPassword = new HttpsTransport({
    controllerId,
    logger: silentLogger(),
    tls: { trustedCertificates: trusted, certificate: primary.certificate, privateKey: primary.privateKey },
  });
  t.after(() => noPassword.close());
  await assertAllRefused(noPassword.peer(served.uri), 'Unauthenticated', 'no credentials');
  assert.equal(served.endpoint.callCount, 0, 'the endpoint was called for a refused caller');
  const refusals = logLines.map((l) => JSON.parse(l) as { level: number; msg: string; reason?: string; remoteAddress?: string }).filter((l) => l.msg === 'a node-to-node call was refused');
  assert.deepEqual([...new Set(refusals.map((r) => r.reason))].sort(), ['certificate', 'missing', 'password', 'user'], 'each refusal is a warning that says why');
  assert.ok(refusals.filter((r) => r.level === 40).every((r) => r.remoteAddress === '127.0.0.1'), 'with where the call came from');
  // The same caller refused for the same reason again within a minute: no second warning.
  const warnings = (reason: string): number => refusals.filter((r) => r.level === 40 && r.reason === reason).length;
  assert.equal(warnings('password'), 1, 'one warning for three refused calls with a wrong password');

  served.endpoint.acks.push({ TYPE: 'Heartbeat', eventId: asEventId(1) });
  served.endpoint.acks.end();
  const peer = (await client(t)).peer(served.uri);
  const acks = [];
  for await (const ack of peer.acks({ epoch }, new AbortController().signal)) acks.push(ack);
  assert.deepEqual(acks, [{ TYPE: 'Heartbeat', eventId: asEventId(1) }]);
});

test('https: public access does not open the node-to-node routes while HTTPS is configured', async (t) => {
  const served = await serve(t, { public: true, clientAuthentication: false });
  const stranger = await client(t, { controllerId: 'stranger', clusterPassword: 'x' });
  await rejectsWith(stranger.peer(served.uri).command({ TYPE: 'ClusterPassiveDown' }), 'Unauthenticated', 'an unknown user');
  const anonymous = new HttpsTransport({ controllerId, logger: silentLogger(), tls: { trustedCertificates: [(await pki()).ca.certificate] } });
  t.after(() => anonymous.close());
  await rejectsWith(anonymous.peer(served.uri).command({ TYPE: 'ClusterPassiveDown' }), 'Unauthenticated', 'no credentials');
  // Without client authentication the password alone lets the peer in.
  const peer = (await client(t, { tls: { trustedCertificates: [(await pki()).ca.certificate] } })).peer(served.uri);
  assert.deepEqual(await peer.command({ TYPE: 'ClusterPassiveDown' }), { TYPE: 'Accepted' });
});

test('http: public access without HTTPS (development) opens the routes; without it the password is needed', async (t) => {
  const served = await serve(t, { https: false, public: true });
  const anonymous = new HttpsTransport({ controllerId, logger: silentLogger() });
  t.after(() => anonymous.close());
  assert.deepEqual(await anonymous.peer(served.uri).command({ TYPE: 'ClusterPassiveDown' }), { TYPE: 'Accepted' });
  const wrong = new HttpsTransport({ controllerId, clusterPassword: 'guess', logger: silentLogger() });
  t.after(() => wrong.close());
  await rejectsWith(wrong.peer(served.uri).command({ TYPE: 'ClusterPassiveDown' }), 'Unauthenticated', 'credentials are still checked');

  const closed = await serve(t, { https: false, public: false });
  await rejectsWith(anonymous.peer(closed.uri).command({ TYPE: 'ClusterPassiveDown' }), 'Unauthenticated', 'plain HTTP without public access');
  const peer = new HttpsTransport({ controllerId, clusterPassword, logger: silentLogger() });
  t.after(() => peer.close());
  assert.deepEqual(await peer.peer(closed.uri).command({ TYPE: 'ClusterPassiveDown' }), { TYPE: 'Accepted' });
});

test('https: a peer whose server certificate is not trusted is unreachable', async (t) => {
  const served = await serve(t);
  const certs = await pki();
  const primary = certs.node('Primary');
  const suspicious = await client(t, {
    tls: { trustedCertificates: [certs.rogueCa.certificate], certificate: primary.certificate, privateKey: primary.privateKey },
  });
  const err = await rejectsWith(suspicious.peer(served.uri).command({ TYPE: 'ClusterPassiveDown' }), 'ClusterPeerUnreachable', 'untrusted server');
  assert.equal(typeof err.arguments['cause'], 'string');
  assert.equal(served.endpoint.callCount, 0);
});

test('https: connections are reused: many calls, one or two connections', async (t) => {
  const served = await serve(t);
  const peer = (await client(t)).peer(served.uri);
  for (let i = 0; i < 100; i++) assert.deepEqual(await peer.command({ TYPE: 'ClusterPassiveDown', i }), { TYPE: 'Accepted' });
  // undici opens a second connection when a call follows the previous answer within the same tick.
  const forCommands = served.proxy.connectionCount;
  assert.ok(forCommands <= 2, `${forCommands} connections for 100 commands`);
  // A stream holds a connection of its own; commands go on over the others.
  served.endpoint.acks.push({ TYPE: 'Ack', eventId: asEventId(1) });
  const acks = peer.acks({ epoch }, new AbortController().signal)[Symbol.asyncIterator]();
  assert.equal((await acks.next()).done, false);
  for (let i = 0; i < 50; i++) await peer.command({ TYPE: 'ClusterPassiveDown', i });
  assert.ok(served.proxy.connectionCount <= forCommands + 1, `${served.proxy.connectionCount} connections with a stream open`);
  await acks.return?.();
});

test('https: a node without cluster routes answers them with NotFound', async (t) => {
  const served = await serve(t, { cluster: false });
  await assertAllRefused((await client(t)).peer(served.uri), 'NotFound', 'a node without cluster');
});

test('https: the journal stream is u32 length and msgpack frames, ended by an End frame (docs/api.md)', async (t) => {
  const served = await serve(t);
  const certs = await pki();
  const primary = certs.node('Primary');
  served.endpoint.journal.push({ TYPE: 'Records', fileEventId: asEventId(0), position: 0, bytes: Buffer.from('abc') });
  served.endpoint.journal.end();
  const agent = new Agent({ connect: { ca: certs.ca.certificate, cert: primary.certificate, key: primary.privateKey } });
  t.after(() => agent.close());
  const res = await request(`${served.uri}/controller/api/journal?file=0&position=0&epoch=1`, {
    dispatcher: agent,
    headers: { authorization: `Basic ${Buffer.from(`${controllerId}:${clusterPassword}`).toString('base64')}` },
  });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'application/x-tandem-journal');
  const bytes = Buffer.from(await res.body.arrayBuffer());
  const frames: unknown[] = [];
  for (let at = 0; at < bytes.length; ) {
    const length = bytes.readUInt32BE(at);
    frames.push(unpack(bytes.subarray(at + 4, at + 4 + length)));
    at += 4 + length;
  }
  assert.deepEqual(frames, [{ TYPE: 'Records', fileEventId: 0, position: 0, bytes: Buffer.from('abc') }, { TYPE: 'End' }]);
});
