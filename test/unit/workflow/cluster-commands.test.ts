import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasCode, type ErrorCode } from '../../../src/common/index.js';
import { isClusterCommand, parseClusterNodeCommand, parseCommand, parseControllerCommand } from '../../../src/workflow/index.js';

type Parser = (body: unknown) => unknown;

function rejects(parse: Parser, body: unknown, code: ErrorCode, path?: string): void {
  assert.throws(
    () => parse(body),
    (err: unknown) => {
      assert.ok(hasCode(err, code), `expected ${code}, got ${String(err)}`);
      if (path !== undefined) {
        assert.equal(err.arguments['path'], path);
        assert.ok(err.message.includes(path), `message '${err.message}' names ${path}`);
        assert.equal(typeof err.arguments['problem'], 'string');
      }
      return true;
    },
  );
}

// DESIGN §8, as a cockpit sends it.
const appointJson = '{"TYPE":"ClusterAppointNodes","idToUri":{"Primary":"https://primary.example:8443","Backup":"https://backup.example:8443"},"activeId":"Primary"}';
const appoint = JSON.parse(appointJson) as Record<string, unknown>;
const idToUri = { Primary: 'https://primary.example:8443', Backup: 'https://backup.example:8443' };
const withUris = (uris: Record<string, string>): unknown => ({ ...appoint, idToUri: uris });
const setting = { idToUri, activeId: 'Primary' };

describe('parseControllerCommand: cluster commands', () => {
  const good: unknown[] = [
    appoint,
    { TYPE: 'ClusterAppointNodes', idToUri: { 'node-1': 'http://127.0.0.1:4001', node_2: 'http://[::1]:4002/tandem/' }, activeId: 'node_2' },
    { TYPE: 'ClusterSwitchOver' },
  ];
  for (const body of good) {
    it(`accepts ${JSON.stringify(body).slice(0, 80)}`, () => assert.deepEqual(parseControllerCommand(body), body));
  }

  it('still parses every business command', () => {
    assert.equal(parseControllerCommand({ TYPE: 'AddOrder', order: { id: 'o', workflowPath: 'w' } }).TYPE, 'AddOrder');
    assert.equal(parseControllerCommand({ TYPE: 'ShutDown', clusterAction: 'Switchover' }).TYPE, 'ShutDown');
  });

  it('tells cluster commands from business commands', () => {
    assert.equal(isClusterCommand(parseControllerCommand(appoint)), true);
    assert.equal(isClusterCommand(parseControllerCommand({ TYPE: 'ClusterSwitchOver' })), true);
    assert.equal(isClusterCommand(parseControllerCommand({ TYPE: 'TakeSnapshot' })), false);
  });

  it('the business-only parser does not know cluster commands', () => {
    rejects(parseCommand, appoint, 'UnknownCommand');
    rejects(parseCommand, { TYPE: 'ClusterSwitchOver' }, 'UnknownCommand');
  });

  it('node-to-node commands are not accepted as user commands', () => {
    rejects(parseControllerCommand, { TYPE: 'ClusterCouplingCallback', token: 'x'.repeat(16) }, 'UnknownCommand');
    rejects(parseControllerCommand, { TYPE: 'ClusterGetNodeState' }, 'UnknownCommand');
  });
});

describe('parseControllerCommand: ClusterAppointNodes errors name the path', () => {
  const cases: [string, unknown, string][] = [
    ['three nodes', withUris({ ...idToUri, Third: 'https://third.example' }), '$.idToUri'],
    ['one node', withUris({ Primary: idToUri.Primary }), '$.idToUri'],
    ['no nodes', withUris({}), '$.idToUri'],
    ['idToUri not an object', { ...appoint, idToUri: ['https://a', 'https://b'] }, '$.idToUri'],
    ['a node id with a space', withUris({ Primary: idToUri.Primary, 'Back up': idToUri.Backup }), '$.idToUri["Back up"]'],
    ['a node id with a dot', withUris({ Primary: idToUri.Primary, 'b.x': idToUri.Backup }), '$.idToUri["b.x"]'],
    ['a node id __proto__', JSON.parse('{"TYPE":"ClusterAppointNodes","idToUri":{"Primary":"https://p","__proto__":"https://b"},"activeId":"Primary"}'), '$.idToUri.__proto__'],
    ['a third node __proto__ (never dropped silently)', JSON.parse('{"TYPE":"ClusterAppointNodes","idToUri":{"Primary":"https://p","Backup":"https://b","__proto__":"https://x"},"activeId":"Primary"}'), '$.idToUri.__proto__'],
    ['a relative URI', withUris({ ...idToUri, Backup: '/backup' }), '$.idToUri.Backup'],
    ['a URI without scheme', withUris({ ...idToUri, Backup: 'backup.example:8443' }), '$.idToUri.Backup'],
    ['an ftp URI', withUris({ ...idToUri, Backup: 'ftp://backup.example' }), '$.idToUri.Backup'],
    ['a URI with a password', withUris({ ...idToUri, Backup: 'https://u:secret@backup.example' }), '$.idToUri.Backup'],
    ['a URI with a query', withUris({ ...idToUri, Primary: 'https://primary.example/?x=1' }), '$.idToUri.Primary'],
    ['a URI that is a number', withUris({ ...idToUri, Primary: 8443 } as unknown as Record<string, string>), '$.idToUri.Primary'],
    ['an active node that is not appointed', { ...appoint, activeId: 'Third' }, '$.activeId'],
    ['a missing activeId', { TYPE: 'ClusterAppointNodes', idToUri }, '$.activeId'],
    ['an unknown field', { ...appoint, clusterWatches: [] }, '$.clusterWatches'],
    ['a field on ClusterSwitchOver', { TYPE: 'ClusterSwitchOver', activeId: 'Backup' }, '$.activeId'],
  ];
  for (const [what, body, path] of cases) {
    it(what, () => rejects(parseControllerCommand, body, 'InvalidRequest', path));
  }
});

