import assert from 'node:assert/strict';
import { AssertionError } from 'node:assert';
import { describe, it } from 'node:test';
import { asEpoch, asEventId, asJournalPosition, asNodeId, type NodeId } from '../../../src/common/index.js';
import {
  activeIdOf,
  applyEvent,
  emptyState,
  isCoupled,
  passiveIdOf,
  peerUri,
  requiresAck,
  type ClusterEvent,
  type ClusterEventType,
  type ClusterSetting,
  type ClusterState,
  type ClusterStateType,
  type ControllerState,
  type EventOf,
} from '../../../src/state/index.js';

const Primary = asNodeId('Primary');
const Backup = asNodeId('Backup');
const idToUri = { [Primary]: 'https://primary.example:8443', [Backup]: 'https://backup.example:8443' };
const setting: ClusterSetting = { idToUri, activeId: Primary };
const swapped: ClusterSetting = { idToUri, activeId: Backup };
const failedAt = { fileEventId: asEventId(1000), position: asJournalPosition(4096), eventId: asEventId(1234) };

/** One sample of every cluster state, Primary active. */
const states: { [K in ClusterStateType]: Extract<ClusterState, { TYPE: K }> } = {
  Empty: { TYPE: 'Empty' },
  NodesAppointed: { TYPE: 'NodesAppointed', setting },
  PreparedToBeCoupled: { TYPE: 'PreparedToBeCoupled', setting },
  Coupled: { TYPE: 'Coupled', setting },
  PassiveLost: { TYPE: 'PassiveLost', setting },
  ActiveShutDown: { TYPE: 'ActiveShutDown', setting },
  SwitchedOver: { TYPE: 'SwitchedOver', setting },
  FailedOver: { TYPE: 'FailedOver', setting, failedAt },
};

/** One fitting sample of every cluster event (for a Primary-active state). */
const events: { [K in ClusterEventType]: EventOf<K> } = {
  ClusterNodesAppointed: { TYPE: 'ClusterNodesAppointed', idToUri, activeId: Primary },
  ClusterCouplingPrepared: { TYPE: 'ClusterCouplingPrepared', activeId: Primary },
  ClusterCoupled: { TYPE: 'ClusterCoupled', activeId: Primary },
  ClusterPassiveLost: { TYPE: 'ClusterPassiveLost', id: Backup },
  ClusterActiveNodeShutDown: { TYPE: 'ClusterActiveNodeShutDown' },
  ClusterActiveNodeRestarted: { TYPE: 'ClusterActiveNodeRestarted' },
  ClusterSwitchedOver: { TYPE: 'ClusterSwitchedOver', activeId: Backup },
  ClusterFailedOver: { TYPE: 'ClusterFailedOver', activeId: Backup, lostNodeId: Primary, failedAt },
};

/**
 * The whole transition table: for each event, the states it fits and what it leads
 * to (with the epoch step). Every pair not listed must be refused.
 */
const legal: Record<ClusterEventType, Partial<Record<ClusterStateType, { to: ClusterState; epochStep: 0 | 1 }>>> = {
  ClusterNodesAppointed: { Empty: { to: { TYPE: 'NodesAppointed', setting }, epochStep: 0 } },
  ClusterCouplingPrepared: {
    NodesAppointed: { to: { TYPE: 'PreparedToBeCoupled', setting }, epochStep: 0 },
    PassiveLost: { to: { TYPE: 'PreparedToBeCoupled', setting }, epochStep: 0 },
    SwitchedOver: { to: { TYPE: 'PreparedToBeCoupled', setting }, epochStep: 0 },
    FailedOver: { to: { TYPE: 'PreparedToBeCoupled', setting }, epochStep: 0 },
  },
  ClusterCoupled: { PreparedToBeCoupled: { to: { TYPE: 'Coupled', setting }, epochStep: 0 } },
  ClusterPassiveLost: {
    Coupled: { to: { TYPE: 'PassiveLost', setting }, epochStep: 0 },
    PreparedToBeCoupled: { to: { TYPE: 'PassiveLost', setting }, epochStep: 0 },
  },
  ClusterActiveNodeShutDown: {
    NodesAppointed: { to: { TYPE: 'ActiveShutDown', setting }, epochStep: 0 },
    PreparedToBeCoupled: { to: { TYPE: 'ActiveShutDown', setting }, epochStep: 0 },
    Coupled: { to: { TYPE: 'ActiveShutDown', setting }, epochStep: 0 },
    PassiveLost: { to: { TYPE: 'ActiveShutDown', setting }, epochStep: 0 },
    SwitchedOver: { to: { TYPE: 'ActiveShutDown', setting }, epochStep: 0 },
    FailedOver: { to: { TYPE: 'ActiveShutDown', setting }, epochStep: 0 },
  },
  ClusterActiveNodeRestarted: { ActiveShutDown: { to: { TYPE: 'PassiveLost', setting }, epochStep: 0 } },
  ClusterSwitchedOver: { Coupled: { to: { TYPE: 'SwitchedOver', setting: swapped }, epochStep: 1 } },
  ClusterFailedOver: { Coupled: { to: { TYPE: 'FailedOver', setting: swapped, failedAt }, epochStep: 1 } },
};

