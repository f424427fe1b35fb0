import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { clusterTiming } from '../../../src/cluster/index.js';
import { loadWatchConfig } from '../../../src/config/index.js';
import { resolveWatchNodes } from '../../../src/watch/index.js';
import { assertError, configDir, configInvalid } from '../config/config-dir.js';

const load = (t: Parameters<typeof configDir>[0], conf: string) => loadWatchConfig({ configDir: configDir(t, { 'watch.conf': conf }), env: {} });

describe('the watch keys of watch.conf', () => {
  test('heartbeat and heartbeat-timeout default to 500 ms and 2.5 s, so watch-valid is 3 s', (t) => {
    const config = load(t, '');
    assert.equal(config.heartbeatMs, 500);
    assert.equal(config.heartbeatTimeoutMs, 2_500);
    assert.equal(clusterTiming(config.heartbeatMs, config.heartbeatTimeoutMs).watchValidMs, 3_000);
    assert.equal(config.watchId, undefined);
  });

  test('id, timing and the credentials for all nodes are read', (t) => {
    const config = load(
      t,
      `js7.journal.cluster { heartbeat = 1s, heartbeat-timeout = 4s }
       js7.journal.cluster.watch { id = watch-1, user = Ctl, password = "s3cret" }`,
    );
    assert.deepEqual(
      { id: config.watchId, h: config.heartbeatMs, t: config.heartbeatTimeoutMs, user: config.user, password: config.password },
      { id: 'watch-1', h: 1_000, t: 4_000, user: 'Ctl', password: 's3cret' },
    );
  });

  test('errors: a timeout not longer than the heartbeat, a bad id, a misspelt key', (t) => {
    const dir = configDir(t, {
      'watch.conf': `js7.journal.cluster { heartbeat = 2s, heartbeat-timeout = 2s }
                     js7.journal.cluster.watch { id = "no spaces", pasword = x }`,
    });
    const { errors } = configInvalid(() => loadWatchConfig({ configDir: dir, env: {} }));
    const file = join(dir, 'watch.conf');
    assertError(errors, file, 'js7.journal.cluster.heartbeat-timeout', /must be longer than heartbeat \(2000 ms\)/);
    assertError(errors, file, 'js7.journal.cluster.watch.id', /letters, digits/);
    assertError(errors, file, 'js7.journal.cluster.watch.pasword', /did you mean password\?/);
    assert.equal(errors.length, 3);
  });
});

describe('resolveWatchNodes', () => {
  test('configured nodes and --node flags together; a flag naming a configured node is that node', (t) => {
    const config = load(
      t,
      `js7.journal.cluster.watch {
         user = Ctl, password = all
         cluster-nodes = [ { uri = "https://primary:4443", user = Own, password = mine } ]
       }`,
    );
    assert.deepEqual(resolveWatchNodes(config, ['https://PRIMARY:4443/', 'https://backup:4443']), [
      { uri: 'https://primary:4443', user: 'Own', password: 'mine' },
      { uri: 'https://backup:4443', user: 'Ctl', password: 'all' },
    ]);
  });

  test('a password without a user goes with the default controller id; no password means no credentials', (t) => {
    assert.deepEqual(resolveWatchNodes(load(t, 'js7.journal.cluster.watch.password = pw'), ['https://a', 'https://b']), [
      { uri: 'https://a', user: 'Controller', password: 'pw' },
      { uri: 'https://b', user: 'Controller', password: 'pw' },
    ]);
    assert.deepEqual(resolveWatchNodes(load(t, ''), ['https://a', 'https://b']), [{ uri: 'https://a' }, { uri: 'https://b' }]);
  });

  test('anything but two different nodes is ConfigInvalid, naming the nodes', (t) => {
    const config = load(t, '');
    for (const flags of [[], ['https://a'], ['https://a', 'https://a:443'], ['https://a', 'https://b', 'https://c']]) {
      const { errors } = configInvalid(() => resolveWatchNodes(config, flags));
      assertError(errors, 'command line', '--node', new RegExp(`exactly two nodes .*got ${new Set(flags.map((f) => new URL(f).host)).size}`));
    }
    assertError(configInvalid(() => resolveWatchNodes(config, ['https://a', 'ftp://b'])).errors, 'command line', '--node', /expected an https:\/\/ .*got "ftp:\/\/b"/);
  });
});
