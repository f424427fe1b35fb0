import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Packr } from 'msgpackr';
import { asEventId, asJournalPosition, asNodeId, hasCode, type ErrorCode } from '../../../src/common/index.js';
import { applyEvent, emptyState, fromSnapshot, parseEvent, toSnapshot, type ClusterState, type ControllerState, type Event } from '../../../src/state/index.js';
import { decideAppointNodes, parseControllerCommand, type ClusterAppointNodes } from '../../../src/workflow/index.js';

const Primary = asNodeId('Primary');
const Backup = asNodeId('Backup');
const idToUri = { Primary: 'https://primary.example:8443', Backup: 'https://backup.example:8443' };

function appointCommand(body: Record<string, unknown> = {}): ClusterAppointNodes {
  const c = parseControllerCommand({ TYPE: 'ClusterAppointNodes', idToUri, activeId: 'Primary', ...body });
  assert.ok(c.TYPE === 'ClusterAppointNodes');
  return c;
}

function commit(state: ControllerState, events: readonly Event[]): void {
  for (const event of events) applyEvent(state, { eventId: asEventId(state.lastEventId + 1), event });
}

function stateIn(cluster: ClusterState): ControllerState {
  const s = emptyState();
  s.cluster = cluster;
  return s;
}

function refuses(state: ControllerState, command: ClusterAppointNodes, own: string, code: ErrorCode, check: (args: Readonly<Record<string, unknown>>) => void): void {
  assert.throws(
    () => decideAppointNodes(state, command, asNodeId(own)),
    (err: unknown) => {
      assert.ok(hasCode(err, code), `expected ${code}, got ${String(err)}`);
      check(err.arguments);
      return true;
    },
  );
}

const appointed = { idToUri: { [Primary]: idToUri.Primary, [Backup]: idToUri.Backup }, activeId: Primary };

describe('decideAppointNodes', () => {
  it('appoints the nodes of a standalone controller', () => {
    const state = emptyState();
    const { events, response } = decideAppointNodes(state, appointCommand(), Primary);
    assert.deepEqual(events, [{ TYPE: 'ClusterNodesAppointed', idToUri, activeId: 'Primary' }]);
    assert.deepEqual(response, { TYPE: 'Accepted' });
    commit(state, events);
    assert.deepEqual(state.cluster, { TYPE: 'NodesAppointed', setting: appointed });
    assert.equal(state.epoch, 0, 'appointing is not a change of the active node');
  });

  it('the event it writes survives the journal: encoded, read back and replayed to the same state', () => {
    const live = emptyState();
    const { events } = decideAppointNodes(live, appointCommand(), Primary);
    commit(live, events);
    const packr = new Packr({ useRecords: false });
    const replayed = emptyState();
    commit(replayed, events.map((e) => parseEvent(packr.unpack(packr.pack(e)))));
    assert.deepStrictEqual(replayed, live);
    assert.deepStrictEqual(fromSnapshot(toSnapshot(live).map((r) => packr.unpack(packr.pack(r)) as unknown)), live);
  });

  for (const cluster of [
    { TYPE: 'NodesAppointed', setting: appointed },
    { TYPE: 'Coupled', setting: appointed },
    { TYPE: 'PassiveLost', setting: appointed },
  ] satisfies ClusterState[]) {
    it(`accepts the same setting again in ${cluster.TYPE} without an event`, () => {
      const { events, response } = decideAppointNodes(stateIn(cluster), appointCommand(), Primary);
      assert.deepEqual(events, []);
      assert.deepEqual(response, { TYPE: 'Accepted', duplicate: true });
    });
  }

  it('the same setting with the nodes in another order is the same setting', () => {
    const reordered = appointCommand({ idToUri: { Backup: idToUri.Backup, Primary: idToUri.Primary } });
    assert.deepEqual(decideAppointNodes(stateIn({ TYPE: 'Coupled', setting: appointed }), reordered, Primary).events, []);
  });

  it('refuses another URI once appointed, naming the current setting', () => {
    const moved = appointCommand({ idToUri: { ...idToUri, Backup: 'https://backup2.example:8443' } });
    refuses(stateIn({ TYPE: 'NodesAppointed', setting: appointed }), moved, 'Primary', 'ClusterAlreadyAppointed', (args) => {
      assert.deepEqual(args['idToUri'], idToUri);
      assert.equal(args['activeId'], 'Primary');
      assert.equal(args['clusterState'], 'NodesAppointed');
    });
  });

  it('refuses other node ids once appointed', () => {
    const renamed = appointCommand({ idToUri: { Primary: idToUri.Primary, Standby: idToUri.Backup } });
    refuses(stateIn({ TYPE: 'Coupled', setting: appointed }), renamed, 'Primary', 'ClusterAlreadyAppointed', () => {});
  });

  it('after a failover the original registration is refused and names the new active node', () => {
    const failedOver: ClusterState = {
      TYPE: 'FailedOver',
      setting: { ...appointed, activeId: Backup },
      failedAt: { fileEventId: asEventId(1), position: asJournalPosition(2), eventId: asEventId(3) },
    };
    refuses(stateIn(failedOver), appointCommand(), 'Backup', 'ClusterAlreadyAppointed', (args) => assert.equal(args['activeId'], 'Backup'));
    // What the current active node answers to the current setting: nothing to do.
    assert.deepEqual(decideAppointNodes(stateIn(failedOver), appointCommand({ activeId: 'Backup' }), Backup).events, []);
  });

  it('refuses a setting whose active node is not this node: send it to the active node', () => {
    const state = emptyState();
    refuses(state, appointCommand(), 'Backup', 'InvalidRequest', (args) => {
      assert.equal(args['path'], '$.activeId');
      assert.match(String(args['problem']), /active node/);
    });
    assert.deepEqual(state.cluster, { TYPE: 'Empty' }, 'nothing changed');
  });
});
