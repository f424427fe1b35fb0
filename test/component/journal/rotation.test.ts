import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { asEventId, ManualClock } from '../../../src/common/index.js';
import { Journal, journalFileName, listJournal } from '../../../src/journal/index.js';
import { event, journalOptions, openJournal, tempDir } from './journal-fixture.js';

/** An owner whose whole state is the number of events it has applied. */
function countingOwner(): { applied: number; snapshot: () => readonly unknown[] } {
  const owner = { applied: 0, snapshot: (): readonly unknown[] => [{ TYPE: 'Count', applied: owner.applied }] };
  return owner;
}

test('past rotateBytes the journal starts a new file with a snapshot; older files go once it is durable', async (t) => {
  const dir = await tempDir(t);
  const owner = countingOwner();
  const options = journalOptions(dir, { rotateBytes: 2048, snapshot: owner.snapshot });
  const { journal } = await openJournal(t, options);
  const total = 200;
  for (let i = 0; i < total; i += 1) {
    await journal.append([event(i)]).committed;
    owner.applied += 1;
  }
  assert.ok(journal.stats().rotations >= 3, `${journal.stats().rotations} rotations`);
  const current = journal.position().fileEventId;
  await journal.close();
  assert.deepEqual(await readdir(dir), [journalFileName(current)], 'only the newest file is left');

  const { journal: reopened, recovered } = await Journal.open(options);
  t.after(() => reopened.close());
  assert.equal(recovered.fileEventId, current);
  const [snapshot] = recovered.snapshot as [{ applied: number }];
  assert.equal(snapshot.applied + recovered.events.length, total, 'snapshot plus later events give the whole state');
  assert.equal(recovered.events[0]?.eventId, recovered.fileEventId + 1);
});

test('concurrent appends across many size rotations lose nothing and keep snapshot and events consistent', async (t) => {
  const dir = await tempDir(t);
  const owner = countingOwner();
  const options = journalOptions(dir, { rotateBytes: 1500, snapshot: owner.snapshot });
  const { journal } = await openJournal(t, options);
  const perWriter = 30;
  const writers = 10;
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; i < perWriter; i += 1) {
        const ticket = journal.append([event(w * 1000 + i)]);
        owner.applied += 1; // the owner applies at once, as the controller does
        await ticket.committed;
      }
    }),
  );
  assert.ok(journal.stats().rotations >= 5, `${journal.stats().rotations} rotations`);
  await journal.close();
  const { journal: reopened, recovered } = await Journal.open(options);
  t.after(() => reopened.close());
  const [snapshot] = recovered.snapshot as [{ applied: number }];
  assert.equal(snapshot.applied + recovered.events.length, writers * perWriter);
  const ids = recovered.events.map((s) => s.eventId);
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
  assert.equal(ids[0], recovered.fileEventId + 1);
});

test('rotate() takes the snapshot at once and resolves when the new file is durable', async (t) => {
  const dir = await tempDir(t);
  const owner = countingOwner();
  const options = journalOptions(dir, { snapshot: owner.snapshot });
  const { journal } = await openJournal(t, options);
  const ticket = journal.append([event(1)]);
  owner.applied = 1;
  const rotated = journal.rotate();
  owner.applied = 1000; // changes after the call must not reach the snapshot
  await rotated;
  assert.equal(journal.position().fileEventId, ticket.lastEventId);
  await ticket.committed;
  const later = journal.append([event(2)]);
  await later.committed;
  await journal.close();

  const { journal: reopened, recovered } = await Journal.open(options);
  t.after(() => reopened.close());
  assert.deepEqual(recovered.snapshot, [{ TYPE: 'Count', applied: 1 }]);
  assert.deepEqual(recovered.events, later.stamped);
});

test('rotate() without new events makes no new file', async (t) => {
  const dir = await tempDir(t);
  const { journal } = await openJournal(t, journalOptions(dir));
  await journal.append([event(1)]).committed;
  await journal.rotate();
  const after = journal.position().fileEventId;
  await journal.rotate();
  assert.equal(journal.position().fileEventId, after);
  assert.equal(journal.stats().rotations, 1);
});

