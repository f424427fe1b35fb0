import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asEventId, hasCode, silentLogger, type EventId } from '../../../src/common/index.js';
import { ReadModel, type StampedEvent } from '../../../src/readmodel/index.js';

// Realistic ids (epochMillis × 1000 + counter) whose digit counts differ, so unpadded keys would missort.
const BASE = 1_767_225_600_000_000;
const id = (n: number): EventId => asEventId(BASE + n);
const small = (n: number): EventId => asEventId(n);

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-readmodel-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function openModel(t: { after: (fn: () => Promise<void>) => void }, dir: string): Promise<ReadModel> {
  const model = await ReadModel.open({ dir: join(dir, 'readmodel'), logger: silentLogger() });
  t.after(() => model.close());
  return model;
}

const out = (eventId: EventId, orderId: string, stream: 'stdout' | 'stderr', chunk: string): StampedEvent => ({
  eventId,
  event: { TYPE: 'OrderStdWritten', orderId, stream, chunk },
});

const scenario: StampedEvent[] = [
  { eventId: id(1), event: { TYPE: 'OrderAdded', orderId: 'o-1', workflowPath: 'demo/hello', arguments: {} } },
  { eventId: id(2), event: { TYPE: 'OrderAdded', orderId: 'o-10', workflowPath: 'demo/other' } },
  { eventId: id(3), event: { TYPE: 'OrderProcessingStarted', orderId: 'o-1' } },
  out(id(9), 'o-1', 'stdout', 'first\n'),
  out(id(10), 'o-10', 'stdout', 'not mine\n'),
  out(id(11), 'o-1', 'stderr', 'second\n'),
  out(id(100), 'o-1', 'stdout', 'third €\n'),
  { eventId: id(101), event: { TYPE: 'OrderFinished', orderId: 'o-1', outcome: { TYPE: 'Succeeded', returnCode: 0 } } },
  { eventId: id(102), event: { TYPE: 'OrderCancelled', orderId: 'o-unknown' } },
  { eventId: id(1000), event: { TYPE: 'OrderFailed', orderId: 'o-10', outcome: { TYPE: 'Failed', returnCode: 3 } } },
];

void test('job logs list per order in eventId order, and history lists ended orders', async (t) => {
  const model = await openModel(t, await tempDir(t));
  await model.apply(scenario);

  assert.equal(model.lastEventId, id(1000));
  assert.deepEqual(await model.jobLog('o-1'), [
    { eventId: id(9), stream: 'stdout', chunk: 'first\n' },
    { eventId: id(11), stream: 'stderr', chunk: 'second\n' },
    { eventId: id(100), stream: 'stdout', chunk: 'third €\n' },
  ]);
  assert.deepEqual(await model.jobLog('o-10'), [{ eventId: id(10), stream: 'stdout', chunk: 'not mine\n' }]);
  assert.deepEqual(await model.jobLog('o-none'), []);

  assert.deepEqual(await model.jobLog('o-1', { after: id(9), limit: 1 }), [
    { eventId: id(11), stream: 'stderr', chunk: 'second\n' },
  ]);

  assert.deepEqual(await model.history(), [
    { eventId: id(101), orderId: 'o-1', workflowPath: 'demo/hello', outcome: 'Succeeded', state: 'Finished' },
    { eventId: id(102), orderId: 'o-unknown', workflowPath: null, outcome: null, state: 'Cancelled' },
    { eventId: id(1000), orderId: 'o-10', workflowPath: 'demo/other', outcome: 'Failed', state: 'Failed' },
  ]);
  assert.deepEqual(
    (await model.history({ after: id(101), limit: 1 })).map((h) => h.orderId),
    ['o-unknown'],
  );
  assert.deepEqual(await model.history({ limit: 0 }), []);
});

void test('small eventIds of different lengths still sort numerically', async (t) => {
  const model = await openModel(t, await tempDir(t));
  await model.apply([out(small(9), 'o', 'stdout', 'a'), out(small(10), 'o', 'stdout', 'b'), out(small(100), 'o', 'stdout', 'c')]);
  assert.deepEqual((await model.jobLog('o')).map((e) => e.chunk), ['a', 'b', 'c']);
});

void test('order ids with separators or odd characters keep their logs apart', async (t) => {
  const model = await openModel(t, await tempDir(t));
  const ids = ['a', 'a:b', 'a;', 'a%3a', 'ü/x', '\ud800'];
  await model.apply(ids.map((orderId, i) => out(small(i + 1), orderId, 'stdout', orderId)));
  for (const orderId of ids) {
    assert.deepEqual((await model.jobLog(orderId)).map((e) => e.chunk), [orderId], orderId);
  }
});

void test('re-applying events already applied changes nothing', async (t) => {
  const model = await openModel(t, await tempDir(t));
  await model.apply(scenario.slice(0, 6));
  const logBefore = await model.jobLog('o-1');

  // The controller may hand over an overlapping batch after a restart.
  await model.apply(scenario);
  await model.apply(scenario);

  assert.equal(model.lastEventId, id(1000));
  assert.equal((await model.jobLog('o-1')).length, 3);
  assert.equal(logBefore.length, 2);
  assert.deepEqual((await model.jobLog('o-1')).slice(0, 2), logBefore);
  assert.equal((await model.history()).length, 3);

  // An event with an id not above lastEventId is ignored even if new to the model.
  await model.apply([out(id(500), 'o-1', 'stdout', 'late\n')]);
  assert.equal((await model.jobLog('o-1')).length, 3);
});

