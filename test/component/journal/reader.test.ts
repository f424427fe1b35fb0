import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { asEventId } from '../../../src/common/index.js';
import { journalFileName, readRecords, type JournalRecord } from '../../../src/journal/index.js';
import { allRecords, event, flipBit, journalOptions, openJournal, rejectsWith, tempDir, within } from './journal-fixture.js';

async function collect(records: AsyncIterable<JournalRecord>): Promise<JournalRecord[]> {
  const out: JournalRecord[] = [];
  for await (const record of records) out.push(record);
  return out;
}

/** A journal kept over three files: 0 → b1 → b2, four events in each. */
async function threeFiles(t: Parameters<typeof tempDir>[0]): Promise<string> {
  const dir = await tempDir(t);
  const { journal } = await openJournal(t, journalOptions(dir, { autoRelease: false }));
  for (let file = 0; file < 3; file += 1) {
    for (let i = 0; i < 4; i += 1) await journal.append([event(file * 10 + i)]).committed;
    if (file < 2) await journal.rotate();
  }
  await journal.close();
  return dir;
}

test('reading from (file, position) returns exactly the records after it, across rotations', async (t) => {
  const dir = await threeFiles(t);
  const all = await allRecords(dir);
  assert.deepEqual(
    all.map((r) => r.kind).join(' '),
    'header snapshot events events events events header snapshot events events events events header snapshot events events events events',
  );
  for (const [index, from] of all.entries()) {
    const read = await collect(readRecords(dir, { fileEventId: from.fileEventId, position: from.position }));
    assert.deepEqual(read, all.slice(index), `from record ${index}`);
  }
  // The end of a file that has a successor continues in the successor.
  const lastOfFirst = all[5];
  assert.ok(lastOfFirst !== undefined);
  const fromEnd = await collect(readRecords(dir, { fileEventId: lastOfFirst.fileEventId, position: lastOfFirst.nextPosition }));
  assert.deepEqual(fromEnd, all.slice(6));
});

test('raw bytes are the file bytes, so a replica can write them as they come', async (t) => {
  const dir = await threeFiles(t);
  const all = await allRecords(dir);
  for (const record of all) {
    const file = await readFile(join(dir, journalFileName(record.fileEventId)));
    assert.ok(record.raw.equals(file.subarray(record.position, record.nextPosition)));
  }
  const events = all.flatMap((r) => (r.kind === 'events' ? r.body.map((s) => (s.event as { n: number }).n) : []));
  assert.deepEqual(events, [0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23]);
});

test('a position inside a record, past the end, or in a missing file is refused', async (t) => {
  const dir = await threeFiles(t);
  const all = await allRecords(dir);
  const some = all[3];
  assert.ok(some !== undefined);
  const bad = [
    { fileEventId: some.fileEventId, position: some.position + 1 },
    { fileEventId: some.fileEventId, position: 1_000_000 },
    { fileEventId: asEventId(12345), position: 0 },
  ];
  for (const from of bad) {
    const err = await rejectsWith(collect(readRecords(dir, from)), 'JournalPositionInvalid');
    assert.equal(err.arguments['position'], from.position);
  }
});

test('a live reader gets committed records as they come, across a rotation, until aborted', async (t) => {
  const dir = await tempDir(t);
  const { journal } = await openJournal(t, journalOptions(dir));
  await journal.append([event(0)]).committed;
  const start = { fileEventId: journal.position().fileEventId, position: journal.position().synced };
  const abort = new AbortController();
  const seen: number[] = [];
  let sawHeaderOfNewFile = false;
  let enough: () => void = () => undefined;
  const gotAll = new Promise<void>((resolve) => (enough = resolve));
  const reading = (async () => {
    for await (const record of readRecords(dir, start, { live: journal, signal: abort.signal })) {
      if (record.kind === 'header' && record.fileEventId !== start.fileEventId) sawHeaderOfNewFile = true;
      if (record.kind === 'events') seen.push(...record.body.map((s) => (s.event as { n: number }).n));
      if (seen.length === 5) enough();
    }
  })();
  for (let i = 1; i <= 3; i += 1) await journal.append([event(i)]).committed;
  await journal.rotate();
  await journal.append([event(4), event(5)]).committed;
  await within(10_000, 'the live reader to see five events', gotAll);
  abort.abort(new Error('test done'));
  await assert.rejects(reading, /test done/);
  assert.deepEqual(seen, [1, 2, 3, 4, 5]);
  assert.ok(sawHeaderOfNewFile);
});

test('waitForChange resolves on new bytes, rejects on abort and on close', async (t) => {
  const dir = await tempDir(t);
  const { journal } = await openJournal(t, journalOptions(dir));
  const here = { fileEventId: journal.position().fileEventId, position: journal.position().synced };
  const waiting = journal.waitForChange(here, new AbortController().signal);
  await journal.append([event(1)]).committed;
  await waiting;

  const abort = new AbortController();
  const aborted = journal.waitForChange({ ...here, position: journal.position().synced }, abort.signal);
  abort.abort(new Error('reader went away'));
  await assert.rejects(aborted, /reader went away/);

  const closing = rejectsWith(journal.waitForChange({ ...here, position: journal.position().synced }, new AbortController().signal), 'ShuttingDown');
  await journal.close();
  await closing;
});

test('an offline read ends quietly at a torn tail and stops with JournalCorrupt at damage in the middle', async (t) => {
  const dir = await threeFiles(t);
  const all = await allRecords(dir);
  const last = all[all.length - 1];
  const middle = all[all.length - 3];
  assert.ok(last !== undefined && middle !== undefined);
  const newest = join(dir, journalFileName(last.fileEventId));
  await truncate(newest, last.nextPosition - 3);
  assert.deepEqual(await allRecords(dir), all.slice(0, -1));

  await flipBit(newest, middle.position + 9);
  const err = await rejectsWith(allRecords(dir), 'JournalCorrupt');
  assert.deepEqual([err.arguments['file'], err.arguments['offset']], [journalFileName(middle.fileEventId), middle.position]);
});
