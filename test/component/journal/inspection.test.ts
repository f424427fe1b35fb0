import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { inspectJournal, journalFileName, verifyJournal } from '../../../src/journal/index.js';
import { event, fingerprint, flipBit, journalOptions, openJournal, tempDir } from './journal-fixture.js';

test('verify and inspect describe a healthy journal of several files', async (t) => {
  const dir = await tempDir(t);
  const { journal } = await openJournal(t, journalOptions(dir, { autoRelease: false }));
  const first = journal.append([event(0), event(1)]);
  await first.committed;
  await journal.rotate();
  const last = journal.append([event(2), event(3), { plain: true }]);
  await last.committed;
  await journal.close();

  const report = await verifyJournal(dir);
  assert.equal(report.ok, true);
  assert.deepEqual(report.problems, []);
  assert.deepEqual(
    report.files.map((f) => [f.name, f.records, f.events, f.firstEventId, f.lastEventId]),
    [
      ['controller--0.journal', 3, 2, first.stamped[0]?.eventId, first.lastEventId],
      [journalFileName(first.lastEventId), 3, 3, last.stamped[0]?.eventId, last.lastEventId],
    ],
  );

  const summary = await inspectJournal(dir);
  assert.equal(summary.journalId, journal.journalId);
  assert.equal(summary.events, 5);
  assert.deepEqual(summary.eventTypes, { '(untyped)': 1, Fizz: 2, Plain: 2 });
  assert.equal(summary.firstEventId, first.stamped[0]?.eventId);
  assert.equal(summary.lastEventId, last.lastEventId);
  assert.deepEqual(summary.files.map((f) => [f.generation, f.snapshotRecords, f.eventRecords]), [[1, 1, 1], [2, 1, 1]]);
});

test('verify names file and offset of a damaged record and changes nothing', async (t) => {
  const dir = await tempDir(t);
  const { journal } = await openJournal(t, journalOptions(dir));
  await journal.append([event(0)]).committed;
  const damaged = journal.position().synced;
  await journal.append([event(1)]).committed;
  await journal.append([event(2)]).committed;
  await journal.close();
  await flipBit(join(dir, 'controller--0.journal'), damaged + 10);
  const before = await fingerprint(dir);
  const report = await verifyJournal(dir);
  assert.equal(report.ok, false);
  assert.deepEqual(report.problems.map((p) => [p.file, p.offset]), [['controller--0.journal', damaged]]);
  assert.match(report.problems[0]?.message ?? '', /checksum/);
  const summary = await inspectJournal(dir);
  assert.equal(summary.problems.length, 1);
  assert.deepEqual(await fingerprint(dir), before);
});

test('verify of a directory without a journal is not ok', async (t) => {
  const dir = await tempDir(t);
  const report = await verifyJournal(dir);
  assert.equal(report.ok, false);
  assert.match(report.problems[0]?.message ?? '', /no journal files/);
});
