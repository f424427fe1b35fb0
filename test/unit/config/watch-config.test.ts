import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadWatchConfig } from '../../../src/config/index.js';
import { assertError, configDir, configInvalid } from './config-dir.js';

describe('loadWatchConfig', () => {
  test('cluster nodes with user and password, and the TLS files', (t) => {
    const dir = configDir(t, {
      'watch.conf': `
        js7.journal.cluster.watch.cluster-nodes = [
          { uri = "https://a:8443", user = Watch, password = \${?WATCH_PASSWORD} }
          { uri = "https://b:8443" }
        ]
        js7.journal.cluster.heartbeat = 1s
        js7.web.server.auth.public = true
      `,
      'private/private.conf': 'js7.web.https { certificate = c.pem, private-key = k.pem, trusted-certificates = [p.pem], client-authentication = on }',
      'c.pem': 'C',
      'k.pem': 'K',
      'p.pem': 'P',
    });
    assert.deepEqual(loadWatchConfig({ configDir: dir, env: { WATCH_PASSWORD: 'pw' }, secretsDir: '/nonexistent' }), {
      clusterNodes: [{ uri: 'https://a:8443', user: 'Watch', password: 'pw' }, { uri: 'https://b:8443' }],
      heartbeatMs: 1000,
      heartbeatTimeoutMs: 2500,
      https: { certificate: join(dir, 'c.pem'), privateKey: join(dir, 'k.pem'), trustedCertificates: [join(dir, 'p.pem')] },
    });
  });

  test('an empty watch.conf means no nodes (they come from --node flags) and no TLS files', (t) => {
    assert.deepEqual(loadWatchConfig({ configDir: configDir(t, { 'watch.conf': '' }), env: {} }), { clusterNodes: [], heartbeatMs: 500, heartbeatTimeoutMs: 2500 });
  });

  test('all errors at once: bad URI, unknown key, lone certificate, missing file', (t) => {
    const dir = configDir(t, {
      'watch.conf': `
        js7.journal.cluster.watch.cluster-nodes = [ { uri = "not a uri", usr = x } ]
        js7.web.https { certificate = missing.pem, trusted-certificates = [] }
      `,
    });
    const file = join(dir, 'watch.conf');
    const { errors } = configInvalid(() => loadWatchConfig({ configDir: dir, env: {} }));
    assertError(errors, file, 'js7.journal.cluster.watch.cluster-nodes[0].uri', /expected an https:\/\/ .*URI/);
    assertError(errors, file, 'js7.journal.cluster.watch.cluster-nodes[0].usr', /unknown key — did you mean user\?/);
    assertError(errors, file, 'js7.web.https.certificate', /file not found/);
    assert.equal(errors.length, 3);
    const lone = configDir(t, { 'watch.conf': 'js7.web.https.certificate = c.pem', 'c.pem': 'C' });
    assertError(configInvalid(() => loadWatchConfig({ configDir: lone, env: {} })).errors, join(lone, 'watch.conf'), 'js7.web.https.private-key', /set both or neither/);
  });
});
