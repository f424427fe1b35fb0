import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, readdir, readFile, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { ManualClock, silentLogger } from '../../../src/common/index.js';
import {
  Journal,
  JournalReplica,
  journalFileName,
  listJournal,
  type JournalPoint,
  type JournalRecord,
  type ReplicaOptions,
  type StampedEvent,
} from '../../../src/journal/index.js';
import { allRecords, event, journalOptions, tempDir } from './journal-fixture.js';

interface Source {
  readonly dir: string;
  readonly records: readonly JournalRecord[];
}

/** A real journal of `files` files (made by rotate()), each snapshot `snapshotRecords` records long. */
async function buildSource(t: TestContext, files: number, snapshotRecords: number): Promise<Source> {
  const dir = await tempDir(t, 'tandem-source-');
  let applied = 0;
  const snapshot = (): readonly unknown[] => Array.from({ length: snapshotRecords }, (_, part) => ({ TYPE: 'Part', part, applied }));
  const { journal } = await Journal.open(journalOptions(dir, { sync: false, autoRelease: false, snapshot }));
  try {
    let n = 0;
    for (let f = 0; f < files; f += 1) {
      if (f > 0) await journal.rotate();
      for (let r = 0; r < 10; r += 1) {
        // Records of one to three events: a multi-event commit is one record.
        const batch = Array.from({ length: 1 + (r % 3) }, () => event((n += 1)));
        applied += batch.length;
        await journal.append(batch).committed;
      }
    }
  } finally {
    await journal.close();
  }
  return { dir, records: await allRecords(dir) };
}

function replicaOptions(dir: string, overrides: Partial<ReplicaOptions> = {}): ReplicaOptions {
  return { dir, sync: true, clock: new ManualClock(), logger: silentLogger(), ...overrides };
}

async function openReplica(t: TestContext, options: ReplicaOptions): Promise<Awaited<ReturnType<typeof JournalReplica.open>>> {
  const opened = await JournalReplica.open(options);
  t.after(() => opened.replica.close());
  return opened;
}

/** Consecutive records of one file, concatenated, in groups whose sizes cycle through `sizes`. */
function chunk(records: readonly JournalRecord[], sizes: readonly number[]): { at: JournalPoint; bytes: Buffer; records: JournalRecord[] }[] {
  const chunks: { at: JournalPoint; bytes: Buffer; records: JournalRecord[] }[] = [];
  let i = 0;
  for (let k = 0; i < records.length; k += 1) {
    const first = records[i];
    if (first === undefined) break;
    const group: JournalRecord[] = [];
    const size = sizes[k % sizes.length] ?? 1;
    for (let r = records[i]; r !== undefined && r.fileEventId === first.fileEventId && group.length < size; r = records[i]) {
      group.push(r);
      i += 1;
    }
    chunks.push({ at: { fileEventId: first.fileEventId, position: first.position }, bytes: Buffer.concat(group.map((r) => r.raw)), records: group });
  }
  return chunks;
}

/** The source records from `end` on (the next file's, when `end` is the end of a file). */
function from(records: readonly JournalRecord[], end: JournalPoint | undefined): readonly JournalRecord[] {
  if (end === undefined) return records;
  let index = records.findIndex((r) => r.fileEventId === end.fileEventId && r.position === end.position);
  if (index < 0) index = records.findIndex((r) => r.fileEventId > end.fileEventId);
  return index < 0 ? [] : records.slice(index);
}

async function feed(replica: JournalReplica, records: readonly JournalRecord[], sizes: readonly number[] = [7]): Promise<void> {
  for (const c of chunk(records, sizes)) {
    const written = await replica.write(c.at.fileEventId, c.at.position, c.bytes);
    assert.deepEqual(
      written.map((r) => ({ kind: r.kind, fileEventId: r.fileEventId, position: r.position, body: r.body })),
      c.records.map((r) => ({ kind: r.kind, fileEventId: r.fileEventId, position: r.position, body: r.body })),
      'write() hands back the records it was given, decoded',
    );
    await replica.sync();
  }
}

/** Asserts the journal files of both directories are the same, byte for byte. */
async function assertIdentical(source: string, replica: string): Promise<void> {
  const names = (await listJournal(source)).files.map((f) => f.name);
  assert.deepEqual((await listJournal(replica)).files.map((f) => f.name), names);
  assert.deepEqual((await listJournal(replica)).leftovers, [], 'no .tmp left behind');
  for (const name of names) {
    const [a, b] = await Promise.all([readFile(join(source, name)), readFile(join(replica, name))]);
    assert.ok(a.equals(b), `${name} differs: ${a.length} bytes at the source, ${b.length} in the replica`);
  }
}

function lastEventIdOf(records: readonly JournalRecord[]): number {
  const events = records.filter((r) => r.kind === 'events');
  const last = events[events.length - 1];
  return last?.kind === 'events' ? (last.body[last.body.length - 1]?.eventId ?? 0) : 0;
}

