import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { asEpoch, asEventId, asJournalPosition, asNodeId, hasCode } from '../../../src/common/index.js';
import {
  emptyState,
  fromSnapshot,
  toSnapshot,
  type ClusterState,
  type ControllerState,
  type Instruction,
  type Order,
  type Outcome,
  type Position,
  type Schedule,
  type Workflow,
} from '../../../src/state/index.js';
import { Simulator, execute, exit } from '../workflow/simulator.js';

// The journal stores snapshot records as msgpack; round-trip through the same encoding.
const packr = new Packr({ useRecords: false });
const throughJournal = (records: unknown[]): unknown[] => records.map((r) => packr.unpack(packr.pack(r)) as unknown);

const name = fc.stringMatching(/^[a-z_][a-z0-9_]{0,6}$/);
const text = fc.string({ maxLength: 12 });
// No -0: msgpack stores it as 0, so commands normalise it before it reaches the state.
const double = fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (n === 0 ? 0 : n));
const argValue = fc.oneof(text, fc.integer(), double, fc.boolean());
const args = fc.dictionary(name, argValue, { maxKeys: 3, noNullPrototype: true });
const rc = fc.integer({ min: -1, max: 255 });

const outcome: fc.Arbitrary<Outcome> = fc.oneof(
  rc.map((returnCode): Outcome => ({ TYPE: 'Succeeded', returnCode })),
  fc.record({ TYPE: fc.constant('Failed' as const), returnCode: rc, message: text }, { requiredKeys: ['TYPE', 'message'], noNullPrototype: true }),
  text.map((reason): Outcome => ({ TYPE: 'Disrupted', reason })),
  fc.constant<Outcome>({ TYPE: 'Cancelled' }),
);

const branch = fc.oneof(fc.constantFrom('then', 'else', 'try', 'catch', 'retry'), name.map((n) => `fork+${n}`));
const position: fc.Arbitrary<Position> = fc
  .tuple(fc.nat(9), fc.array(fc.tuple(branch, fc.nat(9)), { maxLength: 3 }))
  .map(([first, rest]) => [first, ...rest.flat()]);

const orderState: fc.Arbitrary<Order['state']> = fc.oneof(
  fc.constantFrom<Order['state']>(
    { TYPE: 'Fresh' },
    { TYPE: 'Ready' },
    { TYPE: 'Processing' },
    { TYPE: 'Processed' },
    { TYPE: 'Suspended' },
    { TYPE: 'Suspended', fresh: true },
    { TYPE: 'Failed' },
    { TYPE: 'Disrupted' },
    { TYPE: 'Finished' },
    { TYPE: 'Cancelled' },
  ),
  fc.nat().map((until): Order['state'] => ({ TYPE: 'Waiting', reason: { TYPE: 'DelayedAfterError', until } })),
  fc
    .array(fc.record({ orderId: name, branchId: name }, { noNullPrototype: true }), { maxLength: 3 })
    .map((children): Order['state'] => ({ TYPE: 'Waiting', reason: { TYPE: 'Forked', children } })),
);

const order = (id: string): fc.Arbitrary<Order> =>
  fc.record(
    {
      id: fc.constant(id),
      workflowPath: name,
      workflowVersion: fc.integer({ min: 1, max: 5 }),
      arguments: args,
      scheduledFor: fc.nat(),
      position,
      state: orderState,
      outcomes: fc.array(outcome, { maxLength: 3 }),
      attempt: fc.nat(5),
      mark: fc.constantFrom('cancel' as const, 'suspend' as const),
      parentId: name,
      branchId: name,
      retries: fc.array(fc.record({ position, tries: fc.integer({ min: 2, max: 9 }) }, { noNullPrototype: true }), { minLength: 1, maxLength: 2 }),
    },
    { requiredKeys: ['id', 'workflowPath', 'workflowVersion', 'arguments', 'position', 'state', 'outcomes', 'attempt'], noNullPrototype: true },
  );

