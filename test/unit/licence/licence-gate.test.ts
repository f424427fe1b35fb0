import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { ManualClock, silentLogger, type ErrorCode } from '../../../src/common/index.js';
import { LicenceGate, type LicenceGateOptions } from '../../../src/licence/index.js';
import { capturingLogger, DAY, issuer, licenceText, T0 } from './licence-fixture.js';

const VALID_UNTIL = T0 + 365 * DAY;

/** A gate over an in-memory licence file at /licence.json. */
async function gateFor(text: string | undefined, clock: ManualClock, overrides: Partial<LicenceGateOptions> = {}): Promise<LicenceGate> {
  return LicenceGate.load({
    ...(text === undefined ? {} : { file: '/licence.json' }),
    trustedPublicKeys: [issuer.publicKeyPem],
    clock,
    logger: silentLogger(),
    readFile: () => Promise.resolve(text ?? ''),
    ...overrides,
  });
}

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-licence-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function refusal(gate: LicenceGate): { code: ErrorCode; message: string } | undefined {
  const p = gate.permitsTakingAuthority();
  return p.ok ? undefined : { code: p.error.code, message: p.error.message };
}

test('the gate judges dates by the injected clock at each call, so expiry while running is noticed', async () => {
  const clock = new ManualClock(T0 - 1000);
  const gate = await gateFor(licenceText(), clock);
  assert.deepEqual(gate.status(), { TYPE: 'NotYetValid', id: 'L-1', validFrom: '2026-01-01T00:00:00Z' });

  clock.advance(1000);
  assert.deepEqual(gate.status(), {
    TYPE: 'Valid',
    id: 'L-1',
    licensee: 'ACME Ltd',
    validFrom: '2026-01-01T00:00:00Z',
    validUntil: '2027-01-01T00:00:00Z',
    daysLeft: 365,
  });

  clock.advance(VALID_UNTIL - T0 - 1);
  assert.equal(gate.status().TYPE, 'Valid');
  assert.equal(gate.permitsTakingAuthority().ok, true);
  clock.advance(1);
  assert.deepEqual(gate.status(), { TYPE: 'Expired', id: 'L-1', validUntil: '2027-01-01T00:00:00Z' });
  assert.equal(refusal(gate)?.code, 'LicenceExpired');
});

test('the expiry warning appears 30 days before the end, not 31', async () => {
  const clock = new ManualClock(VALID_UNTIL - 31 * DAY);
  const gate = await gateFor(licenceText(), clock);
  const at31 = gate.status();
  assert.equal(at31.TYPE === 'Valid' && at31.daysLeft, 31);
  assert.equal(at31.TYPE === 'Valid' && at31.warning, undefined);

  clock.advance(DAY - 1);
  const justOver30 = gate.status();
  assert.equal(justOver30.TYPE === 'Valid' && justOver30.warning, undefined);

  clock.advance(1);
  const at30 = gate.status();
  assert.equal(at30.TYPE === 'Valid' && at30.daysLeft, 30);
  assert.equal(at30.TYPE === 'Valid' && at30.warning, 'the licence L-1 expires on 2027-01-01T00:00:00Z (30 days)');

  clock.advance(30 * DAY - 1);
  const lastMs = gate.status();
  assert.equal(lastMs.TYPE === 'Valid' && lastMs.warning, 'the licence L-1 expires on 2027-01-01T00:00:00Z (1 day)');
  // The warning does not stop a valid licence from permitting failover.
  assert.equal(gate.permitsTakingAuthority().ok, true);
});

test('permitsTakingAuthority refuses with a code per status and says what still works', async (t) => {
  const clock = new ManualClock(T0 + DAY);
  const cases: [string, Promise<LicenceGate>, ErrorCode][] = [
    ['missing', gateFor(undefined, clock), 'LicenceMissing'],
    ['invalid', gateFor(licenceText(), clock, { trustedPublicKeys: [] }), 'LicenceInvalid'],
    ['expired', gateFor(licenceText({ validUntil: T0 + DAY }), clock), 'LicenceExpired'],
    ['not yet valid', gateFor(licenceText({ validFrom: T0 + 2 * DAY, validUntil: T0 + 3 * DAY }), clock), 'LicenceExpired'],
  ];
  for (const [what, gatePromise, code] of cases) {
    await t.test(what, async () => {
      const r = refusal(await gatePromise);
      assert.equal(r?.code, code);
      assert.match(r?.message ?? '', /automatic failover and switchover are disabled \(demotion, fencing and rejoin still work\)/);
    });
  }
  assert.equal((await gateFor(licenceText(), clock)).permitsTakingAuthority().ok, true);
});

