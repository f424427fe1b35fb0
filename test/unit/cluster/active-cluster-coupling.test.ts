import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ActiveCluster, clusterTiming, type ActiveHost, type PeerTransport, type Transport } from '../../../src/cluster/index.js';
import { asEpoch, asNodeId, hasCode, ManualClock, silentLogger, type EventId } from '../../../src/common/index.js';
import type { Journal } from '../../../src/journal/index.js';
import { emptyState, type ClusterState, type ControllerState, type Event } from '../../../src/state/index.js';

const setting = { idToUri: { Primary: 'https://primary.test:4443', Backup: 'https://backup.test:4443' }, activeId: asNodeId('Primary') };
const prepare = { TYPE: 'ClusterPrepareCoupling', activeId: 'Primary', passiveId: 'Backup', token: 'a1b2c3d4e5f6a7b8c9d0' };

/** An active host whose cluster state the test sets, recording what it would persist. */
function fixture(cluster: ClusterState): { active: ActiveCluster; persisted: Event[]; lost: string[]; setCluster(c: ClusterState): void; release(): void } {
  let state: ControllerState = { ...emptyState(), cluster, epoch: asEpoch(1) };
  const persisted: Event[] = [];
  const lost: string[] = [];
  let release = (): void => undefined;
  const called = new Promise<void>((resolve) => (release = resolve));
  const host: ActiveHost = {
    nodeId: asNodeId('Primary'),
    state: () => state,
    journal: () => ({ lastEventId: 0 as EventId, journalId: 'journal-1' }) as unknown as Journal,
    persist: (events) => void persisted.push(...events),
    whenPublished: async () => undefined,
    acknowledged: () => undefined,
    ackWaitingSince: () => undefined,
    consent: async () => ({ granted: false, reason: 'not in this test' }),
    witnessRegistered: () => true,
    lost: (_epoch, source) => void lost.push(source),
    handedOver: () => false,
    restartUnconfirmed: () => false,
    restartConfirmed: () => undefined,
  };
  const peer = { command: async () => (await called, { TYPE: 'Accepted' }) } as unknown as PeerTransport;
  const transport: Transport = { peer: () => peer, close: async () => undefined };
  const active = new ActiveCluster({ host, journalDir: '/nonexistent', transport, clock: new ManualClock(), logger: silentLogger(), timing: clusterTiming(500, 2_500) });
  return { active, persisted, lost, setCluster: (c) => void (state = { ...state, cluster: c }), release: () => release() };
}

test('a coupling request answered after the active began a planned shutdown is refused, and nothing is persisted', async () => {
  const f = fixture({ TYPE: 'NodesAppointed', setting });
  const answer = f.active.clusterCommand(prepare);
  // While the active calls the backup back, it shuts down (ClusterActiveNodeShutDown was persisted).
  f.setCluster({ TYPE: 'ActiveShutDown', setting });
  f.release();
  await assert.rejects(answer, (e: unknown) => hasCode(e, 'ClusterNotCoupled'));
  assert.deepEqual(f.persisted, []);
});

test('a coupling request that another request of the same passive has completed meanwhile is accepted', async () => {
  const f = fixture({ TYPE: 'NodesAppointed', setting });
  const answer = f.active.clusterCommand(prepare);
  f.setCluster({ TYPE: 'Coupled', setting });
  f.release();
  assert.deepEqual(await answer, { TYPE: 'Accepted' });
  assert.deepEqual(f.persisted, []);
});

test('a coupling request in a state that cannot couple is refused before the backup is called back', async () => {
  const f = fixture({ TYPE: 'ActiveShutDown', setting });
  await assert.rejects(f.active.clusterCommand(prepare), (e: unknown) => hasCode(e, 'ClusterNotCoupled'));
  assert.deepEqual(f.persisted, []);
});

test('a coupling request from the appointed backup is confirmed and prepared', async () => {
  const f = fixture({ TYPE: 'PassiveLost', setting });
  f.release();
  assert.deepEqual(await f.active.clusterCommand(prepare), { TYPE: 'Accepted' });
  assert.deepEqual(f.persisted, [{ TYPE: 'ClusterCouplingPrepared', activeId: 'Primary' }]);
});

test('a journal reader claiming a higher epoch is refused, and the active does not stop acting on that claim', async () => {
  const f = fixture({ TYPE: 'Coupled', setting });
  const frames = f.active.journalFrames({ epoch: asEpoch(2), fileEventId: 0 as EventId, position: 0 }, new AbortController().signal);
  await assert.rejects(frames[Symbol.asyncIterator]().next(), (e: unknown) => hasCode(e, 'ClusterEpochStale'));
  assert.deepEqual(f.lost, []);
});

test('ClusterStartBackupNode in a higher epoch makes the active step down only when it comes from this pair', async () => {
  const f = fixture({ TYPE: 'Coupled', setting });
  const startBackup = (journalId: string, idToUri: Record<string, string>): unknown => ({
    TYPE: 'ClusterStartBackupNode',
    setting: { idToUri, activeId: 'Backup' },
    journalId,
    epoch: 2,
  });
  await assert.rejects(f.active.clusterCommand(startBackup('another-journal', setting.idToUri)), (e: unknown) => hasCode(e, 'JournalIdMismatch'));
  await assert.rejects(f.active.clusterCommand(startBackup('journal-1', { ...setting.idToUri, Backup: 'https://elsewhere.test:4443' })), (e: unknown) => hasCode(e, 'ClusterRoleConflict'));
  assert.deepEqual(f.lost, [], 'nothing changed');
  assert.deepEqual(await f.active.clusterCommand(startBackup('journal-1', setting.idToUri)), { TYPE: 'Accepted' });
  assert.deepEqual(f.lost, ['the new active node']);
});

test('coupling requests and shutdown notices that name other nodes than the pair has are refused, in any cluster state', async () => {
  for (const cluster of [{ TYPE: 'Coupled', setting }, { TYPE: 'PassiveLost', setting }] as const) {
    const f = fixture(cluster);
    f.release();
    await assert.rejects(f.active.clusterCommand({ ...prepare, activeId: 'Nobody', passiveId: 'Evil' }), (e: unknown) => hasCode(e, 'ClusterRoleConflict'), cluster.TYPE);
    await assert.rejects(f.active.clusterCommand({ TYPE: 'ClusterPassiveDown', passiveId: 'Primary' }), (e: unknown) => hasCode(e, 'ClusterRoleConflict'), cluster.TYPE);
    await assert.rejects(f.active.clusterCommand({ TYPE: 'ClusterPassiveDown', passiveId: 'Nobody' }), (e: unknown) => hasCode(e, 'ClusterRoleConflict'), cluster.TYPE);
    assert.deepEqual(f.persisted, [], `${cluster.TYPE}: nothing persisted`);
  }
});
