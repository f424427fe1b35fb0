import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadControllerConfig, loadWatchConfig } from '../../../src/config/index.js';

// dist/test/unit/config → the repository root.
const CONF = fileURLToPath(new URL('../../../../conf/', import.meta.url));
const ENV = { CLUSTER_PASSWORD: 'cluster-secret' };

/** A copy of conf/<role> whose private.conf.example is in force, with placeholder TLS files. */
function withPrivate(t: TestContext, role: string, tlsFiles: readonly string[]): string {
  const dir = mkdtempSync(join(tmpdir(), `tandem-conf-${role}-`));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(CONF, role), dir, { recursive: true });
  renameSync(join(dir, 'private/private.conf.example'), join(dir, 'private/private.conf'));
  for (const f of tlsFiles) writeFileSync(join(dir, 'private', f), 'placeholder');
  return dir;
}

describe('example configurations in conf/', () => {
  test('conf/primary and conf/backup load as they are', () => {
    const primary = loadControllerConfig({ configDir: join(CONF, 'primary'), env: {}, secretsDir: '/nonexistent' });
    const backup = loadControllerConfig({ configDir: join(CONF, 'backup'), env: {}, secretsDir: '/nonexistent' });
    assert.equal(primary.cluster.isBackup, false);
    assert.equal(backup.cluster.isBackup, true);
    assert.deepEqual(primary.cluster.nodes, { Primary: 'https://primary.example:8443', Backup: 'https://backup.example:8443' });
    assert.equal(backup.cluster.nodes, undefined);
    assert.equal(primary.controllerId, backup.controllerId);
    const uris = loadControllerConfig({ configDir: join(CONF, 'primary'), env: { TANDEM_PRIMARY_URI: 'https://p:1' }, secretsDir: '/nonexistent' });
    assert.equal(uris.cluster.nodes?.['Primary'], 'https://p:1');
  });

  for (const role of ['primary', 'backup']) {
    test(`conf/${role} with its private.conf.example in force`, (t) => {
      const dir = withPrivate(t, role, ['https.crt', 'https.key', 'peer.crt']);
      const c = loadControllerConfig({ configDir: dir, env: ENV, secretsDir: '/nonexistent' });
      assert.equal(c.auth.clusterPassword, 'cluster-secret');
      assert.equal(c.auth.users['Controller']?.password, 'plain:cluster-secret');
      assert.deepEqual(c.web.https?.trustedCertificates, [join(dir, 'private/peer.crt')]);
      assert.equal(c.web.https?.clientAuthentication, true);
    });
  }

  test('conf/watch, as it is and with its private.conf.example', (t) => {
    const plain = loadWatchConfig({ configDir: join(CONF, 'watch'), env: {}, secretsDir: '/nonexistent' });
    assert.deepEqual(
      plain.clusterNodes.map((n) => n.uri),
      ['https://primary.example:8443', 'https://backup.example:8443'],
    );
    const dir = withPrivate(t, 'watch', ['https.crt', 'https.key', 'primary.crt', 'backup.crt']);
    const w = loadWatchConfig({ configDir: dir, env: { CLUSTER_PASSWORD: 'w' }, secretsDir: '/nonexistent' });
    assert.equal(w.user, 'Controller');
    assert.equal(w.password, 'w');
    assert.equal(w.https?.certificate, join(dir, 'private/https.crt'));
  });
});