function stateWith(cluster: ClusterState, epoch = 7): ControllerState {
  const s = emptyState();
  s.cluster = cluster;
  s.epoch = asEpoch(epoch);
  s.lastEventId = asEventId(100);
  return s;
}

const apply = (s: ControllerState, event: ClusterEvent): ControllerState => applyEvent(s, { eventId: asEventId(s.lastEventId + 1), event });

function refuses(s: ControllerState, event: ClusterEvent): void {
  const before = structuredClone({ cluster: s.cluster, epoch: s.epoch, lastEventId: s.lastEventId });
  assert.throws(
    () => apply(s, event),
    (err: unknown) => err instanceof AssertionError && err.message.includes(JSON.stringify(event)),
  );
  assert.deepEqual({ cluster: s.cluster, epoch: s.epoch, lastEventId: s.lastEventId }, before, 'a refused event changes nothing');
}

describe('cluster events: the full transition table', () => {
  for (const [eventType, event] of Object.entries(events)) {
    const fits = legal[event.TYPE];
    for (const [stateType, from] of Object.entries(states)) {
      const expected = fits[from.TYPE];
      if (expected === undefined) {
        it(`${stateType} refuses ${eventType}`, () => refuses(stateWith(from), event));
      } else {
        it(`${stateType} --${eventType}--> ${expected.to.TYPE}`, () => {
          const s = stateWith(from);
          const result = apply(s, event);
          assert.equal(result, s, 'the same state object comes back');
          assert.deepEqual(s.cluster, expected.to);
          assert.equal(s.epoch, 7 + expected.epochStep, expected.epochStep === 1 ? 'the epoch rises by one' : 'the epoch stays');
          assert.equal(s.lastEventId, 101);
          assert.notEqual(s.cluster, from, 'a new cluster state object');
        });
      }
    }
  }
});

describe('cluster events that name the wrong node are refused', () => {
  const cases: [string, ClusterStateType, ClusterEvent][] = [
    ['couple for the passive node', 'NodesAppointed', { TYPE: 'ClusterCouplingPrepared', activeId: Backup }],
    ['couple for an unknown node', 'PassiveLost', { TYPE: 'ClusterCouplingPrepared', activeId: asNodeId('Other') }],
    ['coupled for the passive node', 'PreparedToBeCoupled', { TYPE: 'ClusterCoupled', activeId: Backup }],
    ['lose the active node as passive', 'Coupled', { TYPE: 'ClusterPassiveLost', id: Primary }],
    ['switch over to the active node itself', 'Coupled', { TYPE: 'ClusterSwitchedOver', activeId: Primary }],
    ['switch over to an unknown node', 'Coupled', { TYPE: 'ClusterSwitchedOver', activeId: asNodeId('Other') }],
    ['fail over from the passive node', 'Coupled', { TYPE: 'ClusterFailedOver', activeId: Primary, lostNodeId: Backup, failedAt }],
    ['fail over naming the active twice', 'Coupled', { TYPE: 'ClusterFailedOver', activeId: Primary, lostNodeId: Primary, failedAt }],
  ];
  for (const [what, from, event] of cases) it(what, () => refuses(stateWith(states[from]), event));

  it('appoint an active node that is not one of the nodes', () => {
    refuses(stateWith(states.Empty), { TYPE: 'ClusterNodesAppointed', idToUri, activeId: asNodeId('Other') });
  });
});

