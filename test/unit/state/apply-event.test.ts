import assert from 'node:assert/strict';
import { AssertionError } from 'node:assert';
import { describe, it } from 'node:test';
import { asEventId } from '../../../src/common/index.js';
import { applyEvent, emptyState, type ClusterEventType, type ControllerState, type Event, type EventType, type Order } from '../../../src/state/index.js';

const workflow = {
  path: 'w',
  versionId: 1,
  instructions: [{ TYPE: 'Execute' as const, job: { script: 'true' } }],
};
const deployed: Event = { TYPE: 'WorkflowDeployed', workflow };
const added: Event = { TYPE: 'OrderAdded', orderId: 'o', workflowPath: 'w', workflowVersion: 1, arguments: { a: 1 } };
const started: Event = { TYPE: 'OrderStarted', orderId: 'o' };
const processing: Event = { TYPE: 'OrderProcessingStarted', orderId: 'o', attempt: 1 };
const ok = { TYPE: 'Succeeded', returnCode: 0 } as const;
const bad = { TYPE: 'Failed', returnCode: 1, message: 'return code 1 means failure' } as const;
const processed: Event = { TYPE: 'OrderProcessed', orderId: 'o', outcome: ok };
const processedBad: Event = { TYPE: 'OrderProcessed', orderId: 'o', outcome: bad };
const schedule = { id: 's', workflowPath: 'w', cron: '* * * * *', arguments: {} };
const scheduleDeployed: Event = { TYPE: 'ScheduleDeployed', schedule, since: 1000 };
const forked: Event = { TYPE: 'OrderForked', orderId: 'o', children: [{ orderId: 'o|a', branchId: 'a' }] };

function stateAfter(events: readonly Event[]): ControllerState {
  const state = emptyState();
  events.forEach((event, i) => applyEvent(state, { eventId: asEventId(i + 1), event }));
  return state;
}

const order = (s: ControllerState, id = 'o'): Order => {
  const o = s.orders.get(id);
  assert.ok(o, `order ${id} exists`);
  return o;
};

interface Row {
  readonly given: readonly Event[];
  readonly event: Event;
  readonly expect: (s: ControllerState) => void;
}

