import assert from 'node:assert/strict';
import { generateKeyPairSync, createPublicKey } from 'node:crypto';
import { test } from 'node:test';
import { hasCode } from '../../../src/common/index.js';
import { inspectLicenceFile, issueLicence, parseLicenceFile, VENDOR_PUBLIC_KEY_PEM } from '../../../src/licence/index.js';
import { DAY, documentFields, issuer, licenceText, signedFile, stranger, T0 } from './licence-fixture.js';

/** Asserts `fn` throws LicenceInvalid with a message matching `message`. */
function assertInvalid(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(hasCode(err, 'LicenceInvalid'), `expected LicenceInvalid, got ${String(err)}`);
    assert.match(err.message, message);
    return true;
  });
}

test('a licence issued with a throw-away key verifies only when that key is trusted', () => {
  const text = licenceText();
  const licence = parseLicenceFile(text, [issuer.publicKeyPem]);
  assert.deepEqual(licence, {
    id: 'L-1',
    licensee: 'ACME Ltd',
    product: 'js7.controller.cluster',
    validFrom: T0,
    validUntil: T0 + 365 * DAY,
    issuedAt: T0 - DAY,
  });
  assertInvalid(() => parseLicenceFile(text, []), /L-1 is not trusted: the signature does not verify against any trusted key \(the vendor key and 0 configured keys\)/);
  assertInvalid(() => parseLicenceFile(text, [stranger.publicKeyPem]), /does not verify/);
  // Any one trusted key suffices.
  assert.equal(parseLicenceFile(text, [stranger.publicKeyPem, issuer.publicKeyPem]).id, 'L-1');
  const inspected = inspectLicenceFile(text, [stranger.publicKeyPem, issuer.publicKeyPem]);
  assert.match(inspected.signature.TYPE === 'Verified' ? inspected.signature.key : '', /^trusted key #2 \(sha256:[0-9a-f]{16}\)$/);
});

test('a tampered document or signature does not verify', () => {
  const file = JSON.parse(licenceText()) as { document: string; signature: string };
  const longer = JSON.stringify({ ...file, document: file.document.replace('2027-01-01', '2099-01-01') });
  assert.notEqual(longer, JSON.stringify(file));
  assertInvalid(() => parseLicenceFile(longer, [issuer.publicKeyPem]), /signature does not verify/);

  const bytes = Buffer.from(file.signature, 'base64');
  bytes[10] = (bytes[10] ?? 0) ^ 1;
  const badSignature = JSON.stringify({ ...file, signature: bytes.toString('base64') });
  assertInvalid(() => parseLicenceFile(badSignature, [issuer.publicKeyPem]), /signature does not verify/);

  // What show prints for such a file: the fields, marked as not verified.
  const inspected = inspectLicenceFile(longer, [issuer.publicKeyPem]);
  assert.equal(inspected.signature.TYPE, 'NotVerified');
  assert.equal(inspected.licence.validUntil, Date.UTC(2099, 0, 1));
});

test('a malformed file or document is refused with a message naming the problem', () => {
  const doc = (change: Record<string, unknown>, drop?: string): string => {
    const fields: Record<string, unknown> = { ...documentFields(), ...change };
    if (drop !== undefined) delete fields[drop];
    return JSON.stringify(fields);
  };
  const signature = JSON.parse(signedFile(doc({}))).signature as string;
  const cases: [string, string, RegExp][] = [
    ['file not JSON', 'licence: yes', /^the licence file is not JSON: /],
    ['file is a list', '[]', /the licence file is malformed: \$: expected object, got a list/],
    ['no signature', JSON.stringify({ document: doc({}) }), /the licence file is malformed: \$\.signature: missing/],
    ['extra file key', JSON.stringify({ document: doc({}), signature, keyId: 'x' }), /\$: unknown key "keyId"/],
    ['short signature', JSON.stringify({ document: doc({}), signature: 'AAAA' }), /\$\.signature: expected base64 of a 64-byte Ed25519 signature, got 3 bytes/],
    ['signature not base64', JSON.stringify({ document: doc({}), signature: 'not base64!' }), /\$\.signature: .*got no base64/],
    ['document not JSON', signedFile('{"id": "L-2",'), /^the licence document is not JSON: /],
    ['wrong product', signedFile(doc({ product: 'js7.agent' })), /the licence document is malformed: \$\.product: expected "js7\.controller\.cluster", got "js7\.agent"/],
    ['missing licensee', signedFile(doc({}, 'licensee')), /\$\.licensee: missing/],
    ['missing validUntil', signedFile(doc({}, 'validUntil')), /\$\.validUntil: missing/],
    ['id not a string', signedFile(doc({ id: 7 })), /\$\.id: expected string, got 7/],
    ['unknown key', signedFile(doc({ seats: 10 })), /\$: unknown key "seats"/],
    ['date without time', signedFile(doc({ validFrom: '2026-01-01' })), /\$\.validFrom: expected YYYY-MM-DDTHH:mm:ssZ \(UTC\), got "2026-01-01"/],
    ['local time', signedFile(doc({ issuedAt: '2026-01-01T00:00:00+01:00' })), /\$\.issuedAt: expected YYYY-MM-DDTHH:mm:ssZ/],
    ['no such day', signedFile(doc({ validUntil: '2027-02-30T00:00:00Z' })), /\$\.validUntil: expected YYYY-MM-DDTHH:mm:ssZ/],
    ['ends before it starts', signedFile(doc({ validUntil: '2026-01-01T00:00:00Z' })), /\$\.validUntil: must be after validFrom/],
  ];
  for (const [what, text, message] of cases) {
    assert.throws(
      () => parseLicenceFile(text, [issuer.publicKeyPem]),
      (err: unknown) => hasCode(err, 'LicenceInvalid') && message.test(err.message),
      what,
    );
  }
  // The same document, well formed, is accepted: the cases fail for their one reason.
  assert.equal(parseLicenceFile(signedFile(doc({})), [issuer.publicKeyPem]).id, 'L-2');
});

test('configured keys that are not Ed25519 public keys are ignored and named', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const garbage = '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n';
  const text = licenceText();
  assert.equal(parseLicenceFile(text, [rsa, garbage, issuer.privateKeyPem, issuer.publicKeyPem]).id, 'L-1');
  assertInvalid(
    () => parseLicenceFile(text, [rsa, garbage, issuer.privateKeyPem]),
    /the vendor key and 0 configured keys\); trusted key #1 ignored: it is an rsa key, not Ed25519; trusted key #2 ignored: not a PEM public key .*; trusted key #3 ignored: it is a private key/,
  );
});