/** Journal.open on the replica directory recovers the source's last EventId and the events of its newest file. */
async function assertTakesOver(t: TestContext, dir: string, source: Source): Promise<void> {
  const newest = source.records[source.records.length - 1]?.fileEventId;
  const events = source.records.flatMap((r) => (r.kind === 'events' && r.fileEventId === newest ? r.body : []));
  const { journal, recovered } = await Journal.open(journalOptions(dir, { autoRelease: false }));
  t.after(() => journal.close());
  assert.equal(recovered.lastEventId, lastEventIdOf(source.records));
  assert.deepEqual(recovered.events, events);
  assert.equal(recovered.tornTail, undefined);
  // And it goes on as the active journal.
  const ticket = journal.append([event(-1)]);
  await ticket.committed;
  assert.ok(ticket.lastEventId > recovered.lastEventId);
  await journal.close();
}

test('a rotated journal replicated in random whole-record chunks is byte-identical and Journal.open recovers it', async (t) => {
  const sources = [await buildSource(t, 4, 3), await buildSource(t, 3, 0)];
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: 1 }), fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 10 }), async (which, sizes) => {
      const source = sources[which];
      assert.ok(source !== undefined);
      const dir = await tempDir(t, 'tandem-replica-');
      const { replica, recovered } = await JournalReplica.open(replicaOptions(dir, { sync: which === 0 }));
      try {
        assert.equal(recovered, undefined);
        assert.equal(replica.end(), undefined);
        await feed(replica, source.records, sizes);
        const last = source.records[source.records.length - 1];
        assert.deepEqual(replica.end(), { fileEventId: last?.fileEventId, position: last?.nextPosition });
        assert.equal(replica.lastEventId, lastEventIdOf(source.records));
        assert.equal(replica.syncedEventId, replica.lastEventId);
        assert.equal(replica.journalId, source.records[0]?.kind === 'header' ? source.records[0].body.journalId : undefined);
      } finally {
        await replica.close();
      }
      await assertIdentical(source.dir, dir);
      await assertTakesOver(t, dir, source);
    }),
    { numRuns: 12 },
  );
});

test('syncedPoint is where the durable journal ends: it moves with each sync, with a new file only once that file is in place, and is the end after a reopen', async (t) => {
  const source = await buildSource(t, 3, 2);
  const dir = await tempDir(t, 'tandem-replica-');
  const { replica } = await JournalReplica.open(replicaOptions(dir));
  let before: JournalPoint | undefined;
  for (const c of chunk(source.records, [1])) {
    await replica.write(c.at.fileEventId, c.at.position, c.bytes);
    // Events written, not yet synced: the point stays (the last snapshot record puts a new file in place, synced).
    if (c.records.every((r) => r.kind === 'events')) assert.deepEqual(replica.syncedPoint, before);
    await replica.sync();
    if (replica.fileInPlace === c.at.fileEventId) {
      assert.deepEqual(replica.syncedPoint, replica.end(), `after the record at ${c.at.fileEventId}:${c.at.position}`);
    } else {
      assert.deepEqual(replica.syncedPoint, before, `a .tmp is not durable: the point stays before the record at ${c.at.fileEventId}:${c.at.position}`);
    }
    before = replica.syncedPoint;
  }
  const end = replica.end();
  assert.ok(end !== undefined);
  await replica.close();
  const { replica: reopened } = await openReplica(t, replicaOptions(dir));
  assert.deepEqual(reopened.syncedPoint, end);
});

test('after close, reopening recovers the replicated state and replication resumes from end()', async (t) => {
  const source = await buildSource(t, 3, 2);
  const dir = await tempDir(t, 'tandem-replica-');
  // Stop at several places: mid-file, at a file's end, and inside a new file's snapshot.
  const second = source.records.findIndex((r) => r.fileEventId !== source.records[0]?.fileEventId);
  const stops = [5, second, second + 2, source.records.length - 3];
  let fed = 0;
  for (const stop of stops) {
    const snapshots: unknown[][] = [];
    const replayed: StampedEvent[] = [];
    const replay = { snapshot: (records: readonly unknown[]) => snapshots.push([...records]), events: (batch: readonly StampedEvent[]) => replayed.push(...batch) };
    const { replica, recovered } = await JournalReplica.open(replicaOptions(dir, { replay }));
    try {
      const end = replica.end();
      if (fed > 0) {
        assert.ok(recovered !== undefined && end !== undefined);
        const before = source.records.slice(0, fed).filter((r) => r.fileEventId <= end.fileEventId);
        assert.equal(recovered.lastEventId, lastEventIdOf(before));
        assert.equal(replica.lastEventId, recovered.lastEventId);
        // The replay saw the newest file's snapshot and every event after it.
        const newest = source.records.filter((r) => r.fileEventId === end.fileEventId && r.position < end.position);
        assert.deepEqual(snapshots, [newest.flatMap((r) => (r.kind === 'snapshot' ? [r.body] : []))]);
        assert.deepEqual(replayed, newest.flatMap((r) => (r.kind === 'events' ? r.body : [])));
      }
      const rest = from(source.records, end);
      const held = source.records.length - rest.length;
      await feed(replica, rest.slice(0, stop - held));
      fed = stop;
    } finally {
      await replica.close();
    }
  }
  const { replica } = await openReplica(t, replicaOptions(dir));
  await feed(replica, from(source.records, replica.end()), [3]);
  await replica.close();
  await assertIdentical(source.dir, dir);
  await assertTakesOver(t, dir, source);
});

