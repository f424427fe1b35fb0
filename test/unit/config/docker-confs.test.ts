import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TandemError } from '../../../src/common/index.js';
import { loadControllerConfig, loadWatchConfig } from '../../../src/config/index.js';

// dist/test/unit/config → the repository root.
const CONF = fileURLToPath(new URL('../../../../docker/conf/', import.meta.url));

const PEM = '-----BEGIN PUBLIC KEY-----\nplaceholder\n-----END PUBLIC KEY-----\n';

/**
 * A stand-in for a container's /run/secrets: placeholder files under the names that
 * compose.yaml gives the secrets (the loader checks that paths exist, not what is in them).
 */
function secretsDir(t: TestContext, names: readonly string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-docker-secrets-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const values: Record<string, string> = { CLUSTER_PASSWORD: 'cluster-secret\n', ADMIN_PASSWORD: 'admin-secret\n', 'licence-issuer.pub': PEM };
  for (const name of names) writeFileSync(join(dir, name), values[name] ?? 'placeholder');
  return dir;
}

const nodeSecrets = (node: string): string[] => ['ca.pem', `${node}.pem`, `${node}.key`, 'CLUSTER_PASSWORD', 'ADMIN_PASSWORD', 'licence.json', 'licence-issuer.pub'];

describe('docker/conf: the confs of compose.yaml', () => {
  for (const node of ['primary', 'backup']) {
    test(`docker/conf/${node} loads with its secrets where Docker puts them`, (t) => {
      const secrets = secretsDir(t, nodeSecrets(node));
      // As in a container: passwords from <secretsDir>/NAME; TANDEM_SECRETS_DIR stands in for /run/secrets in the paths.
      const c = loadControllerConfig({ configDir: join(CONF, node), env: { TANDEM_SECRETS_DIR: secrets }, secretsDir: secrets });
      assert.equal(c.cluster.isBackup, node === 'backup');
      assert.equal(c.controllerId, 'Controller');
      assert.equal(c.auth.clusterPassword, 'cluster-secret');
      assert.equal(c.auth.users['Controller']?.password, 'plain:cluster-secret');
      assert.equal(c.auth.users['admin']?.password, 'plain:admin-secret');
      assert.deepEqual(c.auth.users['admin']?.permissions, ['SuperPermission']);
      assert.equal(c.web.authPublic, false);
      assert.deepEqual(c.web.https, {
        certificate: join(secrets, `${node}.pem`),
        privateKey: join(secrets, `${node}.key`),
        trustedCertificates: [join(secrets, 'ca.pem')],
        clientAuthentication: true,
      });
      assert.equal(c.license.file, join(secrets, 'licence.json'));
      assert.deepEqual(c.license.trustedPublicKeys, [PEM]);
      assert.equal(c.cluster.heartbeatMs, 500);
      assert.equal(c.cluster.heartbeatTimeoutMs, 2500);
    });
  }

  test('the Primary appoints the pair under the compose service names, or the URIs the environment gives', (t) => {
    const secrets = secretsDir(t, [...nodeSecrets('primary'), 'backup.pem', 'backup.key']);
    const inDocker = loadControllerConfig({ configDir: join(CONF, 'primary'), env: { TANDEM_SECRETS_DIR: secrets }, secretsDir: secrets });
    assert.deepEqual(inDocker.cluster.nodes, { Primary: 'https://primary:8443', Backup: 'https://backup:8443' });
    const outside = loadControllerConfig({
      configDir: join(CONF, 'primary'),
      env: { TANDEM_SECRETS_DIR: secrets, TANDEM_PRIMARY_URI: 'https://127.0.0.1:1', TANDEM_BACKUP_URI: 'https://127.0.0.1:2' },
      secretsDir: secrets,
    });
    assert.deepEqual(outside.cluster.nodes, { Primary: 'https://127.0.0.1:1', Backup: 'https://127.0.0.1:2' });
    const backup = loadControllerConfig({ configDir: join(CONF, 'backup'), env: { TANDEM_SECRETS_DIR: secrets }, secretsDir: secrets });
    assert.equal(backup.cluster.nodes, undefined);
  });

  test('outside Docker, NAME_FILE variables name the password files', (t) => {
    const secrets = secretsDir(t, nodeSecrets('backup'));
    const c = loadControllerConfig({
      configDir: join(CONF, 'backup'),
      env: { TANDEM_SECRETS_DIR: secrets, CLUSTER_PASSWORD_FILE: join(secrets, 'CLUSTER_PASSWORD'), ADMIN_PASSWORD_FILE: join(secrets, 'ADMIN_PASSWORD') },
      secretsDir: '/nonexistent',
    });
    assert.equal(c.auth.clusterPassword, 'cluster-secret');
    assert.equal(c.auth.users['admin']?.password, 'plain:admin-secret');
  });

  test('docker/conf/watch loads with its secrets and matches the nodes', (t) => {
    const secrets = secretsDir(t, ['ca.pem', 'watch.pem', 'watch.key', 'CLUSTER_PASSWORD']);
    const w = loadWatchConfig({ configDir: join(CONF, 'watch'), env: { TANDEM_SECRETS_DIR: secrets }, secretsDir: secrets });
    assert.deepEqual(w.clusterNodes, [{ uri: 'https://primary:8443' }, { uri: 'https://backup:8443' }]);
    assert.equal(w.user, 'Controller');
    assert.equal(w.password, 'cluster-secret');
    assert.equal(w.heartbeatMs, 500);
    assert.equal(w.heartbeatTimeoutMs, 2500);
    assert.deepEqual(w.https, {
      certificate: join(secrets, 'watch.pem'),
      privateKey: join(secrets, 'watch.key'),
      trustedCertificates: [join(secrets, 'ca.pem')],
    });
    const outside = loadWatchConfig({
      configDir: join(CONF, 'watch'),
      env: { TANDEM_SECRETS_DIR: secrets, TANDEM_PRIMARY_URI: 'https://127.0.0.1:1', TANDEM_BACKUP_URI: 'https://127.0.0.1:2' },
      secretsDir: secrets,
    });
    assert.deepEqual(outside.clusterNodes.map((n) => n.uri), ['https://127.0.0.1:1', 'https://127.0.0.1:2']);
  });

  test('a container without its secrets does not start: every missing one is named', (t) => {
    const empty = secretsDir(t, []);
    assert.throws(
      () => loadControllerConfig({ configDir: join(CONF, 'primary'), env: { TANDEM_SECRETS_DIR: empty }, secretsDir: empty }),
      (err: unknown) => {
        assert.ok(err instanceof TandemError && err.code === 'ConfigInvalid', String(err));
        for (const missing of ['CLUSTER_PASSWORD', 'ADMIN_PASSWORD', 'primary.pem', 'primary.key', 'ca.pem', 'licence-issuer.pub']) {
          assert.match(err.message, new RegExp(missing.replace('.', '\\.')), `names ${missing}`);
        }
        return true;
      },
    );
  });
});