describe('a pair through its life', () => {
  it('appoints, couples, loses and regains the passive, switches over, fails over, shuts down and restarts', () => {
    const s = emptyState();
    const steps: [ClusterEvent, ClusterStateType, NodeId, number][] = [
      [events.ClusterNodesAppointed, 'NodesAppointed', Primary, 0],
      [{ TYPE: 'ClusterCouplingPrepared', activeId: Primary }, 'PreparedToBeCoupled', Primary, 0],
      [{ TYPE: 'ClusterCoupled', activeId: Primary }, 'Coupled', Primary, 0],
      [{ TYPE: 'ClusterPassiveLost', id: Backup }, 'PassiveLost', Primary, 0],
      [{ TYPE: 'ClusterCouplingPrepared', activeId: Primary }, 'PreparedToBeCoupled', Primary, 0],
      [{ TYPE: 'ClusterCoupled', activeId: Primary }, 'Coupled', Primary, 0],
      [{ TYPE: 'ClusterSwitchedOver', activeId: Backup }, 'SwitchedOver', Backup, 1],
      // The new active couples with the old one: the events now name Backup as active.
      [{ TYPE: 'ClusterCouplingPrepared', activeId: Backup }, 'PreparedToBeCoupled', Backup, 1],
      [{ TYPE: 'ClusterCoupled', activeId: Backup }, 'Coupled', Backup, 1],
      [{ TYPE: 'ClusterFailedOver', activeId: Primary, lostNodeId: Backup, failedAt }, 'FailedOver', Primary, 2],
      [{ TYPE: 'ClusterActiveNodeShutDown' }, 'ActiveShutDown', Primary, 2],
      [{ TYPE: 'ClusterActiveNodeRestarted' }, 'PassiveLost', Primary, 2],
      [{ TYPE: 'ClusterCouplingPrepared', activeId: Primary }, 'PreparedToBeCoupled', Primary, 2],
    ];
    for (const [event, type, active, epoch] of steps) {
      apply(s, event);
      assert.equal(s.cluster.TYPE, type, `after ${event.TYPE}`);
      assert.equal(activeIdOf(s.cluster), active, `active after ${event.TYPE}`);
      assert.equal(passiveIdOf(s.cluster), active === Primary ? Backup : Primary);
      assert.equal(s.epoch, epoch, `epoch after ${event.TYPE}`);
    }
    assert.deepEqual(s.cluster.TYPE !== 'Empty' && s.cluster.setting.idToUri, idToUri, 'the URIs never change');
  });
});

describe('cluster rules', () => {
  it('Empty has no nodes', () => {
    const c = states.Empty;
    assert.equal(activeIdOf(c), undefined);
    assert.equal(passiveIdOf(c), undefined);
    assert.equal(isCoupled(c), false);
    assert.equal(requiresAck(c), false, 'a standalone node commits alone');
    assert.equal(peerUri(c, Primary), undefined);
  });

  for (const c of Object.values(states)) {
    if (c.TYPE === 'Empty') continue;
    it(`${c.TYPE}: active, passive, peer`, () => {
      assert.equal(activeIdOf(c), Primary);
      assert.equal(passiveIdOf(c), Backup);
      assert.equal(peerUri(c, Primary), 'https://backup.example:8443');
      assert.equal(peerUri(c, Backup), 'https://primary.example:8443');
      assert.equal(peerUri(c, asNodeId('Other')), undefined, 'a stranger has no peer');
    });
  }

  it('only Coupled needs the passive to acknowledge (the commit rule)', () => {
    const needing = Object.values(states).filter(requiresAck).map((c) => c.TYPE);
    assert.deepEqual(needing, ['Coupled']);
    assert.deepEqual(Object.values(states).filter(isCoupled).map((c) => c.TYPE), ['Coupled']);
  });

  it('the active and passive follow a switchover', () => {
    const c: ClusterState = { TYPE: 'SwitchedOver', setting: swapped };
    assert.equal(activeIdOf(c), Backup);
    assert.equal(passiveIdOf(c), Primary);
  });
});