describe('parseClusterNodeCommand', () => {
  const token = 'tok_0123456789abcdef';
  const good: unknown[] = [
    { TYPE: 'ClusterStartBackupNode', setting, journalId: 'c0ffee-1234', epoch: 0 },
    { TYPE: 'ClusterPrepareCoupling', activeId: 'Primary', passiveId: 'Backup', token },
    { TYPE: 'ClusterCouplingCallback', token },
    { TYPE: 'ClusterPassiveDown', passiveId: 'Backup' },
    { TYPE: 'ClusterInhibitActivation', duration: 10_000, epoch: 3 },
    { TYPE: 'ClusterGetNodeState' },
  ];
  for (const body of good) {
    it(`accepts ${JSON.stringify(body).slice(0, 80)}`, () => assert.deepEqual(parseClusterNodeCommand(body), body));
  }

  it('is a union of its own: user commands are unknown here', () => {
    rejects(parseClusterNodeCommand, appoint, 'UnknownCommand');
    rejects(parseClusterNodeCommand, { TYPE: 'AddOrder', order: { id: 'o', workflowPath: 'w' } }, 'UnknownCommand');
    rejects(parseClusterNodeCommand, { TYPE: '__proto__' }, 'UnknownCommand');
  });

  const bad: [string, unknown, string][] = [
    ['not an object', 'ClusterCouplingCallback', '$'],
    ['no TYPE', { token }, '$.TYPE'],
    ['a setting whose active node is not appointed', { TYPE: 'ClusterStartBackupNode', setting: { ...setting, activeId: 'X' }, journalId: 'j', epoch: 1 }, '$.setting.activeId'],
    ['a setting with a bad URI', { TYPE: 'ClusterStartBackupNode', setting: { ...setting, idToUri: { ...idToUri, Backup: 'nope' } }, journalId: 'j', epoch: 1 }, '$.setting.idToUri.Backup'],
    ['an empty journalId', { TYPE: 'ClusterStartBackupNode', setting, journalId: '', epoch: 1 }, '$.journalId'],
    ['a fractional epoch', { TYPE: 'ClusterStartBackupNode', setting, journalId: 'j', epoch: 1.5 }, '$.epoch'],
    ['a negative epoch', { TYPE: 'ClusterStartBackupNode', setting, journalId: 'j', epoch: -1 }, '$.epoch'],
    ['a short token', { TYPE: 'ClusterCouplingCallback', token: 'abc' }, '$.token'],
    ['a bad passive id', { TYPE: 'ClusterPrepareCoupling', activeId: 'Primary', passiveId: 'Back up', token }, '$.passiveId'],
    ['a missing passiveId', { TYPE: 'ClusterPassiveDown' }, '$.passiveId'],
    ['a zero duration', { TYPE: 'ClusterInhibitActivation', duration: 0, epoch: 3 }, '$.duration'],
    ['a duration in the wrong unit (ns)', { TYPE: 'ClusterInhibitActivation', duration: 10_000_000_000, epoch: 3 }, '$.duration'],
    ['a duration as text', { TYPE: 'ClusterInhibitActivation', duration: '10s', epoch: 3 }, '$.duration'],
    ['an unknown field', { TYPE: 'ClusterPassiveDown', passiveId: 'Backup', epoch: 3 }, '$.epoch'],
    ['a field on the read-only view request', { TYPE: 'ClusterGetNodeState', nodeId: 'Backup' }, '$.nodeId'],
  ];
  for (const [what, body, path] of bad) {
    it(`refuses ${what} at ${path}`, () => rejects(parseClusterNodeCommand, body, 'InvalidRequest', path));
  }
});