test('the built-in vendor key is an Ed25519 public key and always among the trusted', () => {
  const key = createPublicKey(VENDOR_PUBLIC_KEY_PEM);
  assert.equal(key.asymmetricKeyType, 'ed25519');
  assert.doesNotMatch(VENDOR_PUBLIC_KEY_PEM, /PRIVATE/);
  const inspected = inspectLicenceFile(licenceText(), [stranger.publicKeyPem]);
  assert.match(inspected.signature.TYPE === 'NotVerified' ? inspected.signature.reason : '', /the vendor key and 1 configured key\)/);
});

test('issueLicence writes whole seconds and refuses what a node would refuse', () => {
  const text = licenceText({ validFrom: T0 + 1999, validUntil: T0 + DAY + 1 });
  const document = (JSON.parse(text) as { document: string }).document;
  assert.match(document, /"validFrom":"2026-01-01T00:00:01Z","validUntil":"2026-01-02T00:00:00Z"/);
  assert.equal(parseLicenceFile(text, [issuer.publicKeyPem]).validFrom, T0 + 1000);

  assertInvalid(() => licenceText({ validUntil: T0 }), /\$\.validUntil: must be after validFrom/);
  assertInvalid(() => licenceText({ licensee: '' }), /\$\.licensee: /);
  const ecKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  assertInvalid(() => licenceText({ privateKeyPem: ecKey }), /cannot issue: the issuer key is an ec key, not Ed25519/);
  assertInvalid(() => issueLicence({ privateKeyPem: 'nope', id: 'x', licensee: 'y', validFrom: T0, validUntil: T0 + DAY, issuedAt: T0 }), /not a PEM private key/);
});
