import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { cliPath } from '../../helpers/tandem-process.js';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `tandem license …` and resolves with its exit code and output (a non-zero exit is not an error here). */
function license(args: readonly string[], cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [cliPath, 'license', ...args], { cwd, timeout: 20_000 }, (err, stdout, stderr) => {
      if (err !== null && typeof err.code !== 'number') reject(err);
      else resolve({ code: err === null ? 0 : Number(err.code), stdout, stderr });
    });
  });
}

async function workDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-license-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** keygen into `dir/keys`, then the key file paths. */
async function keygen(dir: string): Promise<{ key: string; pub: string }> {
  const r = await license(['keygen', '--out-dir', 'keys'], dir);
  assert.equal(r.code, 0, r.stderr);
  return { key: join(dir, 'keys', 'licence-issuer.key'), pub: join(dir, 'keys', 'licence-issuer.pub') };
}

test('keygen, issue, show and verify: a licence is valid with its issuer trusted and not without', async (t) => {
  const dir = await workDir(t);
  const { key, pub } = await keygen(dir);
  assert.equal((await stat(key)).mode & 0o777, 0o600);
  assert.match(await readFile(key, 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
  assert.match(await readFile(pub, 'utf8'), /^-----BEGIN PUBLIC KEY-----/);

  const issued = await license(
    ['issue', '--private-key', key, '--licensee', 'ACME Ltd', '--valid-from', '2020-01-01', '--valid-until', '2099-12-31T12:00:00Z', '--id', 'L-42', '--out', 'licence.json'],
    dir,
  );
  assert.equal(issued.code, 0, issued.stderr);
  const file = JSON.parse(await readFile(join(dir, 'licence.json'), 'utf8')) as { document: string; signature: string };
  assert.deepEqual(Object.keys(file), ['document', 'signature']);
  assert.match(file.document, /"id":"L-42","licensee":"ACME Ltd","product":"js7.controller.cluster","validFrom":"2020-01-01T00:00:00Z","validUntil":"2099-12-31T12:00:00Z"/);

  const shown = await license(['show', 'licence.json', '--trusted-key', pub], dir);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /^licensee: +ACME Ltd$/m);
  assert.match(shown.stdout, /^id: +L-42$/m);
  assert.match(shown.stdout, /^product: +js7\.controller\.cluster$/m);
  assert.match(shown.stdout, /^valid from: +2020-01-01T00:00:00Z$/m);
  assert.match(shown.stdout, /^valid until: +2099-12-31T12:00:00Z$/m);
  assert.match(shown.stdout, /^days left: +\d+$/m);
  assert.match(shown.stdout, /^signature: +verified by trusted key #1 \(sha256:[0-9a-f]{16}\)$/m);

  const verified = await license(['verify', 'licence.json', '--trusted-key', pub], dir);
  assert.equal(verified.code, 0, verified.stderr);
  assert.match(verified.stdout, /^licence\.json: valid until 2099-12-31T12:00:00Z \(\d+ days left\)$/m);

  // Only the vendor key is trusted without --trusted-key.
  const untrustedShow = await license(['show', 'licence.json'], dir);
  assert.equal(untrustedShow.code, 1);
  assert.match(untrustedShow.stdout, /^licensee: +ACME Ltd$/m);
  assert.match(untrustedShow.stdout, /^signature: +NOT verified: the signature does not verify against any trusted key/m);
  const untrusted = await license(['verify', 'licence.json'], dir);
  assert.equal(untrusted.code, 1);
  assert.match(untrusted.stdout, /INVALID: the signature does not verify against any trusted key/);
});

test('verify and show exit 1 for a tampered, expired or malformed licence', async (t) => {
  const dir = await workDir(t);
  const { key, pub } = await keygen(dir);
  const issue = (until: string, out: string) =>
    license(['issue', '--private-key', key, '--licensee', 'ACME Ltd', '--valid-from', '2000-01-01', '--valid-until', until, '--out', out], dir);
  assert.equal((await issue('2099-01-01', 'good.json')).code, 0);
  assert.equal((await issue('2001-01-01', 'old.json')).code, 0);

  const good = await readFile(join(dir, 'good.json'), 'utf8');
  await writeFile(join(dir, 'tampered.json'), good.replace('ACME Ltd', 'ACME Inc'));
  const tampered = await license(['verify', 'tampered.json', '--trusted-key', pub], dir);
  assert.equal(tampered.code, 1);
  assert.match(tampered.stdout, /^tampered\.json: INVALID: the signature does not verify against any trusted key \(the vendor key and 1 configured key\)$/m);
  assert.equal((await license(['verify', 'good.json', '--trusted-key', pub], dir)).code, 0, 'the untampered original verifies');

  const old = await license(['verify', 'old.json', '--trusted-key', pub], dir);
  assert.equal(old.code, 1);
  assert.match(old.stdout, /^old\.json: EXPIRED on 2001-01-01T00:00:00Z$/m);
  const oldShown = await license(['show', 'old.json', '--trusted-key', pub], dir);
  assert.equal(oldShown.code, 1);
  assert.match(oldShown.stdout, /^status: +EXPIRED on 2001-01-01T00:00:00Z$/m);

  await writeFile(join(dir, 'broken.json'), good.replace('"signature"', '"sig"'));
  const broken = await license(['verify', 'broken.json', '--trusted-key', pub], dir);
  assert.equal(broken.code, 1);
  assert.match(broken.stdout, /INVALID: the licence file is malformed: \$\.signature: missing; \$: unknown key "sig"/);
  const brokenShown = await license(['show', 'broken.json'], dir);
  assert.equal(brokenShown.code, 1);
  assert.match(brokenShown.stderr, /LicenceInvalid: the licence file is malformed/);
});

test('missing arguments and unknown flags print the usage and exit 2; keygen never overwrites', async (t) => {
  const dir = await workDir(t);
  for (const args of [[], ['frobnicate'], ['verify'], ['show', 'a.json', 'b.json'], ['verify', 'a.json', '--trusted'], ['issue', '--licensee', 'x', '--out', 'l.json'], ['keygen'], ['issue', '--private-key', 'k', '--licensee', 'x', '--valid-until', '2030-02-30', '--out', 'l.json']]) {
    const r = await license(args, dir);
    assert.equal(r.code, 2, `tandem license ${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /usage:\n {2}tandem license show FILE/);
  }
  await keygen(dir);
  const before = await readFile(join(dir, 'keys', 'licence-issuer.key'), 'utf8');
  const again = await license(['keygen', '--out-dir', 'keys'], dir);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /refusing to overwrite/);
  assert.equal(await readFile(join(dir, 'keys', 'licence-issuer.key'), 'utf8'), before);
});
