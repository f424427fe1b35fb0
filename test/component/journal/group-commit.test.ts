import { test } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '../../../src/common/index.js';
import { Journal, type StampedEvent } from '../../../src/journal/index.js';
import { event, faultyFiles, journalOptions, openJournal, rejectsWith, tempDir } from './journal-fixture.js';

test('concurrent appends share fdatasyncs, all commit, and a reopen sees them all in order', async (t) => {
  const dir = await tempDir(t);
  const files = faultyFiles();
  const options = journalOptions(dir, { clock: systemClock, openFile: files.openFile });
  const { journal } = await openJournal(t, options);
  const syncsAtStart = files.syncs();

  const writers = 40;
  const perWriter = 25;
  const stamped: StampedEvent[] = [];
  let n = 0;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      for (let i = 0; i < perWriter; i += 1) {
        const ticket = journal.append([event(n++)]);
        await ticket.committed;
        assert.ok(journal.committedEventId >= ticket.lastEventId, 'committed advances before the ticket resolves');
        stamped.push(...ticket.stamped);
      }
    }),
  );

  const appends = writers * perWriter;
  const syncs = files.syncs() - syncsAtStart;
  assert.equal(journal.stats().appends, appends);
  assert.ok(syncs >= 1 && syncs < appends / 4, `${syncs} fdatasyncs for ${appends} appends`);
  assert.equal(journal.stats().syncs, syncs);
  await journal.close();

  const { journal: reopened, recovered } = await Journal.open(options);
  t.after(() => reopened.close());
  stamped.sort((a, b) => a.eventId - b.eventId);
  assert.deepEqual(recovered.events, stamped);
  assert.deepEqual(
    recovered.events.map((s) => (s.event as { n: number }).n),
    Array.from({ length: appends }, (_, i) => i),
    'EventIds follow the order of the append calls',
  );
  assert.equal(recovered.lastEventId, stamped[stamped.length - 1]?.eventId);
});

test('a multi-event append is one record: all its events come back together', async (t) => {
  const dir = await tempDir(t);
  const options = journalOptions(dir);
  const { journal } = await openJournal(t, options);
  const ticket = journal.append([event(1), event(2), event(3)]);
  await ticket.committed;
  assert.equal(ticket.stamped.length, 3);
  assert.equal(ticket.lastEventId, ticket.stamped[2]?.eventId);
  await journal.close();
  const { journal: reopened, recovered } = await Journal.open(options);
  t.after(() => reopened.close());
  assert.deepEqual(recovered.events, ticket.stamped);
});

test('with sync off, appends commit without fdatasync and survive a graceful close', async (t) => {
  const dir = await tempDir(t);
  const files = faultyFiles();
  const options = journalOptions(dir, { sync: false, openFile: files.openFile });
  const { journal } = await openJournal(t, options);
  const before = files.syncs();
  const tickets = Array.from({ length: 100 }, (_, i) => journal.append([event(i)]));
  await Promise.all(tickets.map((x) => x.committed));
  assert.equal(files.syncs() - before, 0);
  await journal.close();
  const { journal: reopened, recovered } = await Journal.open(journalOptions(dir, { sync: false }));
  t.after(() => reopened.close());
  assert.equal(recovered.events.length, 100);
});

test('a failed fdatasync fails every pending and later append, and is never reported as committed', async (t) => {
  const dir = await tempDir(t);
  const files = faultyFiles();
  const { journal } = await openJournal(t, journalOptions(dir, { openFile: files.openFile }));
  const good = journal.append([event(0)]);
  await good.committed;

  files.failSyncs(new Error('EIO: simulated disk failure'));
  const pending = [journal.append([event(1)]), journal.append([event(2)])];
  for (const ticket of pending) await rejectsWith(ticket.committed, 'JournalWriteFailed');
  assert.equal(journal.committedEventId, good.lastEventId);
  assert.throws(() => journal.append([event(3)]), { code: 'JournalWriteFailed' });
  await rejectsWith(journal.rotate(), 'JournalWriteFailed');
  await journal.close();
});
