import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { createLogger, silentLogger } from '../../../src/common/index.js';
import { lineUpReadModel, MissingEvents, type RecoveredJournal } from '../../../src/controller/read-model-catch-up.js';
import { Journal, listJournal, type StampedEvent } from '../../../src/journal/index.js';
import { ReadModel } from '../../../src/readmodel/index.js';
import { emptyState, toSnapshot } from '../../../src/state/index.js';
import { journalOptions, tempDir } from '../journal/journal-fixture.js';

/** One order's events: added, its job's output, finished. */
const orderEvents = (orderId: string): unknown[] => [
  { TYPE: 'OrderAdded', orderId, workflowPath: 'w', workflowVersion: 1, arguments: {} },
  { TYPE: 'OrderStdWritten', orderId, stream: 'stdout', chunk: `ran-${orderId}\n` },
  { TYPE: 'OrderFinished', orderId },
];

/** A real journal with one record per order; `rotateBefore` starts a new file before that order. */
async function journalWith(t: TestContext, orderIds: readonly string[], rotateBefore?: string): Promise<{ journal: RecoveredJournal; stamped: StampedEvent[] }> {
  const dir = await tempDir(t, 'tandem-journal-');
  const { journal } = await Journal.open(journalOptions(dir, { sync: false, autoRelease: false, snapshot: () => toSnapshot(emptyState()) }));
  const stamped: StampedEvent[] = [];
  for (const orderId of orderIds) {
    if (orderId === rotateBefore) await journal.rotate();
    const ticket = journal.append(orderEvents(orderId));
    await ticket.committed;
    stamped.push(...ticket.stamped);
  }
  const { fileEventId } = journal.position();
  const { lastEventId } = journal;
  await journal.close();
  return { journal: { dir, fileEventId, lastEventId }, stamped };
}

async function readModelIn(t: TestContext): Promise<ReadModel> {
  const model = await ReadModel.open({ dir: join(await tempDir(t, 'tandem-readmodel-'), 'readmodel'), logger: silentLogger() });
  t.after(() => model.close());
  return model;
}

async function logText(model: ReadModel, orderId: string): Promise<string> {
  return (await model.jobLog(orderId)).map((e) => e.chunk).join('');
}

void test('a read model behind the journal gets the events it lacks: job logs and history of every order', async (t) => {
  const { journal, stamped } = await journalWith(t, ['a', 'b', 'c']);
  const model = await readModelIn(t);
  // The process stopped after the read model stored order a only (a SIGKILL, or a read model restored from a copy).
  await model.apply(stamped.slice(0, 3));
  await lineUpReadModel(model, silentLogger(), journal);
  assert.equal(model.lastEventId, journal.lastEventId);
  assert.equal(await logText(model, 'b'), 'ran-b\n');
  assert.equal(await logText(model, 'c'), 'ran-c\n');
  assert.deepEqual((await model.history()).map((h) => h.orderId), ['a', 'b', 'c']);
});

void test('the events replay kept are stored without reading the files again; more than it keeps are read from the files', async (t) => {
  const { journal, stamped } = await journalWith(t, ['a', 'b', 'c']);
  const model = await readModelIn(t);
  await model.apply(stamped.slice(0, 3));
  const missing = new MissingEvents(model.lastEventId);
  for (const s of stamped) missing.add(s);
  assert.equal(missing.events?.length, 6);
  // With the files gone, only what replay kept can fill the read model.
  await rm(journal.dir, { recursive: true });
  await lineUpReadModel(model, silentLogger(), { ...journal, replayed: missing.events });
  assert.deepEqual((await model.history()).map((h) => h.orderId), ['a', 'b', 'c']);

  const many = new MissingEvents(model.lastEventId);
  for (let i = 1; i <= 100_001; i++) many.add({ eventId: (model.lastEventId + i) as typeof model.lastEventId, event: { TYPE: 'OrderStarted', orderId: 'x' } });
  assert.equal(many.events, undefined, 'past the bound nothing is held');
});

void test('a read model ahead of the journal is rebuilt from the journal files: nothing the journal lost is shown', async (t) => {
  // The journal was cut back after order b (fencing): the read model still holds c.
  const longer = await journalWith(t, ['a', 'b', 'c']);
  const { journal } = await journalWith(t, ['a', 'b']);
  const model = await readModelIn(t);
  await model.apply(longer.stamped);
  assert.ok(model.lastEventId > journal.lastEventId);
  // As a node hands it over: replay kept nothing, since no event of the journal is above the read model's.
  assert.equal(journal.fileEventId, 0, 'the journal’s first file, where a reset read model is not behind the file');
  await lineUpReadModel(model, silentLogger(), { ...journal, replayed: [] });
  assert.equal(model.lastEventId, journal.lastEventId);
  assert.deepEqual(await model.jobLog('c'), [], 'no output of an order the journal does not hold');
  assert.deepEqual((await model.history()).map((h) => h.orderId), ['a', 'b']);
  assert.equal(await logText(model, 'b'), 'ran-b\n');
});

void test('the older files a node keeps are read too: an order from before the newest snapshot gets its output', async (t) => {
  // The node stopped after it started a new file but before its read model stored the last events of the old one.
  const { journal, stamped } = await journalWith(t, ['a', 'b', 'c'], 'c');
  assert.equal((await listJournal(journal.dir)).files.length, 2);
  const model = await readModelIn(t);
  await model.apply(stamped.slice(0, 4));
  await lineUpReadModel(model, silentLogger(), journal);
  assert.equal(await logText(model, 'b'), 'ran-b\n');
  assert.deepEqual((await model.history()).map((h) => h.orderId), ['a', 'b', 'c']);
});

void test('events before the oldest file the node keeps stay out; the ones after it are stored', async (t) => {
  const { journal } = await journalWith(t, ['a', 'b', 'c'], 'b');
  const [oldest] = (await listJournal(journal.dir)).files;
  await rm(join(journal.dir, oldest!.name));
  const model = await readModelIn(t);
  await lineUpReadModel(model, silentLogger(), journal);
  assert.deepEqual((await model.history()).map((h) => h.orderId), ['b', 'c']);
  assert.deepEqual(await model.jobLog('a'), []);
});

void test('without a journal a read model is cleared; an empty one is left alone', async (t) => {
  const { stamped } = await journalWith(t, ['a']);
  const model = await readModelIn(t);
  await lineUpReadModel(model, silentLogger(), undefined);
  assert.equal(model.lastEventId, 0);
  await model.apply(stamped);
  await lineUpReadModel(model, silentLogger(), undefined);
  assert.equal(model.lastEventId, 0);
  assert.deepEqual(await model.history(), []);
});

void test('a read model that cannot be written does not keep the node from starting; the log says what it lacks', async (t) => {
  const { journal } = await journalWith(t, ['a']);
  const model = await readModelIn(t);
  model.apply = () => Promise.reject(new Error('the disk is full'));
  const lines: string[] = [];
  await lineUpReadModel(model, createLogger({ destination: { write: (line: string) => void lines.push(line) } }), journal);
  assert.ok(lines.some((l) => l.includes('could not line the read model up with the journal') && l.includes('the disk is full')));
});