test('a torn tail in the replica is cut on open, kept beside the file, and replication resumes from the new end', async (t) => {
  const source = await buildSource(t, 2, 1);
  const dir = await tempDir(t, 'tandem-replica-');
  const { replica } = await JournalReplica.open(replicaOptions(dir));
  await feed(replica, source.records);
  await replica.close();
  const last = source.records[source.records.length - 1];
  assert.ok(last !== undefined && last.kind === 'events');
  const name = journalFileName(last.fileEventId);
  // As a crash in the middle of the last write would leave it.
  await truncate(join(dir, name), last.position + 5);

  const { replica: reopened, recovered } = await openReplica(t, replicaOptions(dir));
  assert.ok(recovered?.tornTail !== undefined);
  assert.deepEqual({ file: recovered.tornTail.file, offset: recovered.tornTail.offset }, { file: name, offset: last.position });
  assert.deepEqual(await readFile(join(dir, recovered.tornTail.savedAs)), last.raw.subarray(0, 5));
  assert.deepEqual(reopened.end(), { fileEventId: last.fileEventId, position: last.position });
  assert.equal(reopened.lastEventId, lastEventIdOf(source.records.slice(0, -1)));
  await feed(reopened, from(source.records, reopened.end()));
  await reopened.close();
  await assertIdentical(source.dir, dir);
});

test('a crash before the .tmp of a new file is renamed recovers to the end of the previous file', async (t) => {
  const source = await buildSource(t, 2, 3);
  const dir = await tempDir(t, 'tandem-replica-');
  const { replica } = await openReplica(t, replicaOptions(dir));
  const second = source.records.findIndex((r) => r.fileEventId !== source.records[0]?.fileEventId);
  const previous = source.records[second - 1];
  assert.ok(previous !== undefined);
  // The new file's header and two of its three snapshot records.
  await feed(replica, source.records.slice(0, second + 3), [second, 3]);
  const newFile = source.records[second]?.fileEventId;
  assert.ok(newFile !== undefined);
  assert.deepEqual(replica.end(), { fileEventId: newFile, position: source.records[second + 3]?.position });
  assert.deepEqual((await listJournal(dir)).files.map((f) => f.fileEventId), [previous.fileEventId], 'the new file is not in place yet');
  assert.deepEqual((await listJournal(dir)).leftovers, [`${journalFileName(newFile)}.tmp`]);

  // A crash: the directory as it is now, lock file included, seen by a new process.
  const crashed = await tempDir(t, 'tandem-crashed-');
  for (const name of await readdir(dir)) await copyFile(join(dir, name), join(crashed, name));
  const { replica: after, recovered } = await openReplica(t, replicaOptions(crashed));
  assert.equal(recovered?.lastEventId, lastEventIdOf(source.records.slice(0, second)));
  assert.deepEqual(after.end(), { fileEventId: previous.fileEventId, position: previous.nextPosition });
  assert.deepEqual((await listJournal(crashed)).leftovers, [], 'the leftover .tmp is gone');
  await feed(after, from(source.records, after.end()));
  await after.close();
  await assertIdentical(source.dir, crashed);

  // A graceful close with a .tmp pending ends up at the same place.
  await replica.close();
  assert.deepEqual((await listJournal(dir)).leftovers, []);
  const { replica: reopened } = await openReplica(t, replicaOptions(dir));
  assert.deepEqual(reopened.end(), { fileEventId: previous.fileEventId, position: previous.nextPosition });
});

test('release() deletes whole older files only once a newer complete file follows them', async (t) => {
  const source = await buildSource(t, 3, 2);
  const dir = await tempDir(t, 'tandem-replica-');
  const { replica } = await openReplica(t, replicaOptions(dir));
  const ids = [...new Set(source.records.map((r) => r.fileEventId))];
  const [f0, f1, f2] = ids;
  assert.ok(f0 !== undefined && f1 !== undefined && f2 !== undefined);
  const third = source.records.findIndex((r) => r.fileEventId === f2);
  // Up to the third file's header: its .tmp exists but is not complete.
  await feed(replica, source.records.slice(0, third + 1));
  await replica.release(replica.lastEventId);
  assert.deepEqual((await listJournal(dir)).files.map((f) => f.fileEventId), [f1], 'only the newest complete file stays');

  await feed(replica, from(source.records, replica.end()));
  await replica.release(f1);
  assert.deepEqual((await listJournal(dir)).files.map((f) => f.fileEventId), [f1, f2], 'events past f1 are not released');
  await replica.release(f2);
  assert.deepEqual((await listJournal(dir)).files.map((f) => f.fileEventId), [f2]);
});