const instruction: fc.Arbitrary<Instruction> = fc.letrec<{ one: Instruction; list: Instruction[] }>((tie) => ({
  one: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ TYPE: fc.constant('Execute' as const), job: fc.record({ script: fc.string({ minLength: 1, maxLength: 8 }), env: fc.dictionary(name, text, { maxKeys: 2, noNullPrototype: true }), timeout: fc.constant('30s'), restartable: fc.boolean() }, { requiredKeys: ['script'], noNullPrototype: true }) }, { noNullPrototype: true }),
    fc.record({ TYPE: fc.constant('If' as const), predicate: fc.constant('$x == 1'), then: tie('list'), else: tie('list') }, { requiredKeys: ['TYPE', 'predicate', 'then'], noNullPrototype: true }),
    fc.record({ TYPE: fc.constant('TryCatch' as const), try: tie('list'), catch: tie('list') }, { noNullPrototype: true }),
    fc.record({ TYPE: fc.constant('Retry' as const), maxTries: fc.integer({ min: 1, max: 5 }), instructions: tie('list') }, { noNullPrototype: true }),
    fc.record({ TYPE: fc.constant('Fork' as const), branches: fc.array(fc.record({ id: name, instructions: tie('list') }, { noNullPrototype: true }), { minLength: 1, maxLength: 2 }) }, { noNullPrototype: true }),
    fc.record({ TYPE: fc.constant('Fail' as const), message: text }, { requiredKeys: ['TYPE'], noNullPrototype: true }),
    fc.constant<Instruction>({ TYPE: 'Finish' }),
  ),
  list: fc.array(tie('one'), { minLength: 1, maxLength: 3 }),
})).one;

const workflow = (path: string, versionId: number): fc.Arbitrary<Workflow> =>
  fc.array(instruction, { minLength: 1, maxLength: 3 }).map((instructions) => ({ path, versionId, instructions }));

const schedule = (id: string): fc.Arbitrary<{ schedule: Schedule; lastTick: number }> =>
  fc.record({ schedule: fc.record({ id: fc.constant(id), workflowPath: name, cron: fc.constant('*/5 * * * *'), arguments: args }, { noNullPrototype: true }), lastTick: fc.nat() }, { noNullPrototype: true });

const nodeIds = fc.uniqueArray(fc.stringMatching(/^[A-Za-z0-9_-]{1,8}$/), { minLength: 2, maxLength: 2 });
const nodeUri = fc
  .tuple(fc.constantFrom('http', 'https'), fc.domain(), fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }), fc.constantFrom('', '/', '/tandem'))
  .map(([scheme, host, port, path]) => `${scheme}://${host}${port === undefined ? '' : `:${port}`}${path}`);
const bigNat = fc.maxSafeNat();
const clusterState: fc.Arbitrary<ClusterState> = fc.oneof(
  fc.constant<ClusterState>({ TYPE: 'Empty' }),
  fc
    .tuple(
      nodeIds,
      fc.tuple(nodeUri, nodeUri),
      fc.boolean(),
      fc.constantFrom('NodesAppointed', 'PreparedToBeCoupled', 'Coupled', 'PassiveLost', 'ActiveShutDown', 'SwitchedOver', 'FailedOver'),
      fc.tuple(bigNat, bigNat, bigNat),
    )
    .map(([[a = 'A', b = 'B'], [uriA, uriB], firstActive, TYPE, [fileEventId, position, eventId]]): ClusterState => {
      const setting = { idToUri: { [asNodeId(a)]: uriA, [asNodeId(b)]: uriB }, activeId: asNodeId(firstActive ? a : b) };
      if (TYPE !== 'FailedOver') return { TYPE, setting };
      return { TYPE, setting, failedAt: { fileEventId: asEventId(fileEventId), position: asJournalPosition(position), eventId: asEventId(eventId) } };
    }),
);

/** One value from each arbitrary, in order. */
function all<T>(arbs: readonly fc.Arbitrary<T>[]): fc.Arbitrary<T[]> {
  return arbs.reduce<fc.Arbitrary<T[]>>((acc, a) => acc.chain((xs) => a.map((x) => [...xs, x])), fc.constant([]));
}

