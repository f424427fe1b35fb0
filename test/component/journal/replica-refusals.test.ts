import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { open } from 'node:fs/promises';
import { asEventId, ManualClock, silentLogger, type EventId } from '../../../src/common/index.js';
import {
  encodeFrame,
  Journal,
  JournalReplica,
  type JournalFileHandle,
  type JournalRecord,
  type OpenJournalFile,
  type ReplicaOptions,
} from '../../../src/journal/index.js';
import { allRecords, event, fingerprint, header, journalOptions, rejectsWith, tempDir, within } from './journal-fixture.js';

/** A small real journal: one file of a header, a snapshot record and six event records. */
async function sourceRecords(t: TestContext): Promise<{ records: readonly JournalRecord[]; journalId: string; lastEventId: EventId }> {
  const dir = await tempDir(t, 'tandem-source-');
  const { journal } = await Journal.open(journalOptions(dir, { sync: false }));
  for (let i = 0; i < 6; i += 1) await journal.append([event(i)]).committed;
  const { journalId, lastEventId } = journal;
  await journal.close();
  return { records: await allRecords(dir), journalId, lastEventId };
}

function bytesOf(records: readonly JournalRecord[]): Buffer {
  return Buffer.concat(records.map((r) => r.raw));
}

/** A replica holding the first `held` records of the source, with a count of its write and fdatasync calls. */
async function replicaHolding(t: TestContext, records: readonly JournalRecord[], held: number, overrides: Partial<ReplicaOptions> = {}) {
  const dir = await tempDir(t, 'tandem-replica-');
  const io = { writes: 0, syncs: 0, failSyncs: false, gate: undefined as Promise<void> | undefined };
  const openFile: OpenJournalFile = async (path, flags) => {
    const handle = await open(path, flags);
    const counted: JournalFileHandle = {
      write: (buffer, offset, length, position) => {
        io.writes += 1;
        return handle.write(buffer, offset, length, position);
      },
      datasync: async () => {
        if (io.failSyncs) throw new Error('EIO: injected');
        io.syncs += 1;
        await io.gate;
        await handle.datasync();
      },
      close: () => handle.close(),
    };
    return counted;
  };
  const options = { dir, sync: true, clock: new ManualClock(), logger: silentLogger(), openFile, ...overrides };
  const { replica } = await JournalReplica.open(options);
  t.after(() => replica.close());
  const first = records[0];
  if (held > 0 && first !== undefined) await replica.write(first.fileEventId, 0, bytesOf(records.slice(0, held)));
  await replica.sync();
  return { dir, replica, io };
}

test('bytes that do not continue the replica are refused with JournalPositionInvalid and nothing written', async (t) => {
  const { records, lastEventId } = await sourceRecords(t);
  const { dir, replica } = await replicaHolding(t, records, 4);
  const next = records[4];
  assert.ok(next !== undefined);
  const before = await fingerprint(dir);
  const end = replica.end();
  const file = next.fileEventId;
  const attempts: [EventId, number][] = [
    [file, next.position + 1], // ahead: a gap
    [file, next.position - 1], // behind: inside the last record
    [file, 0], // the start of the file it already has
    [asEventId(file + 1), next.position], // a newer file, not at its start
    [asEventId(lastEventId + 5), 0], // a newer file that does not follow the last EventId
  ];
  for (const [fileEventId, position] of attempts) {
    await rejectsWith(replica.write(fileEventId, position, next.raw), 'JournalPositionInvalid');
  }
  assert.deepEqual(await fingerprint(dir), before, 'no file changed');
  assert.deepEqual(replica.end(), end);

  const empty = await replicaHolding(t, records, 0);
  await rejectsWith(empty.replica.write(file, next.position, next.raw), 'JournalPositionInvalid');
  assert.equal(empty.replica.end(), undefined);
  assert.deepEqual([...(await fingerprint(empty.dir)).keys()], ['journal.lock'], 'no journal file created');
});

test('a bad CRC, a partial record or a replayed record refuses the whole batch with JournalCorrupt', async (t) => {
  const { records } = await sourceRecords(t);
  const { dir, replica, io } = await replicaHolding(t, records, 3);
  const good = records.slice(3);
  const batch = bytesOf(good);
  const at = good[0];
  assert.ok(at !== undefined);
  const before = await fingerprint(dir);
  const writesBefore = io.writes;

  const flipped = Buffer.from(batch);
  const lastBody = (good[good.length - 1]?.position ?? 0) - at.position + 10;
  flipped[lastBody] = (flipped[lastBody] ?? 0) ^ 0x01; // inside the body of the batch's last record
  const crc = await rejectsWith(replica.write(at.fileEventId, at.position, flipped), 'JournalCorrupt');
  assert.equal(crc.arguments['offset'], good[good.length - 1]?.position, 'the error names the damaged record');

  await rejectsWith(replica.write(at.fileEventId, at.position, batch.subarray(0, batch.length - 3)), 'JournalCorrupt');
  await rejectsWith(replica.write(at.fileEventId, at.position, batch.subarray(0, 5)), 'JournalCorrupt');
  const previous = records[2];
  assert.ok(previous !== undefined);
  // The last record it holds, sent again at the end: its events are not after the last EventId.
  await rejectsWith(replica.write(at.fileEventId, at.position, previous.raw), 'JournalCorrupt');

  assert.deepEqual(await fingerprint(dir), before, 'no file changed');
  assert.equal(io.writes, writesBefore, 'not one write reached the file');
  // The replica is still usable: the good bytes go in.
  assert.equal((await replica.write(at.fileEventId, at.position, batch)).length, good.length);
});