// One row (at least) per event type; `satisfies` makes the compiler insist every type is covered.
const rows = {
  WorkflowDeployed: {
    given: [],
    event: deployed,
    expect: (s) => assert.deepEqual(s.workflows.get('w')?.get(1), workflow),
  },
  ScheduleDeployed: {
    given: [deployed],
    event: scheduleDeployed,
    expect: (s) => assert.deepEqual(s.schedules.get('s'), { schedule, lastTick: 1000 }),
  },
  ScheduleDeleted: {
    given: [deployed, scheduleDeployed],
    event: { TYPE: 'ScheduleDeleted', scheduleId: 's' },
    expect: (s) => assert.equal(s.schedules.has('s'), false),
  },
  ScheduleFired: {
    given: [deployed, scheduleDeployed],
    event: { TYPE: 'ScheduleFired', scheduleId: 's', tick: 60_000 },
    expect: (s) => assert.equal(s.schedules.get('s')?.lastTick, 60_000),
  },
  ScheduleTicksSkipped: {
    given: [deployed, scheduleDeployed],
    event: { TYPE: 'ScheduleTicksSkipped', scheduleId: 's', from: 60_000, to: 120_000, count: 2 },
    expect: (s) => assert.equal(s.schedules.get('s')?.lastTick, 1000),
  },
  OrderAdded: {
    given: [deployed],
    event: { ...added, scheduledFor: 5 } as Event,
    expect: (s) =>
      assert.deepEqual(order(s), {
        id: 'o',
        workflowPath: 'w',
        workflowVersion: 1,
        arguments: { a: 1 },
        scheduledFor: 5,
        position: [0],
        state: { TYPE: 'Fresh' },
        outcomes: [],
        attempt: 0,
      }),
  },
  OrderStarted: { given: [deployed, added], event: started, expect: (s) => assert.equal(order(s).state.TYPE, 'Ready') },
  OrderProcessingStarted: {
    given: [deployed, added, started],
    event: processing,
    expect: (s) => {
      assert.equal(order(s).state.TYPE, 'Processing');
      assert.equal(order(s).attempt, 1);
    },
  },
  OrderStdWritten: {
    given: [deployed, added, started, processing],
    event: { TYPE: 'OrderStdWritten', orderId: 'o', stream: 'stdout', chunk: 'hi\n' },
    expect: (s) => assert.equal(order(s).state.TYPE, 'Processing'),
  },
  OrderProcessed: {
    given: [deployed, added, started, processing],
    event: processed,
    expect: (s) => {
      assert.equal(order(s).state.TYPE, 'Processed');
      assert.deepEqual(order(s).outcomes, [ok]);
    },
  },
  OrderOutcomeAdded: {
    given: [deployed, added, started],
    event: { TYPE: 'OrderOutcomeAdded', orderId: 'o', outcome: bad },
    expect: (s) => assert.deepEqual(order(s).outcomes, [bad]),
  },
  OrderMoved: {
    given: [deployed, added, started, processing, processed],
    event: { TYPE: 'OrderMoved', orderId: 'o', to: [1] },
    expect: (s) => {
      assert.deepEqual(order(s).position, [1]);
      assert.equal(order(s).state.TYPE, 'Ready');
      assert.equal(order(s).attempt, 0);
    },
  },
  OrderForked: {
    given: [deployed, added, started],
    event: forked,
    expect: (s) => {
      assert.deepEqual(order(s).state, { TYPE: 'Waiting', reason: { TYPE: 'Forked', children: [{ orderId: 'o|a', branchId: 'a' }] } });
      assert.deepEqual(order(s, 'o|a').position, [0, 'fork+a', 0]);
      assert.equal(order(s, 'o|a').state.TYPE, 'Ready');
    },
  },
  OrderJoined: {
    given: [deployed, added, started, forked, { TYPE: 'OrderFinished', orderId: 'o|a' }],
    event: { TYPE: 'OrderJoined', orderId: 'o', outcome: ok },
    expect: (s) => {
      assert.equal(order(s).state.TYPE, 'Processed');
      assert.equal(s.orders.has('o|a'), false);
    },
  },
  OrderRetrying: {
    given: [deployed, added, started, processing, processedBad],
    event: { TYPE: 'OrderRetrying', orderId: 'o', to: [0, 'retry', 0], delayedUntil: 99 },
    expect: (s) => {
      assert.deepEqual(order(s).state, { TYPE: 'Waiting', reason: { TYPE: 'DelayedAfterError', until: 99 } });
      assert.deepEqual(order(s).retries, [{ position: [0], tries: 2 }]);
    },
  },
  OrderAwoke: {
    given: [deployed, added, started, processing, processedBad, { TYPE: 'OrderRetrying', orderId: 'o', to: [0, 'retry', 0], delayedUntil: 99 }],
    event: { TYPE: 'OrderAwoke', orderId: 'o' },
    expect: (s) => assert.equal(order(s).state.TYPE, 'Ready'),
  },
  OrderCaught: {
    given: [deployed, added, started, processing, processedBad],
    event: { TYPE: 'OrderCaught', orderId: 'o', to: [0, 'catch', 0], outcome: bad },
    expect: (s) => {
      assert.deepEqual(order(s).position, [0, 'catch', 0]);
      assert.equal(order(s).state.TYPE, 'Ready');
      assert.deepEqual(order(s).outcomes, [bad], 'the outcome is not recorded twice');
    },
  },
  OrderFailed: {
    given: [deployed, added, started, processing, processedBad],
    event: { TYPE: 'OrderFailed', orderId: 'o', outcome: bad },
    expect: (s) => assert.equal(order(s).state.TYPE, 'Failed'),
  },
  OrderFinished: {
    given: [deployed, added, started, processing, processed, { TYPE: 'OrderMoved', orderId: 'o', to: [1] }],
    event: { TYPE: 'OrderFinished', orderId: 'o' },
    expect: (s) => {
      assert.equal(order(s).state.TYPE, 'Finished');
      assert.equal(order(s).endedAt, 1000, 'the retention counts from the ending EventId');
    },
  },
  OrderRestarted: {
    given: [deployed, added, started, processing, { TYPE: 'OrderProcessed', orderId: 'o', outcome: { TYPE: 'Disrupted', reason: 'x' } }],
    event: { TYPE: 'OrderRestarted', orderId: 'o' },
    expect: (s) => {
      assert.equal(order(s).state.TYPE, 'Ready');
      assert.equal(order(s).attempt, 1, 'the next start counts on from the disrupted attempt');
    },
  },
  OrderCancellationMarked: {
    given: [deployed, added, started, processing],
    event: { TYPE: 'OrderCancellationMarked', orderId: 'o' },
    expect: (s) => assert.equal(order(s).mark, 'cancel'),
  },
  OrderCancelled: {
    given: [deployed, added],
    event: { TYPE: 'OrderCancelled', orderId: 'o' },
    expect: (s) => {
      assert.equal(order(s).state.TYPE, 'Cancelled');
      assert.equal(order(s).endedAt, 1000);
    },
  },
  OrderSuspensionMarked: {
    given: [deployed, added, started, processing],
    event: { TYPE: 'OrderSuspensionMarked', orderId: 'o' },
    expect: (s) => assert.equal(order(s).mark, 'suspend'),
  },
  OrderSuspended: {
    given: [deployed, added, started],
    event: { TYPE: 'OrderSuspended', orderId: 'o' },
    expect: (s) => assert.deepEqual(order(s).state, { TYPE: 'Suspended' }),
  },
  OrderResumptionMarked: {
    given: [deployed, added, started, processing, { TYPE: 'OrderSuspensionMarked', orderId: 'o' }],
    event: { TYPE: 'OrderResumptionMarked', orderId: 'o' },
    expect: (s) => assert.equal(order(s).mark, undefined),
  },
  OrderResumed: {
    given: [deployed, added, started, { TYPE: 'OrderSuspended', orderId: 'o' }],
    event: { TYPE: 'OrderResumed', orderId: 'o' },
    expect: (s) => assert.equal(order(s).state.TYPE, 'Ready'),
  },
  OrderDeleted: {
    given: [deployed, added, { TYPE: 'OrderCancelled', orderId: 'o' }],
    event: { TYPE: 'OrderDeleted', orderId: 'o' },
    expect: (s) => assert.equal(s.orders.has('o'), false, 'the order left the state'),
  },
  // Cluster events have their own table in cluster-apply-event.test.ts.
} satisfies Record<Exclude<EventType, ClusterEventType>, Row>;