test('load never throws: no file is Missing, an absent file Missing, an unreadable or bad one Invalid', async (t) => {
  const dir = await tempDir(t);
  const clock = new ManualClock(T0 + DAY);
  const base = { trustedPublicKeys: [issuer.publicKeyPem], clock, logger: silentLogger() };

  assert.deepEqual((await LicenceGate.load(base)).status(), { TYPE: 'Missing', reason: 'js7.license.file is not set' });

  const absent = join(dir, 'absent.json');
  assert.deepEqual((await LicenceGate.load({ ...base, file: absent })).status(), { TYPE: 'Missing', reason: `the licence file ${absent} does not exist` });

  // A directory cannot be read as a file (EISDIR), and permissions do not stop root.
  const asDirectory = (await LicenceGate.load({ ...base, file: dir })).status();
  assert.equal(asDirectory.TYPE, 'Invalid');
  assert.match(asDirectory.TYPE === 'Invalid' ? asDirectory.reason : '', /cannot read the licence file .*EISDIR/);

  const denied = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
  const unreadable = (await LicenceGate.load({ ...base, file: '/x.json', readFile: () => Promise.reject(denied) })).status();
  assert.deepEqual(unreadable, { TYPE: 'Invalid', reason: 'cannot read the licence file /x.json: EACCES: permission denied' });

  const garbled = join(dir, 'garbled.json');
  await writeFile(garbled, '{"document":');
  const bad = (await LicenceGate.load({ ...base, file: garbled })).status();
  assert.match(bad.TYPE === 'Invalid' ? bad.reason : '', /garbled\.json: the licence file is not JSON/);

  const good = join(dir, 'good.json');
  await writeFile(good, licenceText());
  assert.equal((await LicenceGate.load({ ...base, file: good })).status().TYPE, 'Valid');
});

test('load logs the status once: info when valid, warn when near the end or unusable, error when invalid', async () => {
  const levelsFor = async (text: string | undefined, now: number, trusted = [issuer.publicKeyPem]) => {
    const { logger, lines } = capturingLogger();
    const gate = await gateFor(text, new ManualClock(now), { logger, trustedPublicKeys: trusted });
    const atLoad = lines.map((l) => [l.level, l.msg, l['component']]);
    gate.logStatus();
    assert.equal(lines.length, atLoad.length * 2, 'logStatus logs the same again');
    return atLoad;
  };
  assert.deepEqual(await levelsFor(licenceText(), T0), [[30, 'licence valid', 'licence']]);
  assert.deepEqual(await levelsFor(licenceText(), VALID_UNTIL - 10 * DAY), [[40, 'the licence L-1 expires on 2027-01-01T00:00:00Z (10 days)', 'licence']]);
  const [missing] = await levelsFor(undefined, T0);
  assert.equal(missing?.[0], 40);
  assert.match(String(missing?.[1]), /^no licence: js7\.license\.file is not set; automatic failover and switchover are disabled/);
  const [expired] = await levelsFor(licenceText(), VALID_UNTIL);
  assert.deepEqual(expired?.slice(0, 1), [40]);
  assert.match(String(expired?.[1]), /expired on 2027-01-01T00:00:00Z/);
  const [notYet] = await levelsFor(licenceText(), T0 - 1);
  assert.deepEqual(notYet?.slice(0, 1), [40]);
  const [invalid] = await levelsFor(licenceText(), T0, []);
  assert.equal(invalid?.[0], 50);
  assert.match(String(invalid?.[1]), /^the licence is invalid: \/licence\.json: the licence L-1 is not trusted/);
});

test('a configured key that is not an Ed25519 public key is warned about even when the licence verifies', async () => {
  const { logger, lines } = capturingLogger();
  const gate = await gateFor(licenceText(), new ManualClock(T0), { logger, trustedPublicKeys: [issuer.privateKeyPem, issuer.publicKeyPem] });
  assert.equal(gate.status().TYPE, 'Valid');
  assert.deepEqual(
    lines.map((l) => [l.level, l.msg]),
    [
      [40, 'js7.license.trusted-public-keys: trusted key #1 ignored: it is a private key; configure its public key (SPKI PEM) instead'],
      [30, 'licence valid'],
    ],
  );
});
