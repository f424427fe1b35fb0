import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { serveJournal, type JournalFrame } from '../../../src/cluster/index.js';
import { asEpoch, ManualClock, TandemError } from '../../../src/common/index.js';
import { journalFileName, type Journal } from '../../../src/journal/index.js';
import { faultyFiles, journalOptions, openJournal, tempDir, within } from './journal-fixture.js';

/** The journal server on `journal`, from (file, position); the stream is aborted after the test. */
function serve(t: TestContext, dir: string, journal: Journal, position: number): AsyncGenerator<JournalFrame> {
  const reading = new AbortController();
  t.after(() => reading.abort());
  const options = { dir, journal: () => journal, clock: new ManualClock(), heartbeatMs: 60_000, epoch: () => asEpoch(0) };
  return serveJournal(options, { epoch: asEpoch(0), fileEventId: journal.position().fileEventId, position }, reading.signal);
}

async function nextRecords(frames: AsyncGenerator<JournalFrame>): Promise<Extract<JournalFrame, { TYPE: 'Records' }>> {
  const { value } = await within(5_000, 'the next frame', frames.next());
  assert.equal(value?.TYPE, 'Records');
  return value as Extract<JournalFrame, { TYPE: 'Records' }>;
}

/** Whether `promise` has settled, after the promise jobs queued so far ran. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

void test('a batch goes to the passive while it is written, before it is durable, and the file gets the same bytes', async (t) => {
  const dir = await tempDir(t);
  const files = faultyFiles();
  const { journal } = await openJournal(t, journalOptions(dir, { openFile: files.openFile }));
  const start = journal.position().written;
  const frames = serve(t, dir, journal, start);

  let release = (): void => undefined;
  files.holdSyncs(new Promise((resolve) => (release = resolve)));
  const ticket = journal.append([{ TYPE: 'Plain', n: 1 }]);
  const frame = await nextRecords(frames);
  assert.equal(frame.position, start);
  assert.equal(await settled(ticket.committed), false, 'the append is not durable yet');
  assert.equal(journal.committedEventId < ticket.lastEventId, true);

  release();
  await within(5_000, 'the append durable', ticket.committed);
  const file = await readFile(join(dir, journalFileName(frame.fileEventId)));
  assert.deepEqual(file.subarray(start), Buffer.from(frame.bytes), 'what was sent is what the file holds');
});

void test('a batch larger than a frame goes out as frames of whole records', async (t) => {
  const dir = await tempDir(t);
  const files = faultyFiles();
  const { journal } = await openJournal(t, journalOptions(dir, { openFile: files.openFile }));
  const start = journal.position().written;
  const frames = serve(t, dir, journal, start);
  let release = (): void => undefined;
  files.holdSyncs(new Promise((resolve) => (release = resolve)));
  // Three records of about 100 KiB in one batch (appended in one turn); frames hold at most 256 KiB.
  const big = (n: number) => [{ TYPE: 'Plain', n, text: String(n).repeat(100 * 1024) }];
  const tickets = [journal.append(big(1)), journal.append(big(2)), journal.append(big(3))];
  const first = await nextRecords(frames);
  const second = await nextRecords(frames);
  assert.equal(await settled(tickets[2]!.committed), false, 'both frames went out before the batch was durable');
  release();
  await within(5_000, 'the batch durable', tickets[2]!.committed);
  const file = (await readFile(join(dir, journalFileName(first.fileEventId)))).subarray(start);
  assert.equal(second.position, first.position + first.bytes.length);
  assert.ok(first.bytes.length > 200 * 1024 && first.bytes.length <= 256 * 1024, `first frame ${first.bytes.length} bytes`);
  assert.deepEqual(Buffer.concat([first.bytes, second.bytes]), file, 'the frames are the file, cut at a record boundary');
});

void test('a reader asking beyond the end learns where the journal ends', async (t) => {
  const dir = await tempDir(t);
  const { journal } = await openJournal(t, journalOptions(dir));
  await journal.append([{ TYPE: 'Plain', n: 1 }]).committed;
  const end = journal.position().written;
  const frames = serve(t, dir, journal, end + 100);
  await assert.rejects(
    () => frames.next(),
    (err: unknown) =>
      err instanceof TandemError &&
      err.code === 'JournalPositionInvalid' &&
      err.arguments['end'] === end &&
      err.arguments['position'] === end + 100,
  );
});