describe('applyEvent: every event type', () => {
  for (const [type, row] of Object.entries(rows)) {
    it(type, () => {
      const state = stateAfter(row.given);
      const before = state.orders.get('o');
      const result = applyEvent(state, { eventId: asEventId(1000), event: row.event });
      assert.equal(result, state, 'the same state object comes back');
      assert.equal(state.lastEventId, 1000);
      row.expect(state);
      if (before !== undefined && type !== 'OrderStdWritten') {
        assert.notEqual(state.orders.get('o'), before, 'a changed order is a new object');
      }
    });
  }
});

describe('applyEvent: events that do not fit are assertions', () => {
  const cases: [string, readonly Event[], Event][] = [
    ['unknown order', [deployed], started],
    ['order added twice', [deployed, added], added],
    ['unknown workflow version', [deployed], { ...added, workflowVersion: 2 } as Event],
    ['start a Ready order', [deployed, added, started], started],
    ['process a Fresh order', [deployed, added], processing],
    ['finish a Processing order', [deployed, added, started, processing], { TYPE: 'OrderFinished', orderId: 'o' }],
    ['join with a child still running', [deployed, added, started, forked], { TYPE: 'OrderJoined', orderId: 'o', outcome: ok }],
    ['cancel a Processing order directly', [deployed, added, started, processing], { TYPE: 'OrderCancelled', orderId: 'o' }],
    ['mark a Ready order', [deployed, added, started], { TYPE: 'OrderCancellationMarked', orderId: 'o' }],
    ['delete a Processing order', [deployed, added, started, processing], { TYPE: 'OrderDeleted', orderId: 'o' }],
    ['delete a Failed order (it may be resumed)', [deployed, added, started, processing, processedBad, { TYPE: 'OrderFailed', orderId: 'o', outcome: bad }], { TYPE: 'OrderDeleted', orderId: 'o' }],
    [
      'delete a cancelled fork child before its join',
      [deployed, added, started, forked, { TYPE: 'OrderCancelled', orderId: 'o|a' }],
      { TYPE: 'OrderDeleted', orderId: 'o|a' },
    ],
    ['delete an unknown order', [deployed], { TYPE: 'OrderDeleted', orderId: 'o' }],
    ['unknown schedule', [deployed], { TYPE: 'ScheduleFired', scheduleId: 'x', tick: 1 }],
    ['tick not after the last', [deployed, scheduleDeployed], { TYPE: 'ScheduleFired', scheduleId: 's', tick: 1000 }],
    ['workflow version not newer', [deployed], deployed],
  ];
  for (const [name, given, event] of cases) {
    it(name, () => {
      const state = stateAfter(given);
      assert.throws(
        () => applyEvent(state, { eventId: asEventId(1000), event }),
        (err: unknown) => err instanceof AssertionError && err.message.includes(JSON.stringify(event)),
      );
    });
  }

  it('an eventId that is not after the last', () => {
    const state = stateAfter([deployed]);
    assert.throws(() => applyEvent(state, { eventId: asEventId(1), event: added }), AssertionError);
  });
});

describe('applyEvent: workflow versions', () => {
  it('drops old versions once no unfinished order runs them', () => {
    const v2: Event = { TYPE: 'WorkflowDeployed', workflow: { ...workflow, versionId: 2 } };
    const v3: Event = { TYPE: 'WorkflowDeployed', workflow: { ...workflow, versionId: 3 } };
    const s = stateAfter([deployed, added, v2]);
    assert.deepEqual([...(s.workflows.get('w')?.keys() ?? [])], [1, 2], 'v1 stays: order o runs it');
    applyEvent(s, { eventId: asEventId(100), event: { TYPE: 'OrderCancelled', orderId: 'o' } });
    applyEvent(s, { eventId: asEventId(101), event: v3 });
    assert.deepEqual([...(s.workflows.get('w')?.keys() ?? [])], [3]);
  });
});