const state: fc.Arbitrary<ControllerState> = fc
  .record({
    workflows: fc
      .uniqueArray(fc.tuple(name, fc.integer({ min: 1, max: 3 })), { maxLength: 4, selector: ([p, v]) => `${p}@${v}` })
      .chain((keys) => all(keys.map(([p, v]) => workflow(p, v)))),
    orders: fc.uniqueArray(name, { maxLength: 6 }).chain((ids) => all(ids.map(order))),
    schedules: fc.uniqueArray(name, { maxLength: 3 }).chain((ids) => all(ids.map(schedule))),
    lastEventId: fc.nat(),
    epoch: fc.nat(100),
    cluster: clusterState,
  })
  .map((r) => {
    const s = emptyState();
    for (const w of r.workflows) {
      const versions = s.workflows.get(w.path) ?? new Map<number, Workflow>();
      versions.set(w.versionId, w);
      s.workflows.set(w.path, versions);
    }
    for (const o of r.orders) s.orders.set(o.id, o);
    for (const sc of r.schedules) s.schedules.set(sc.schedule.id, sc);
    s.lastEventId = asEventId(r.lastEventId);
    s.epoch = asEpoch(r.epoch);
    s.cluster = r.cluster;
    return s;
  });

describe('snapshot', () => {
  it('round-trips generated states exactly (through msgpack, as the journal stores them)', () => {
    fc.assert(
      fc.property(state, (s) => {
        const back = fromSnapshot(throughJournal(toSnapshot(s)));
        assert.deepStrictEqual(back, s);
        assert.deepEqual([...back.orders.keys()], [...s.orders.keys()], 'order sequence is kept');
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips a state reached by running workflows', () => {
    const sim = new Simulator();
    sim.deploy('w', [
      { TYPE: 'Fork', branches: [{ id: 'a', instructions: [execute('a')] }, { id: 'b', instructions: [{ TYPE: 'Retry', maxTries: 3, retryDelays: ['1m'], instructions: [execute('b')] }] }] },
    ]);
    sim.command({ TYPE: 'DeploySchedule', schedule: { id: 'nightly', workflowPath: 'w', cron: '0 2 * * *' } });
    sim.addOrder('p', 'w', { x: 1, y: 'z', ok: true });
    sim.addOrder('later', 'w', {}, sim.now + 3_600_000);
    sim.runJobs((j) => exit(j.script === 'b' ? 1 : 0));
    assert.equal(sim.order('p|b').state.TYPE, 'Waiting');
    const back = fromSnapshot(throughJournal(toSnapshot(sim.state)));
    assert.deepStrictEqual(back, sim.state);
  });

  it('an empty state round-trips', () => {
    assert.deepStrictEqual(fromSnapshot(throughJournal(toSnapshot(emptyState()))), emptyState());
  });

  const bad: [string, unknown[]][] = [
    ['no meta record', []],
    ['unknown record TYPE', [{ TYPE: 'ControllerMetaSnapshot', lastEventId: 0, cluster: { TYPE: 'Empty' }, epoch: 0 }, { TYPE: 'Nope' }]],
    ['an order without a state', [{ TYPE: 'ControllerMetaSnapshot', lastEventId: 0, cluster: { TYPE: 'Empty' }, epoch: 0 }, { TYPE: 'OrderSnapshot', order: { id: 'o' } }]],
    ['a malformed position', [
      { TYPE: 'ControllerMetaSnapshot', lastEventId: 0, cluster: { TYPE: 'Empty' }, epoch: 0 },
      { TYPE: 'OrderSnapshot', order: { id: 'o', workflowPath: 'w', workflowVersion: 1, arguments: {}, position: [0, 'sideways', 1], state: { TYPE: 'Ready' }, outcomes: [], attempt: 0 } },
    ]],
    ['an unknown cluster state', [{ TYPE: 'ControllerMetaSnapshot', lastEventId: 0, cluster: { TYPE: 'Coupled?' }, epoch: 0 }]],
    ['two meta records', [
      { TYPE: 'ControllerMetaSnapshot', lastEventId: 0, cluster: { TYPE: 'Empty' }, epoch: 0 },
      { TYPE: 'ControllerMetaSnapshot', lastEventId: 0, cluster: { TYPE: 'Empty' }, epoch: 0 },
    ]],
    ['not an object', [42]],
  ];
  for (const [what, records] of bad) {
    it(`refuses ${what} with JournalCorrupt`, () => {
      assert.throws(() => fromSnapshot(records), (err: unknown) => hasCode(err, 'JournalCorrupt'));
    });
  }
});
