import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Packr } from 'msgpackr';
import { asEpoch, asEventId, asJournalPosition, asNodeId, hasCode } from '../../../src/common/index.js';
import { emptyState, fromSnapshot, isClusterEvent, isOrderEvent, parseEvent, toSnapshot, type ClusterEvent, type ClusterState } from '../../../src/state/index.js';

// The journal stores events and snapshots as msgpack; read them back the same way.
const packr = new Packr({ useRecords: false });
const throughJournal = <T>(value: T): unknown => packr.unpack(packr.pack(value)) as unknown;

const Primary = asNodeId('Primary');
const Backup = asNodeId('Backup');
const idToUri = { [Primary]: 'https://primary.example:8443', [Backup]: 'http://10.0.0.2:4444/tandem' };
const setting = { idToUri, activeId: Primary };
const failedAt = { fileEventId: asEventId(1_767_225_600_000_000), position: asJournalPosition(123_456), eventId: asEventId(1_767_225_600_000_042) };

const samples: ClusterEvent[] = [
  { TYPE: 'ClusterNodesAppointed', idToUri, activeId: Primary },
  { TYPE: 'ClusterCouplingPrepared', activeId: Primary },
  { TYPE: 'ClusterCoupled', activeId: Primary },
  { TYPE: 'ClusterPassiveLost', id: Backup },
  { TYPE: 'ClusterActiveNodeShutDown' },
  { TYPE: 'ClusterActiveNodeRestarted' },
  { TYPE: 'ClusterSwitchedOver', activeId: Backup },
  { TYPE: 'ClusterFailedOver', activeId: Backup, lostNodeId: Primary, failedAt },
];

describe('parseEvent: cluster events', () => {
  for (const e of samples) {
    it(`reads ${e.TYPE} back from the journal unchanged`, () => assert.deepEqual(parseEvent(throughJournal(e)), e));
  }

  it('cluster events are told apart from order events', () => {
    for (const e of samples) assert.ok(isClusterEvent(e) && !isOrderEvent(e), e.TYPE);
    assert.equal(isClusterEvent({ TYPE: 'OrderStarted', orderId: 'o' }), false);
  });

  const bad: [string, unknown, string][] = [
    ['three nodes', { TYPE: 'ClusterNodesAppointed', idToUri: { ...idToUri, Third: 'https://third' }, activeId: 'Primary' }, 'idToUri'],
    ['one node', { TYPE: 'ClusterNodesAppointed', idToUri: { Primary: 'https://p' }, activeId: 'Primary' }, 'idToUri'],
    ['an active node that is not appointed', { TYPE: 'ClusterNodesAppointed', idToUri, activeId: 'Other' }, 'activeId'],
    ['a URI that is not a URL', { TYPE: 'ClusterNodesAppointed', idToUri: { ...idToUri, Backup: 'backup:4444' }, activeId: 'Primary' }, 'idToUri.Backup'],
    ['a malformed node id', { TYPE: 'ClusterCoupled', activeId: 'Prim ary' }, 'activeId'],
    ['a missing id', { TYPE: 'ClusterPassiveLost' }, 'id'],
    ['a negative failedAt position', { TYPE: 'ClusterFailedOver', activeId: 'Backup', lostNodeId: 'Primary', failedAt: { ...failedAt, position: -1 } }, 'failedAt.position'],
    ['a failedAt without eventId', { TYPE: 'ClusterFailedOver', activeId: 'Backup', lostNodeId: 'Primary', failedAt: { fileEventId: 0, position: 0 } }, 'failedAt.eventId'],
  ];
  for (const [what, raw, path] of bad) {
    it(`refuses ${what} as JournalCorrupt naming ${path}`, () => {
      assert.throws(
        () => parseEvent(raw),
        (err: unknown) => hasCode(err, 'JournalCorrupt') && err.arguments['path'] === path,
      );
    });
  }
});

describe('snapshot: the cluster state round-trips exactly', () => {
  const clusters: ClusterState[] = [
    { TYPE: 'Empty' },
    { TYPE: 'NodesAppointed', setting },
    { TYPE: 'PreparedToBeCoupled', setting },
    { TYPE: 'Coupled', setting },
    { TYPE: 'PassiveLost', setting },
    { TYPE: 'ActiveShutDown', setting },
    { TYPE: 'SwitchedOver', setting: { idToUri, activeId: Backup } },
    { TYPE: 'FailedOver', setting: { idToUri, activeId: Backup }, failedAt },
  ];
  for (const cluster of clusters) {
    it(cluster.TYPE, () => {
      const s = emptyState();
      s.cluster = cluster;
      s.epoch = asEpoch(3);
      const back = fromSnapshot(toSnapshot(s).map(throughJournal));
      assert.deepStrictEqual(back, s);
      assert.deepEqual(Object.keys(back.cluster.TYPE === 'Empty' ? {} : back.cluster.setting.idToUri), Object.keys(cluster.TYPE === 'Empty' ? {} : cluster.setting.idToUri), 'node order is kept');
    });
  }

  it('refuses a snapshot whose active node is not appointed', () => {
    const meta = { TYPE: 'ControllerMetaSnapshot', lastEventId: 0, epoch: 0, cluster: { TYPE: 'Coupled', setting: { idToUri, activeId: 'Other' } } };
    assert.throws(() => fromSnapshot([meta]), (err: unknown) => hasCode(err, 'JournalCorrupt') && String(err.arguments['problem']).startsWith('cluster.setting.activeId'));
  });
});
