import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { hasCode } from '../../../src/common/index.js';
import { loadControllerConfig, type ControllerConfig } from '../../../src/config/index.js';
import { assertError, configDir, configInvalid } from './config-dir.js';

const NO_SECRETS = '/nonexistent-secrets';

function load(dir: string, env: Record<string, string> = {}, secretsDir = NO_SECRETS): ControllerConfig {
  return loadControllerConfig({ configDir: dir, env, secretsDir });
}

const DEFAULTS: ControllerConfig = {
  controllerId: 'Controller',
  orderRetentionMs: 3_600_000,
  journal: { sync: true, snapshotPeriodMs: 3_600_000, snapshotSizeBytes: 64 * 1024 * 1024 },
  cluster: { isBackup: false, heartbeatMs: 500, heartbeatTimeoutMs: 2500, switchoverJobTimeoutMs: 60_000 },
  auth: { users: {} },
  web: { authPublic: false, loopbackIsPublic: false, maxBodyBytes: 1024 * 1024 },
  job: { sigkillDelayMs: 15_000 },
  license: { trustedPublicKeys: [] },
};

describe('loadControllerConfig', () => {
  test('the seed snippet loads verbatim', (t) => {
    const dir = configDir(t, { 'controller.conf': 'js7.journal.cluster { node { is-backup = yes } }\njs7.web.server.auth.public = true\n' });
    const c = load(dir);
    assert.equal(c.cluster.isBackup, true);
    assert.equal(c.web.authPublic, true);
    assert.deepEqual(c, { ...DEFAULTS, cluster: { ...DEFAULTS.cluster, isBackup: true }, web: { ...DEFAULTS.web, authPublic: true } });
  });

  test('an empty controller.conf gives the defaults, deeply frozen', (t) => {
    const c = load(configDir(t, { 'controller.conf': '' }));
    assert.deepEqual(c, DEFAULTS);
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.journal) && Object.isFrozen(c.license.trustedPublicKeys));
    assert.throws(() => {
      (c.journal as { sync: boolean }).sync = false;
    }, TypeError);
  });

  test('every key converts: booleans from yes/no/on/off, durations, sizes', (t) => {
    const dir = configDir(t, {
      'controller.conf': `
        js7.controller { id = tandem-1, order-retention = 15m }
        js7.journal { sync = off, snapshot { period = 30m, when-bigger-than = 10M } }
        js7.journal.cluster { node.is-backup = on, heartbeat = 500ms, heartbeat-timeout = 2s, switchover-job-timeout = 2m
          nodes { Primary = "https://primary:8443", Backup: "https://backup:8443/" }
          watches = ["https://watch:8444"] }
        js7.web.server { auth { public = no, loopback-is-public = yes }, max-request-body = 2MiB }
        js7.job.execution.sigkill-delay = 5s
        js7.license.file = license/tandem.lic
        other.software.key = whatever
      `,
    });
    const c = load(dir);
    assert.deepEqual(c, {
      controllerId: 'tandem-1',
      orderRetentionMs: 900_000,
      journal: { sync: false, snapshotPeriodMs: 1_800_000, snapshotSizeBytes: 10 * 2 ** 20 },
      cluster: {
        isBackup: true,
        heartbeatMs: 500,
        heartbeatTimeoutMs: 2000,
        switchoverJobTimeoutMs: 120_000,
        nodes: { Primary: 'https://primary:8443', Backup: 'https://backup:8443/' },
        watches: ['https://watch:8444'],
      },
      auth: { users: {} },
      web: { authPublic: false, loopbackIsPublic: true, maxBodyBytes: 2 * 2 ** 20 },
      job: { sigkillDelayMs: 5000 },
      license: { file: join(dir, 'license/tandem.lic'), trustedPublicKeys: [] },
    });
  });

  test('private/private.conf overrides controller.conf, merging objects, and may be referred to', (t) => {
    const dir = configDir(t, {
      'controller.conf': `
        js7.controller.id = from-controller
        js7.journal.sync = true
        js7.auth.users.alice = "plain:a"
        js7.auth.users.bob = "plain:b"
        js7.auth.cluster.password = \${cluster-secret}
      `,
      'private/private.conf': `
        js7.journal.sync = false
        js7.auth.users.bob { password = "sha512:00", permissions = [UpdateItem], distinguished-names = ["CN=bob"] }
        cluster-secret = "from private"
      `,
    });
    const c = load(dir);
    assert.equal(c.controllerId, 'from-controller');
    assert.equal(c.journal.sync, false);
    assert.equal(c.auth.clusterPassword, 'from private');
    assert.deepEqual(c.auth.users, {
      alice: { password: 'plain:a', permissions: [], distinguishedNames: [] },
      bob: { password: 'sha512:00', permissions: ['UpdateItem'], distinguishedNames: ['CN=bob'] },
    });
  });

  test('${?ENV} takes the environment, and keeps the earlier value when unset', (t) => {
    const dir = configDir(t, {
      'controller.conf': 'js7.controller.id = fallback-id\njs7.controller.id = ${?CONTROLLER_ID}\njs7.journal.sync = ${?SYNC}\n',
    });
    assert.equal(load(dir).controllerId, 'fallback-id');
    assert.equal(load(dir, { CONTROLLER_ID: 'from-env' }).controllerId, 'from-env');
    assert.equal(load(dir, { SYNC: 'off' }).journal.sync, false);
    const { errors } = configInvalid(() => load(dir, { SYNC: 'maybe' }));
    assertError(errors, join(dir, 'controller.conf'), 'js7.journal.sync', /expected a boolean \(yes\/no\/on\/off\/true\/false\), got "maybe"/);
  });

  test('Docker secrets: NAME_FILE, then <secretsDir>/NAME, trailing newline trimmed', (t) => {
    const dir = configDir(t, {
      'controller.conf': 'js7.auth.cluster.password = ${CLUSTER_PASSWORD}\njs7.auth.users.admin = ${?ADMIN_PASSWORD}\n',
      'secrets/CLUSTER_PASSWORD': 'from-secrets-dir\n',
      'elsewhere/pw': 'from-file-var\n',
      'secrets/ADMIN_PASSWORD': 'plain:admin\n',
    });
    const secrets = join(dir, 'secrets');
    const viaDir = load(dir, {}, secrets);
    assert.equal(viaDir.auth.clusterPassword, 'from-secrets-dir');
    assert.deepEqual(viaDir.auth.users['admin'], { password: 'plain:admin', permissions: [], distinguishedNames: [] });
    assert.equal(load(dir, { CLUSTER_PASSWORD_FILE: join(dir, 'elsewhere/pw') }, secrets).auth.clusterPassword, 'from-file-var');
    const { errors } = configInvalid(() => load(dir));
    assertError(errors, join(dir, 'controller.conf'), 'js7.auth.cluster.password', /unresolved substitution \$\{CLUSTER_PASSWORD\}/);
    assert.equal(errors.length, 1, 'a failed substitution is not reported a second time as a missing value');
  });

  test('all errors at once, each naming file, line and HOCON path', (t) => {
    const dir = configDir(t, {
      'controller.conf': [
        'js7.journal.sync = maybe',
        'js7.journal.cluster.node.is-bakup = yes',
        'js7.journal.cluster { heartbeat = 5s, heartbeat-timeout = 2s }',
        'js7.jurnal.sync = on',
        'js7.web.server.max-request-body = lots',
        'js7.auth.users { eve = "secret", "a.b" { password = "plain:x", roles = [] }, mallory = 123456 }',
        'js7.journal.cluster.nodes { Primary = "ftp://x" }',
        'js7.controller.id = ${UNSET_VAR}',
      ].join('\n'),
      'private/private.conf': 'js7.job.execution.sigkill-delay = soon\njs7.license.trusted-public-keys = "not a list"\n',
    });
    const main = join(dir, 'controller.conf');
    const priv = join(dir, 'private', 'private.conf');
    const { message, errors } = configInvalid(() => load(dir));
    assertError(errors, main, 'js7.journal.sync', /expected a boolean \(yes\/no\/on\/off\/true\/false\), got "maybe"/);
    assertError(errors, main, 'js7.journal.cluster.node.is-bakup', /unknown key — did you mean is-backup\?/);
    assertError(errors, main, 'js7.journal.cluster.heartbeat-timeout', /must be longer than heartbeat \(5000 ms\), got 2000 ms/);
    assertError(errors, main, 'js7.jurnal', /unknown key — did you mean journal\?/);
    assertError(errors, main, 'js7.web.server.max-request-body', /expected a size .*got "lots"/);
    assertError(errors, main, 'js7.auth.users.eve', /sha512: or plain:/);
    assertError(errors, main, 'js7.auth.users."a.b".roles', /unknown key/);
    assertError(errors, main, 'js7.journal.cluster.nodes.Primary', /expected an https:\/\/ .*URI, got "ftp:\/\/x"/);
    assertError(errors, main, 'js7.controller.id', /unresolved substitution \$\{UNSET_VAR\}/);
    assertError(errors, priv, 'js7.job.execution.sigkill-delay', /expected a duration .*got "soon"/);
    assertError(errors, priv, 'js7.license.trusted-public-keys', /expected a list/);
    assertError(errors, main, 'js7.auth.users.mallory', /got a number/);
    assert.equal(errors.length, 12);
    assert.equal(errors.find((e) => e.path === 'js7.journal.sync')?.line, 1);
    assert.equal(errors.find((e) => e.path === 'js7.jurnal')?.line, 4);
    assert.ok(!message.includes('secret"') && !message.includes('123456'), 'passwords are not echoed');
    for (const e of errors) assert.ok(message.includes(e.path), `message lists ${e.path}`);
  });

  test('https paths resolve against the config dir; missing files are named', (t) => {
    const https = (cert: string): string =>
      `js7.web.https { certificate = "${cert}", private-key = private/https.key, trusted-certificates = [private/peer.crt, private/other.crt] }`;
    const dir = configDir(t, { 'private/https.crt': 'C', 'private/https.key': 'K', 'private/peer.crt': 'P', 'controller.conf': https('private/https.crt') });
    const { errors } = configInvalid(() => load(dir));
    assert.equal(errors.length, 1);
    assertError(errors, join(dir, 'controller.conf'), 'js7.web.https.trusted-certificates[1]', new RegExp(`file not found: ${join(dir, 'private/other.crt')}`));

    const ok = configDir(t, {
      'private/https.crt': 'C',
      'private/https.key': 'K',
      'private/peer.crt': 'P',
      'private/other.crt': 'O',
      'controller.conf': `${https('private/https.crt')}\njs7.web.https.client-authentication = off`,
    });
    assert.deepEqual(load(ok).web.https, {
      certificate: join(ok, 'private/https.crt'),
      privateKey: join(ok, 'private/https.key'),
      trustedCertificates: [join(ok, 'private/peer.crt'), join(ok, 'private/other.crt')],
      clientAuthentication: false,
    });
    const absolute = configDir(t, { 'controller.conf': https('private/https.crt').replaceAll('private/', `${ok}/private/`) });
    assert.equal(load(absolute).web.https?.certificate, join(ok, 'private/https.crt'));
    assert.equal(load(absolute).web.https?.clientAuthentication, true);
  });

  test('https without certificate or key says which is missing', (t) => {
    const dir = configDir(t, { 'controller.conf': 'js7.web.https.trusted-certificates = []' });
    const { errors } = configInvalid(() => load(dir));
    assertError(errors, join(dir, 'controller.conf'), 'js7.web.https.certificate', /required/);
    assertError(errors, join(dir, 'controller.conf'), 'js7.web.https.private-key', /required/);
  });

  test('licence keys: PEM text as is, or a PEM file read from the config dir', (t) => {
    const pem = '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n';
    const dir = configDir(t, {
      'keys/vendor.pem': pem,
      'keys/not-pem.txt': 'hello',
      'controller.conf': `js7.license.trusted-public-keys = [ """${pem}""", keys/vendor.pem ]`,
    });
    assert.deepEqual(load(dir).license.trustedPublicKeys, [pem, pem]);
    const bad = configDir(t, { 'controller.conf': `js7.license.trusted-public-keys = [ missing.pem ]` });
    assertError(configInvalid(() => load(bad)).errors, join(bad, 'controller.conf'), 'js7.license.trusted-public-keys[0]', /file not found/);
  });

  test('an order retention under a minute is refused: a client retrying an AddOrder must meet its order', (t) => {
    const dir = configDir(t, { 'controller.conf': 'js7.controller.order-retention = 30s' });
    assertError(configInvalid(() => load(dir)).errors, join(dir, 'controller.conf'), 'js7.controller.order-retention', /at least 1m/);
  });

  test('js7 keys Tandem does not use are ignored unless they look like a typo', (t) => {
    const dir = configDir(t, { 'controller.conf': 'js7.pekko.loglevel = INFO\njs7.thread-pools.x = 1\nakka.x = 1\n' });
    assert.deepEqual(load(dir), DEFAULTS);
  });

  test('a missing controller.conf and syntax errors in both files', (t) => {
    const empty = configDir(t, {});
    const { errors } = configInvalid(() => load(empty));
    assertError(errors, join(empty, 'controller.conf'), '', /file not found/);

    const dir = configDir(t, { 'controller.conf': 'a = [', 'private/private.conf': 'b = }' });
    assert.throws(
      () => load(dir),
      (err: unknown) =>
        hasCode(err, 'ConfigSyntax') &&
        err.message.includes(`${join(dir, 'controller.conf')}:1:`) &&
        err.message.includes(`${join(dir, 'private/private.conf')}:1:5`),
    );
  });
});
