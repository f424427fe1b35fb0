import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { createAuthority, ensurePairCertificates, issueNodeCertificate } from '../../../src/pki/index.js';

const authority = createAuthority({ commonName: 'Test CA', organization: 'Tandem Tests', days: 30 });
const primary = issueNodeCertificate(authority, { commonName: 'primary', hosts: ['localhost', '127.0.0.1', '::1', 'primary.example'], days: 10 });

test('the authority is a CA that signed the node certificate, and the node certificate names its hosts', () => {
  const ca = new X509Certificate(authority.certificatePem);
  const node = new X509Certificate(primary.certificatePem);
  assert.equal(ca.ca, true);
  assert.equal(node.ca, false);
  assert.equal(node.subject, 'CN=primary');
  assert.equal(node.issuer, 'O=Tandem Tests\nCN=Test CA');
  assert.ok(node.checkIssued(ca));
  assert.ok(node.verify(ca.publicKey));
  assert.ok(ca.verify(ca.publicKey), 'the CA is self-signed');
  assert.equal(node.checkHost('primary.example'), 'primary.example');
  assert.equal(node.checkHost('backup.example'), undefined);
  assert.equal(node.checkIP('127.0.0.1'), '127.0.0.1');
  assert.equal(node.checkIP('::1'), '::1');
  assert.equal(node.checkIP('10.0.0.1'), undefined);
  assert.deepEqual(node.keyUsage, ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
  const days = (Date.parse(node.validTo) - Date.parse(node.validFrom)) / 86_400_000;
  assert.ok(days > 10 && days < 10.1, `valid ${days} days`);
});

test('a certificate from another authority does not verify', () => {
  const other = createAuthority({ commonName: 'Test CA', organization: 'Tandem Tests', days: 30 });
  const node = new X509Certificate(issueNodeCertificate(other, { commonName: 'primary', hosts: ['localhost'], days: 1 }).certificatePem);
  assert.equal(node.verify(new X509Certificate(authority.certificatePem).publicKey), false);
});

test('two nodes holding these certificates complete a mutual TLS handshake, each verifying the other', async () => {
  const backup = issueNodeCertificate(authority, { commonName: 'backup', hosts: ['127.0.0.1'], days: 10 });
  const server = createServer({ cert: primary.certificatePem, key: primary.privateKeyPem, ca: authority.certificatePem, requestCert: true, rejectUnauthorized: true }, (socket) =>
    socket.end(`hello ${(socket.getPeerCertificate() as { subject: { CN: string } }).subject.CN}`),
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const port = (server.address() as { port: number }).port;
    const socket: TLSSocket = connect({ host: '127.0.0.1', port, cert: backup.certificatePem, key: backup.privateKeyPem, ca: authority.certificatePem });
    await once(socket, 'secureConnect');
    assert.equal(socket.authorized, true, String(socket.authorizationError));
    let text = '';
    for await (const chunk of socket) text += String(chunk);
    assert.equal(text, 'hello backup');
  } finally {
    server.close();
  }
});

test('openssl agrees: the node certificate verifies for server and client use', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-pki-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'ca.pem'), authority.certificatePem);
  await writeFile(join(dir, 'node.pem'), primary.certificatePem);
  for (const purpose of ['sslserver', 'sslclient']) {
    const { stdout } = await promisify(execFile)('openssl', ['verify', '-purpose', purpose, '-CAfile', join(dir, 'ca.pem'), join(dir, 'node.pem')]);
    assert.match(stdout, /node\.pem: OK/);
  }
});

test('ensurePairCertificates writes the authority and each node once, keeps what exists, and keeps keys private', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-pki-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const first = await ensurePairCertificates(join(dir, 'pki'), [{ name: 'primary', hosts: ['127.0.0.1'] }], { days: 5 });
  assert.equal(first.written.length, 4);
  assert.equal((await stat(first.authorityKey)).mode & 0o777, 0o600);
  assert.equal((await stat(first.nodes['primary']!.privateKey)).mode & 0o777, 0o600);
  const caBefore = await readFile(first.authorityCertificate, 'utf8');
  const primaryBefore = await readFile(first.nodes['primary']!.certificate, 'utf8');

  const second = await ensurePairCertificates(join(dir, 'pki'), [{ name: 'primary', hosts: ['127.0.0.1'] }, { name: 'backup', hosts: ['127.0.0.1'] }], { days: 5 });
  assert.deepEqual(second.written.map((p) => p.slice(dir.length)).sort(), ['/pki/backup.key', '/pki/backup.pem']);
  assert.equal(await readFile(second.authorityCertificate, 'utf8'), caBefore);
  assert.equal(await readFile(second.nodes['primary']!.certificate, 'utf8'), primaryBefore);
  const ca = new X509Certificate(caBefore);
  assert.ok(new X509Certificate(await readFile(second.nodes['backup']!.certificate, 'utf8')).checkIssued(ca), 'a node added later is issued by the same authority');

  await rm(second.authorityKey);
  await assert.rejects(ensurePairCertificates(join(dir, 'pki'), [], { days: 5 }), /only one of ca\.pem and ca\.key/);
});
