import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkAcknowledgedKept,
  checkJournalPrefix,
  checkNoDoubleRun,
  checkNoPhantomOrders,
  checkOneActorPerEpoch,
  checkScheduleTicks,
  checkTornTailsCut,
  checkTrial,
  type CheckResult,
  type TrialEvidence,
} from '../chaos/checkers.js';
import type { ClientEntry, HistoryEntry, NodeName } from '../chaos/history.js';
import { epochEvents, type JournalView } from '../chaos/journals.js';
import { createRng, trialRng } from '../chaos/prng.js';

/*
 * The checkers of `npm run chaos` on small hand-made histories and journals: each passes
 * on a good trial and fails, naming the problem, on one bad in exactly its way.
 */

type Ev = Record<string, unknown> & { TYPE: string };

const T0 = Date.UTC(2026, 11, 7, 12, 0, 0);
const tickId = (ms: number): string => `every-second#${new Date(ms).toISOString()}`;
const fired = (tick: number): Ev[] => [
  { TYPE: 'ScheduleFired', scheduleId: 'every-second', tick },
  { TYPE: 'OrderAdded', orderId: tickId(tick), workflowPath: 'chaos/tick', workflowVersion: 1, arguments: {} },
];
const added = (orderId: string): Ev[] => [{ TYPE: 'OrderAdded', orderId, workflowPath: 'w', workflowVersion: 1, arguments: { id: orderId } }];
const processing = (orderId: string): Ev[] => [{ TYPE: 'OrderProcessingStarted', orderId, attempt: 1 }];

/** A good trial: Primary acts in epoch 0, fails over to Backup (epoch 1), which goes on; the schedule fires every second. */
function goodRecords(): Ev[][] {
  return [
    [{ TYPE: 'ClusterNodesAppointed', idToUri: {}, activeId: 'Primary' }],
    [{ TYPE: 'ScheduleDeployed', schedule: { id: 'every-second', workflowPath: 'chaos/tick', cron: '* * * * * *' }, since: T0 + 200 }],
    added('once-1'),
    processing('once-1'),
    fired(T0 + 1000),
    fired(T0 + 2000),
    [{ TYPE: 'ClusterFailedOver', activeId: 'Backup', lostNodeId: 'Primary', failedAt: { fileEventId: 0, position: 0, eventId: 0 } }],
    added('again-1'),
    processing('again-1'),
    fired(T0 + 3000),
  ];
}

function view(node: NodeName, records: readonly Ev[][], files: Record<string, string> = { 'controller--0.journal': 'abcdef' }, tornFiles: string[] = []): JournalView {
  let id = 1000;
  const stamped = records.map((r) => r.map((event) => ({ eventId: id++, event })));
  const base = { epoch: 0, activeId: 'Primary', orderIds: [] };
  return {
    node,
    files: new Map(Object.entries(files).map(([k, v]) => [k, Buffer.from(v)])),
    base,
    events: epochEvents(stamped, base),
    tornFiles,
    cutFiles: [],
  };
}

let seq = 0;
function request(node: NodeName, op: ClientEntry['op'], orderId: string, outcome: { status: number } | { error: string }): ClientEntry {
  seq += 1;
  return { type: 'client', i: seq, client: 0, node, op, orderId, start: seq * 10, end: seq * 10 + 5, ...outcome };
}

function goodHistory(): HistoryEntry[] {
  return [
    request('Primary', 'AddOrder', 'once-1', { status: 200 }),
    { type: 'nemesis', i: 100, at: 50, fault: 'kill-active', phase: 'apply', detail: 'SIGKILL Primary' },
    request('Primary', 'AddOrder', 'again-0', { error: 'connection refused' }),
    request('Backup', 'AddOrder', 'again-1', { status: 200 }),
    request('Backup', 'CancelOrders', 'once-1', { status: 200 }),
  ];
}

function evidence(over: Partial<TrialEvidence> = {}): TrialEvidence {
  const records = goodRecords();
  return {
    history: goodHistory(),
    marker: ['start once-1 0', 'end once-1', 'start again-1 1'],
    // The backup lags one commit behind: its journal is a prefix.
    journals: [view('Primary', records, { 'controller--0.journal': 'abcdef' }), view('Backup', records.slice(0, -1), { 'controller--0.journal': 'abcd' })],
    scheduleId: 'every-second',
    tickMs: 1000,
    oncePrefix: 'once-',
    tornInjected: { Primary: 0, Backup: 0 },
    healedAt: T0 + 2500,
    ...over,
  };
}

function assertFails(r: CheckResult, pattern: RegExp): void {
  assert.equal(r.ok, false, `${r.check} should fail`);
  assert.ok(
    r.problems.some((p) => pattern.test(p)),
    `${r.check}: no problem matches ${String(pattern)}: ${r.problems.join(' | ')}`,
  );
}

test('a good trial passes every check', () => {
  const results = checkTrial(evidence());
  assert.deepEqual(
    results.filter((r) => !r.ok).map((r) => `${r.check}: ${r.problems.join('; ')}`),
    [],
  );
  assert.equal(results.length, 7);
});