test('past rotateAgeMs the next append starts a new file', async (t) => {
  const dir = await tempDir(t);
  const clock = new ManualClock();
  const { journal } = await openJournal(t, journalOptions(dir, { clock, rotateAgeMs: 60_000 }));
  const first = journal.append([event(1)]);
  clock.advance(59_999);
  await journal.append([event(2)]).committed;
  assert.equal(journal.stats().rotations, 0);
  clock.advance(1);
  const boundary = journal.lastEventId;
  await journal.append([event(3)]).committed;
  await first.committed;
  assert.equal(journal.stats().rotations, 1);
  assert.equal(journal.position().fileEventId, boundary);
});

test('with autoRelease off, older files stay until release() passes them, and go whole', async (t) => {
  const dir = await tempDir(t);
  const options = journalOptions(dir, { autoRelease: false });
  const { journal } = await openJournal(t, options);
  const boundaries = [];
  for (let i = 0; i < 3; i += 1) {
    await journal.append([event(i)]).committed;
    await journal.rotate();
    boundaries.push(journal.position().fileEventId);
  }
  await journal.close();
  const names = async (): Promise<string[]> => (await listJournal(dir)).files.map((f) => f.name);
  assert.equal((await names()).length, 4, 'all files kept');

  const { journal: reopened } = await Journal.open(options);
  t.after(() => reopened.close());
  assert.equal((await reopened.files()).length, 4, 'a restart deletes nothing either');
  const [b1, b2, b3] = boundaries;
  assert.ok(b1 !== undefined && b2 !== undefined && b3 !== undefined);
  // Events of the first file all lie at or before b1: releasing one less keeps it.
  reopened.release(asEventId(b1 - 1));
  reopened.release(asEventId(b2 - 1));
  await reopened.close();
  assert.deepEqual(await names(), [journalFileName(b1), journalFileName(b2), journalFileName(b3)]);

  const { journal: third } = await Journal.open(options);
  t.after(() => third.close());
  third.release(b3);
  await third.close();
  assert.deepEqual(await names(), [journalFileName(b3)], 'the current file is never deleted');
});

test('a leftover .tmp of an unfinished rotation is deleted at open', async (t) => {
  const dir = await tempDir(t);
  const options = journalOptions(dir);
  const { journal } = await openJournal(t, options);
  await journal.append([event(1)]).committed;
  const leftover = `${journalFileName(journal.lastEventId)}.tmp`;
  await journal.close();
  await writeFile(join(dir, leftover), 'half a snapshot');
  const { journal: reopened, recovered } = await Journal.open(options);
  t.after(() => reopened.close());
  assert.equal(recovered.events.length, 1);
  assert.ok(!(await readdir(dir)).includes(leftover));
});

test('a replay sink receives the newest snapshot first, then every later event in order', async (t) => {
  const dir = await tempDir(t);
  const owner = countingOwner();
  const received: string[] = [];
  const replay = {
    snapshot: (records: readonly unknown[]) => received.push(`snapshot ${JSON.stringify(records)}`),
    events: (batch: readonly { event: unknown }[]) => received.push(`events ${batch.map((s) => (s.event as { n: number }).n).join(',')}`),
  };
  const options = journalOptions(dir, { snapshot: owner.snapshot, replay });
  const { journal } = await openJournal(t, options);
  assert.deepEqual(received, ['snapshot [{"TYPE":"Count","applied":0}]'], 'a new journal replays its first snapshot');
  await journal.append([event(1)]).committed;
  owner.applied = 1;
  await journal.rotate();
  await journal.append([event(2), event(3)]).committed;
  await journal.append([event(4)]).committed;
  await journal.close();

  received.length = 0;
  const { journal: reopened, recovered } = await Journal.open(options);
  t.after(() => reopened.close());
  assert.deepEqual(received, ['snapshot [{"TYPE":"Count","applied":1}]', 'events 2,3', 'events 4']);
  assert.deepEqual(recovered.events, [], 'the events went to the sink instead');
  assert.deepEqual(recovered.snapshot, [{ TYPE: 'Count', applied: 1 }]);
  assert.equal(recovered.lastEventId, reopened.lastEventId);
});