void test('an order added and ended in one batch has its workflow path in history', async (t) => {
  const model = await openModel(t, await tempDir(t));
  await model.apply([
    { eventId: small(1), event: { TYPE: 'OrderAdded', orderId: 'x', workflowPath: 'w/x' } },
    { eventId: small(2), event: { TYPE: 'OrderFinished', orderId: 'x' } },
  ]);
  assert.deepEqual(await model.history(), [
    { eventId: small(2), orderId: 'x', workflowPath: 'w/x', outcome: null, state: 'Finished' },
  ]);
});

void test('an id reused within one batch keeps each order its own workflow path, and leaves none behind', async (t) => {
  const model = await openModel(t, await tempDir(t));
  const ended = (eventId: EventId, TYPE: string): StampedEvent => ({ eventId, event: { TYPE, orderId: 'x' } });
  await model.apply([{ eventId: small(1), event: { TYPE: 'OrderAdded', orderId: 'x', workflowPath: 'w/old' } }]);
  // The stored order ends, its id is added again for another workflow, and that order ends too: all in one write.
  await model.apply([
    ended(small(2), 'OrderFinished'),
    { eventId: small(3), event: { TYPE: 'OrderAdded', orderId: 'x', workflowPath: 'w/new' } },
    ended(small(4), 'OrderFailed'),
    ended(small(5), 'OrderCancelled'),
  ]);
  // Neither order is stored any more: an end with no OrderAdded before it knows no workflow.
  await model.apply([ended(small(6), 'OrderCancelled')]);
  // Added in one write and ended in a later one: the stored path is found.
  await model.apply([{ eventId: small(7), event: { TYPE: 'OrderAdded', orderId: 'y', workflowPath: 'w/y' } }]);
  await model.apply([{ eventId: small(8), event: { TYPE: 'OrderFinished', orderId: 'y' } }]);
  assert.deepEqual(
    (await model.history()).map((h) => [h.eventId, h.orderId, h.workflowPath, h.state]),
    [
      [2, 'x', 'w/old', 'Finished'],
      [4, 'x', 'w/new', 'Failed'],
      [5, 'x', 'w/new', 'Cancelled'],
      [6, 'x', null, 'Cancelled'],
      [8, 'y', 'w/y', 'Finished'],
    ],
  );
});

void test('malformed and unknown events are skipped but still advance lastEventId', async (t) => {
  const model = await openModel(t, await tempDir(t));
  await model.apply([
    { eventId: small(1), event: { TYPE: 'OrderStdWritten', orderId: 'o', stream: 'stdin', chunk: 'x' } },
    { eventId: small(2), event: 'not an object' },
    { eventId: small(3), event: null },
    { eventId: small(4), event: { TYPE: 'ClusterCoupled' } },
    { eventId: small(5), event: { TYPE: 'OrderAdded', orderId: 7, workflowPath: 'w' } },
    { eventId: small(6), event: { TYPE: 'OrderFinished', orderId: 'o', outcome: 'Succeeded' } },
    { eventId: small(7), event: { TYPE: 'OrderStdWritten', orderId: 'o', stream: 'stdout', chunk: 42 } },
  ]);
  assert.equal(model.lastEventId, small(7));
  assert.deepEqual(await model.jobLog('o'), []);
  assert.deepEqual(await model.history(), []);
});

void test('everything persists across close and open', async (t) => {
  const dir = await tempDir(t);
  const first = await ReadModel.open({ dir: join(dir, 'readmodel'), logger: silentLogger() });
  await first.apply(scenario.slice(0, 4));
  const closing = first.apply(scenario.slice(4));
  await first.close();
  await first.close();
  await closing;

  const second = await openModel(t, dir);
  assert.equal(second.lastEventId, id(1000));
  assert.equal((await second.jobLog('o-1')).length, 3);
  assert.equal((await second.history()).length, 3);
  // The workflow path of a failed (resumable) order was kept on disk.
  await second.apply([{ eventId: id(2000), event: { TYPE: 'OrderFinished', orderId: 'o-10' } }]);
  assert.equal((await second.history({ after: id(1000) }))[0]?.workflowPath, 'demo/other');
});

void test('reset clears everything and the model can be rebuilt', async (t) => {
  const dir = await tempDir(t);
  const model = await openModel(t, dir);
  await model.apply(scenario);
  await model.reset();
  assert.equal(model.lastEventId, asEventId(0));
  assert.deepEqual(await model.jobLog('o-1'), []);
  assert.deepEqual(await model.history(), []);

  await model.apply(scenario.slice(0, 5));
  assert.equal(model.lastEventId, id(10));
  assert.equal((await model.jobLog('o-1')).length, 1);
});

void test('a closed model refuses writes and a second opener is told the directory is held', async (t) => {
  const dir = await tempDir(t);
  const model = await openModel(t, dir);
  await assert.rejects(ReadModel.open({ dir: join(dir, 'readmodel'), logger: silentLogger() }), (err) =>
    hasCode(err, 'JournalLocked'),
  );
  await model.close();
  await assert.rejects(model.apply(scenario), (err) => hasCode(err, 'ShuttingDown'));
});
