import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { Agent, request } from 'undici';
import { basic, problemCode, startHarness, type Harness } from './api-harness.js';

interface Pem {
  readonly cert: string;
  readonly key: string;
}

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A throw-away self-signed certificate (P-256, PKCS#8 key) made with openssl. */
function selfSigned(dir: string, name: string, subject: string, san?: string): Pem {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  execFileSync(
    'openssl',
    [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', key, '-out', cert, '-days', '2', '-subj', subject,
      ...(san === undefined ? [] : ['-addext', `subjectAltName=${san}`]),
    ],
    { stdio: 'ignore' },
  );
  return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
}

const openssl = hasOpenssl();
let certs: { server: Pem; cockpit: Pem; stranger: Pem } | undefined;

function certificates(t: TestContext): { server: Pem; cockpit: Pem; stranger: Pem } {
  if (certs !== undefined) return certs;
  const dir = mkdtempSync(join(tmpdir(), 'tandem-api-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  certs = {
    server: selfSigned(dir, 'server', '/CN=127.0.0.1', 'IP:127.0.0.1'),
    cockpit: selfSigned(dir, 'cockpit', '/O=Tandem Tests/CN=cockpit'),
    // Same subject as the trusted one, but nobody trusts it.
    stranger: selfSigned(dir, 'stranger', '/O=Tandem Tests/CN=cockpit'),
  };
  return certs;
}

async function startTls(t: TestContext, clientAuthentication: boolean): Promise<Harness> {
  const c = certificates(t);
  return startHarness(t, {
    https: { certificate: c.server.cert, privateKey: c.server.key, trustedCertificates: [c.cockpit.cert], clientAuthentication },
  });
}

async function get(h: Harness, path: string, client: Pem | undefined, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  const agent = new Agent({
    connect: { ca: certs?.server.cert, ...(client === undefined ? {} : { cert: client.cert, key: client.key }) },
  });
  try {
    const res = await request(h.url + path, { headers, dispatcher: agent });
    return { status: res.statusCode, body: await res.body.json() };
  } finally {
    await agent.close();
  }
}

const skip = openssl ? false : 'openssl is not installed';

test('HTTPS: a client without a certificate reaches the API with a password, and not without', { skip }, async (t) => {
  const h = await startTls(t, true);
  assert.match(h.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  assert.equal((await get(h, '/controller/api/health/live', undefined)).status, 200);
  assert.equal((await get(h, '/controller/api', undefined, basic('reader', 'reader-secret'))).status, 200);
  const refused = await get(h, '/controller/api', undefined);
  assert.equal(refused.status, 401);
  assert.equal(problemCode({ status: 401, headers: {}, text: '', body: refused.body }), 'Unauthenticated');
});

test('HTTPS: a trusted client certificate logs in as the user with its distinguished name', { skip }, async (t) => {
  const h = await startTls(t, true);
  const overview = await get(h, '/controller/api', certs?.cockpit);
  assert.equal(overview.status, 200);
  assert.equal((overview.body as { id?: string }).id, 'fake');
});

test('HTTPS: an untrusted certificate with the same subject is no login', { skip }, async (t) => {
  const h = await startTls(t, true);
  const answer = await get(h, '/controller/api', certs?.stranger);
  assert.equal(answer.status, 401);
});

test('HTTPS: without client authentication no certificate is asked for or used', { skip }, async (t) => {
  const h = await startTls(t, false);
  assert.equal((await get(h, '/controller/api', certs?.cockpit)).status, 401);
  assert.equal((await get(h, '/controller/api', certs?.cockpit, basic('reader', 'reader-secret'))).status, 200);
});