test('a new file with a foreign journalId, a wrong generation or no header is refused', async (t) => {
  const { records, journalId, lastEventId } = await sourceRecords(t);
  const { dir, replica } = await replicaHolding(t, records, records.length);
  const before = await fingerprint(dir);
  const newFile = (fields: Parameters<typeof header>[0]): Buffer =>
    Buffer.concat([encodeFrame(header({ journalId, fileEventId: lastEventId, generation: 2, snapshotCount: 1, ...fields })), encodeFrame({ TYPE: 'Part' })]);

  const foreign = await rejectsWith(replica.write(lastEventId, 0, newFile({ journalId: 'another-journal' })), 'JournalIdMismatch');
  assert.deepEqual(foreign.arguments, { file: `controller--${lastEventId}.journal`, expected: journalId, got: 'another-journal' });
  await rejectsWith(replica.write(lastEventId, 0, newFile({ generation: 3 })), 'JournalCorrupt');
  await rejectsWith(replica.write(lastEventId, 0, newFile({ fileEventId: lastEventId + 1 })), 'JournalCorrupt');
  await rejectsWith(replica.write(lastEventId, 0, encodeFrame([{ eventId: lastEventId + 1, event: event(9) }])), 'JournalCorrupt');
  await rejectsWith(replica.write(lastEventId, 0, newFile({ version: 2 })), 'JournalUnsupportedVersion');
  assert.deepEqual(await fingerprint(dir), before, 'no file changed, no .tmp left');
  assert.equal(replica.journalId, journalId);

  // While a new file's snapshot is incomplete, no file may follow it.
  await replica.write(lastEventId, 0, encodeFrame(header({ journalId, fileEventId: lastEventId, generation: 2, snapshotCount: 2 })));
  await rejectsWith(replica.write(lastEventId, 0, newFile({})), 'JournalPositionInvalid');
});

test('write() makes one write call and sync() one fdatasync; with sync off sync() makes none', async (t) => {
  const { records } = await sourceRecords(t);
  const { replica, io } = await replicaHolding(t, records, 3);
  const writes = io.writes;
  const syncs = io.syncs;
  for (const range of [[3, 5], [5, 8]] as const) {
    const first = records[range[0]];
    assert.ok(first !== undefined);
    await replica.write(first.fileEventId, first.position, bytesOf(records.slice(...range)));
    assert.ok(replica.syncedEventId < replica.lastEventId, 'not durable before sync()');
    await replica.sync();
    assert.equal(replica.syncedEventId, replica.lastEventId);
  }
  assert.equal(io.writes - writes, 2);
  assert.equal(io.syncs - syncs, 2);

  const lazy = await replicaHolding(t, records, 3, { sync: false });
  const lazySyncs = lazy.io.syncs;
  const next = records[3];
  assert.ok(next !== undefined);
  await lazy.replica.write(next.fileEventId, next.position, next.raw);
  await lazy.replica.sync();
  assert.equal(lazy.io.syncs, lazySyncs);
  assert.equal(lazy.replica.syncedEventId, lazy.replica.lastEventId);
});

test('a failed fdatasync stops the replica with JournalWriteFailed; after close Journal.open recovers what is on disk', async (t) => {
  const { records } = await sourceRecords(t);
  const { dir, replica, io } = await replicaHolding(t, records, 3);
  const next = records[3];
  assert.ok(next !== undefined);
  await replica.write(next.fileEventId, next.position, next.raw);
  io.failSyncs = true;
  await rejectsWith(replica.sync(), 'JournalWriteFailed');
  const after = records[4];
  assert.ok(after !== undefined);
  await rejectsWith(replica.write(after.fileEventId, after.position, after.raw), 'JournalWriteFailed');
  await replica.close();
  await rejectsWith(replica.write(after.fileEventId, after.position, after.raw), 'ShuttingDown');

  const { journal, recovered } = await Journal.open(journalOptions(dir));
  t.after(() => journal.close());
  assert.equal(recovered.lastEventId, next.kind === 'events' ? next.body[0]?.eventId : undefined);
});