test('(a) acknowledged-kept: an order answered 200 but missing from the final journal fails', () => {
  assert.ok(checkAcknowledgedKept(evidence()).ok);
  const lost = evidence({ history: [...goodHistory(), request('Backup', 'AddOrder', 'again-9', { status: 200 })] });
  const r = checkAcknowledgedKept(lost);
  assertFails(r, /order again-9 was acknowledged by Backup .* not in the final journal/);
  assert.deepEqual(r.orderIds, ['again-9']);
  // An order never answered may be missing: its outcome was unknown.
  assert.ok(checkAcknowledgedKept(evidence({ history: [...goodHistory(), request('Backup', 'AddOrder', 'again-8', { error: 'timeout' })] })).ok);
});

test('(b) no-phantom-orders: an order no client asked for, one added twice, or a tick order outside its firing commit fails', () => {
  assert.ok(checkNoPhantomOrders(evidence()).ok);
  const ghost = [...goodRecords(), added('ghost-1')];
  assertFails(checkNoPhantomOrders(evidence({ journals: [view('Primary', ghost), view('Backup', ghost)] })), /order ghost-1 .* no client asked for it/);
  const twice = [...goodRecords(), added('once-1')];
  assertFails(checkNoPhantomOrders(evidence({ journals: [view('Primary', twice), view('Backup', twice)] })), /order once-1 was added twice/);
  const split = goodRecords();
  split.push([fired(T0 + 4000)[0]!], [fired(T0 + 4000)[1]!]);
  assertFails(checkNoPhantomOrders(evidence({ journals: [view('Primary', split), view('Backup', split)] })), /not added in the commit of its ScheduleFired/);
});

test('(c) no-double-run: a non-restartable job started twice (marker or journal) fails; a restartable one may', () => {
  assert.ok(checkNoDoubleRun(evidence()).ok);
  assertFails(checkNoDoubleRun(evidence({ marker: ['start once-1 0', 'start once-1 1'] })), /once-1 \(not restartable\) started 2 times, in epochs 0, 1/);
  const twice = [...goodRecords(), processing('once-1')];
  assertFails(checkNoDoubleRun(evidence({ journals: [view('Primary', twice), view('Backup', twice)] })), /journal starts the job of once-1 .* 2 times/);
  assert.ok(checkNoDoubleRun(evidence({ marker: ['start again-1 0', 'start again-1 1'] })).ok);
});

test('(d) schedule-ticks: a missing tick, a tick fired twice, a late first tick or no tick after healing fails; a declared skip passes', () => {
  assert.ok(checkScheduleTicks(evidence()).ok);
  const gap = goodRecords().filter((r) => r[0]?.['tick'] !== T0 + 2000);
  assertFails(checkScheduleTicks(evidence({ journals: [view('Primary', gap), view('Backup', gap)] })), /ticks 2026-12-07T12:00:02.000Z … 2026-12-07T12:00:02.000Z never fired/);
  const declared = goodRecords().map((r) => (r[0]?.['tick'] === T0 + 2000 ? [{ TYPE: 'ScheduleTicksSkipped', scheduleId: 'every-second', from: T0 + 2000, to: T0 + 2000, count: 1 }] : r));
  assert.ok(checkScheduleTicks(evidence({ journals: [view('Primary', declared), view('Backup', declared)] })).ok);
  const again = [...goodRecords(), [fired(T0 + 3000)[0]!]];
  assertFails(checkScheduleTicks(evidence({ journals: [view('Primary', again), view('Backup', again)] })), /tick 2026-12-07T12:00:03.000Z fired again/);
  const late = goodRecords().filter((r) => r[0]?.['tick'] !== T0 + 1000);
  assertFails(checkScheduleTicks(evidence({ journals: [view('Primary', late), view('Backup', late)] })), /first tick fired is .*:02.000Z, not .*:01.000Z/);
  const orderless = goodRecords().map((r) => (r[0]?.['tick'] === T0 + 2000 ? [r[0]] : r));
  const r = checkScheduleTicks(evidence({ journals: [view('Primary', orderless), view('Backup', orderless)] }));
  assertFails(r, /tick 2026-12-07T12:00:02.000Z has 0 orders, not one/);
  assertFails(checkScheduleTicks(evidence({ healedAt: T0 + 9000 })), /last tick fired is .* before the pair was healed/);
});

