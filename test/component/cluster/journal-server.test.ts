import assert from 'node:assert/strict';
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { serveJournal, type JournalServerOptions } from '../../../src/cluster/index.js';
import { asEpoch, hasCode, systemClock } from '../../../src/common/index.js';
import { Journal, journalFileName, type JournalRecord } from '../../../src/journal/index.js';
import { emptyState, toSnapshot } from '../../../src/state/index.js';
import { allRecords, journalOptions, tempDir } from '../journal/journal-fixture.js';

/** A real journal whose one event record carries bytes that read like a frame header (a length of 8) inside it. */
async function journalWithTrap(t: TestContext): Promise<{ options: JournalServerOptions; records: JournalRecord[] }> {
  const dir = await tempDir(t, 'tandem-serve-');
  const { journal } = await Journal.open(journalOptions(dir, { sync: false, autoRelease: false, snapshot: () => toSnapshot(emptyState()) }));
  t.after(() => journal.close());
  for (let i = 0; i < 3; i++) await journal.append([{ TYPE: 'Note', text: `\u0000\u0000\u0000\u0008${'x'.repeat(40)}-${i}` }]).committed;
  const options: JournalServerOptions = { dir, journal: () => journal, clock: systemClock, heartbeatMs: 60_000, epoch: () => asEpoch(0) };
  return { options, records: await allRecords(dir) };
}

/** The first frame the stream sends for `position` in the first file, or the error it throws before it. */
async function firstFrame(options: JournalServerOptions, position: number): Promise<unknown> {
  const stop = new AbortController();
  try {
    for await (const frame of serveJournal(options, { epoch: asEpoch(0), fileEventId: options.journal().position().fileEventId, position }, stop.signal)) return frame;
    return undefined;
  } catch (err) {
    return err;
  } finally {
    stop.abort();
  }
}

void test('a position inside a record is refused with JournalPositionInvalid before any frame; a record start is served from there', async (t) => {
  const { options, records } = await journalWithTrap(t);
  const last = records.at(-1)!;
  for (let inside = last.position + 1; inside < last.nextPosition; inside += 1) {
    const answer = await firstFrame(options, inside);
    assert.ok(hasCode(answer, 'JournalPositionInvalid'), `position ${inside}, inside the record at ${last.position}: ${String(answer)}`);
  }
  const served = (await firstFrame(options, last.position)) as { TYPE: string; position: number; bytes: Buffer };
  assert.equal(served.TYPE, 'Records');
  assert.equal(served.position, last.position);
  assert.deepEqual(served.bytes, last.raw, 'exactly the record, as the file holds it');
});

void test('a file deleted while the stream reads it (released meanwhile) is read to its end, and the stream goes on with the next file', async (t) => {
  const dir = await tempDir(t, 'tandem-serve-');
  const { journal } = await Journal.open(journalOptions(dir, { sync: false, autoRelease: false, snapshot: () => toSnapshot(emptyState()) }));
  t.after(() => journal.close());
  await journal.append([{ TYPE: 'Note', text: 'in the first file' }]).committed;
  const first = journal.position().fileEventId;
  await journal.rotate();
  await journal.append([{ TYPE: 'Note', text: 'in the second file' }]).committed;
  const second = journal.position().fileEventId;
  const options: JournalServerOptions = { dir, journal: () => journal, clock: systemClock, heartbeatMs: 60_000, epoch: () => asEpoch(0) };
  const stop = new AbortController();
  t.after(() => stop.abort());
  const frames = serveJournal(options, { epoch: asEpoch(0), fileEventId: first, position: 0 }, stop.signal)[Symbol.asyncIterator]();
  const a = (await frames.next()).value as { TYPE: string; fileEventId: number };
  assert.deepEqual([a.TYPE, a.fileEventId], ['Records', first]);
  await unlink(join(dir, journalFileName(first)));
  const b = (await frames.next()).value as { TYPE: string; fileEventId: number; position: number };
  assert.deepEqual([b.TYPE, b.fileEventId, b.position], ['Records', second, 0]);
});