test('a write need not wait for the fdatasync of an earlier sync(), which covers only the writes before it', async (t) => {
  const { records, journalId, lastEventId } = await sourceRecords(t);
  const { dir, replica, io } = await replicaHolding(t, records, 3);
  const [r3, r4, r5] = records.slice(3);
  assert.ok(r3?.kind === 'events' && r4?.kind === 'events' && r5 !== undefined);
  let open = (): void => undefined;
  io.gate = new Promise((resolve) => (open = resolve));

  await replica.write(r3.fileEventId, r3.position, r3.raw);
  let synced = false;
  const sync = replica.sync().then(() => (synced = true));
  await within(2000, 'a write while an fdatasync is held', replica.write(r4.fileEventId, r4.position, r4.raw));
  assert.equal(synced, false, 'the fdatasync is still held');
  assert.ok(replica.syncedEventId < (r3.body[0]?.eventId ?? 0));
  open();
  await sync;
  assert.equal(replica.syncedEventId, r3.body[0]?.eventId, 'durable up to the write before sync(), not beyond');
  await replica.sync();
  assert.equal(replica.syncedEventId, r4.body[0]?.eventId);

  // A new file waits for a held fdatasync of the old one before it closes that file.
  await replica.write(r5.fileEventId, r5.position, bytesOf(records.slice(5)));
  io.gate = new Promise((resolve) => (open = resolve));
  const syncsBefore = io.syncs;
  const held = replica.sync();
  await within(2000, 'the fdatasync to be held', turnsUntil(() => io.syncs > syncsBefore));
  let started = false;
  const next = Buffer.concat([
    encodeFrame(header({ journalId, fileEventId: lastEventId, generation: 2, snapshotCount: 0 })),
    encodeFrame([{ eventId: lastEventId + 1, event: event(7) }]),
  ]);
  const newFile = replica.write(lastEventId, 0, next).then(() => (started = true));
  for (let turn = 0; turn < 20; turn += 1) await new Promise((resolve) => setImmediate(resolve));
  assert.equal(started, false, 'the new file waits for the held fdatasync');
  open();
  await Promise.all([held, newFile]);
  await replica.close();
  const { journal, recovered } = await Journal.open(journalOptions(dir));
  t.after(() => journal.close());
  assert.equal(recovered.lastEventId, lastEventId + 1);
});

test('writeAndSync hands back the records with their fdatasync already started, so the owner applies them while the disk works', async (t) => {
  const { records } = await sourceRecords(t);
  const { replica, io } = await replicaHolding(t, records, 3);
  const [r3, r4] = records.slice(3);
  assert.ok(r3?.kind === 'events' && r4?.kind === 'events');
  let open = (): void => undefined;
  io.gate = new Promise((resolve) => (open = resolve));
  const syncsBefore = io.syncs;

  const { records: written, durable } = await replica.writeAndSync(r3.fileEventId, r3.position, r3.raw);
  // Nothing has run between the write and this line but the replica's own steps.
  assert.equal(io.syncs, syncsBefore + 1, 'the fdatasync was issued before the records came back');
  assert.equal(written.length, 1);
  assert.ok(Buffer.from(written[0]!.raw).equals(Buffer.from(r3.raw)), 'the records written are handed back');
  assert.ok(replica.syncedEventId < (r3.body[0]?.eventId ?? 0), 'not durable while the fdatasync is held');
  let settled = false;
  const waiting = durable.then(() => (settled = true));
  for (let turn = 0; turn < 5; turn += 1) await new Promise((resolve) => setImmediate(resolve));
  assert.equal(settled, false, 'durable waits for the fdatasync');
  open();
  await waiting;
  assert.equal(replica.syncedEventId, r3.body[0]?.eventId);

  // A failing fdatasync rejects durable, and the replica takes no more bytes.
  io.failSyncs = true;
  const next = await replica.writeAndSync(r4.fileEventId, r4.position, r4.raw);
  await rejectsWith(next.durable, 'JournalWriteFailed');
  await rejectsWith(replica.write(r4.fileEventId, r4.position + r4.raw.length, Buffer.alloc(0)), 'JournalWriteFailed');
});

test('frames written while an fdatasync runs share the next one, and each durable settles in order', async (t) => {
  const { records } = await sourceRecords(t);
  const { replica, io } = await replicaHolding(t, records, 3);
  const [r3, r4, r5] = records.slice(3);
  assert.ok(r3?.kind === 'events' && r4?.kind === 'events' && r5?.kind === 'events');
  let open = (): void => undefined;
  io.gate = new Promise((resolve) => (open = resolve));
  const syncsBefore = io.syncs;
  const settled: EventId[] = [];
  const first = await replica.writeAndSync(r3.fileEventId, r3.position, r3.raw);
  // The owner does not wait for the first fdatasync before it writes the next frames.
  const second = await replica.writeAndSync(r4.fileEventId, r4.position, r4.raw);
  const third = await replica.writeAndSync(r5.fileEventId, r5.position, r5.raw);
  const all = [first, second, third].map(({ durable }) => durable.then(() => settled.push(replica.syncedEventId)));
  assert.equal(io.syncs, syncsBefore + 1, 'one fdatasync runs; the later frames wait for the next');
  assert.ok(replica.syncedEventId < (r3.body[0]?.eventId ?? 0));
  open();
  await Promise.all(all);
  assert.equal(io.syncs, syncsBefore + 2, 'the second and third frame shared one fdatasync');
  assert.deepEqual(settled, [r3.body[0]?.eventId, r5.body[0]?.eventId, r5.body[0]?.eventId]);
});

/** Resolves once `done()` holds, checking once per event-loop turn. */
async function turnsUntil(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setImmediate(resolve));
}