test('(e) one-actor-per-epoch: an acknowledgement or a job start from a node that did not own the epoch, or two versions of an epoch, fails', () => {
  assert.ok(checkOneActorPerEpoch(evidence()).ok);
  // The old primary answered for an order the journal has in the backup's epoch.
  const wrongNode = goodHistory().map((h) => (h.type === 'client' && h.orderId === 'again-1' ? { ...h, node: 'Primary' as const } : h));
  assertFails(checkOneActorPerEpoch(evidence({ history: wrongNode })), /Primary acknowledged order again-1, but it was committed in epoch 1, whose actor is Backup/);
  // A retry of the same id may be answered by either node: the order was there already.
  const retried = [...goodHistory(), request('Primary', 'AddOrder', 'again-1', { status: 200 })];
  assert.ok(checkOneActorPerEpoch(evidence({ history: retried })).ok);
  // A job started in epoch 0 whose start the final journal has only in epoch 1: its start came from an uncommitted (cut) event.
  assertFails(
    checkOneActorPerEpoch(evidence({ marker: ['start once-1 0', 'start again-1 0', 'start again-1 1'] })),
    /job of again-1 started 1 times in epoch 0, but the final journal commits 0 starts/,
  );
  // The backup's journal has another event in epoch 0 than the primary's.
  const other = goodRecords().map((r) => (r[0]?.['orderId'] === 'once-1' && r[0].TYPE === 'OrderAdded' ? added('stale-1') : r));
  assertFails(checkOneActorPerEpoch(evidence({ journals: [view('Primary', goodRecords()), view('Backup', other)] })), /epoch 0 has two versions/);
  // A failover that hands the epoch to the node that already had it.
  const selfFailover = goodRecords().map((r) => (r[0]?.TYPE === 'ClusterFailedOver' ? [{ ...r[0], activeId: 'Primary', lostNodeId: 'Primary' }] : r));
  assertFails(checkOneActorPerEpoch(evidence({ journals: [view('Primary', selfFailover), view('Backup', selfFailover)], history: [] })), /hands epoch 1 to Primary/);
});

test('(f) journal-prefix: files that differ within their common length, or a missing file in the middle, fail', () => {
  assert.ok(checkJournalPrefix(evidence()).ok);
  const records = goodRecords();
  assertFails(
    checkJournalPrefix(evidence({ journals: [view('Primary', records, { 'controller--0.journal': 'abcdef' }), view('Backup', records, { 'controller--0.journal': 'abXd' })] })),
    /controller--0.journal differs between Primary and Backup at byte 2/,
  );
  assertFails(
    checkJournalPrefix(evidence({ journals: [view('Primary', records, { 'controller--0.journal': 'ab' }), view('Backup', records, { 'controller--5.journal': 'ab' })] })),
    /no journal file in common/,
  );
  const three = { 'controller--0.journal': 'a', 'controller--5.journal': 'b', 'controller--9.journal': 'c' };
  const gap = { 'controller--0.journal': 'a', 'controller--9.journal': 'c' };
  assertFails(checkJournalPrefix(evidence({ journals: [view('Primary', records, three), view('Backup', records, gap)] })), /Primary has controller--5.journal, .* Backup lacks it/);
  // Older files deleted after a snapshot on one node, a newer one not yet replicated: fine.
  assert.ok(checkJournalPrefix(evidence({ journals: [view('Primary', records, three), view('Backup', records, { 'controller--5.journal': 'b' })] })).ok);
});

test('(g) torn-tails-cut: a torn tail injected but not kept as a cut-off file fails', () => {
  const records = goodRecords();
  const injected = { Primary: 1, Backup: 0 };
  assertFails(checkTornTailsCut(evidence({ tornInjected: injected })), /Primary got 1 torn tails but kept only 0/);
  const kept = view('Primary', records, undefined, ['controller--0.journal.torn-4711']);
  assert.ok(checkTornTailsCut(evidence({ tornInjected: injected, journals: [kept, view('Backup', records)] })).ok);
});

test('the epoch fold: a switchover and a failover each raise the epoch and name the new actor', () => {
  const events = epochEvents(
    [
      [{ eventId: 1, event: { TYPE: 'ClusterNodesAppointed', activeId: 'Primary' } }],
      [{ eventId: 2, event: { TYPE: 'ClusterSwitchedOver', activeId: 'Backup' } }],
      [
        { eventId: 3, event: { TYPE: 'OrderAdded', orderId: 'x' } },
        { eventId: 4, event: { TYPE: 'ClusterFailedOver', activeId: 'Primary', lostNodeId: 'Backup' } },
      ],
    ],
    { epoch: 0, activeId: 'Primary' },
  );
  assert.deepEqual(
    events.map((e) => [e.eventId, e.record, e.epoch, e.activeId]),
    [
      [1, 0, 0, 'Primary'],
      [2, 1, 1, 'Backup'],
      [3, 2, 1, 'Backup'],
      [4, 2, 2, 'Primary'],
    ],
  );
});

test('a trial stream depends only on the seed, the trial number and the stream name', () => {
  const draw = (seed: number, trial: number, name: string): number[] => {
    const rng = trialRng(seed, trial).fork(name);
    return Array.from({ length: 5 }, () => rng.int(0, 1_000_000));
  };
  assert.deepEqual(draw(7, 3, 'nemesis'), draw(7, 3, 'nemesis'));
  assert.notDeepEqual(draw(7, 3, 'nemesis'), draw(7, 4, 'nemesis'));
  assert.notDeepEqual(draw(7, 3, 'nemesis'), draw(8, 3, 'nemesis'));
  assert.notDeepEqual(draw(7, 3, 'nemesis'), draw(7, 3, 'client-0'));
  const rng = createRng('x');
  for (let k = 0; k < 1000; k++) {
    const n = rng.int(3, 5);
    assert.ok(n >= 3 && n <= 5 && Number.isInteger(n));
  }
});
