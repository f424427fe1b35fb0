import { constants } from 'node:fs';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '../../../src/common/index.js';
import { Journal, journalFileName, type StampedEvent } from '../../../src/journal/index.js';
import { event, faultyFiles, journalOptions, openJournal, rejectsWith, tempDir } from './journal-fixture.js';

test('concurrent appends share durable writes, all commit, and a reopen sees them all in order', async (t) => {
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
  assert.ok(syncs >= 1 && syncs < appends / 4, `${syncs} durable writes for ${appends} appends`);
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

/** The open(2) flags of this process's descriptor that writes `path` (Linux: /proc/self/fdinfo). */
async function openFlagsOf(path: string): Promise<number> {
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    if (target !== path) continue;
    const info = await readFile(`/proc/self/fdinfo/${fd}`, 'utf8');
    const text = /^flags:\s+([0-7]+)$/m.exec(info)?.[1];
    const flags = text === undefined ? undefined : parseInt(text, 8);
    if (flags !== undefined && (flags & (constants.O_WRONLY | constants.O_RDWR)) !== 0) return flags;
  }
  throw new Error(`${path} is not open for writing in this process`);
}

test('with sync on, the journal file is open for durable writes (O_DSYNC); with sync off it is not', async (t) => {
  for (const sync of [true, false]) {
    const dir = await tempDir(t);
    const { journal } = await openJournal(t, journalOptions(dir, { sync }));
    await journal.append([event(1)]).committed;
    const file = join(dir, journalFileName(journal.position().fileEventId));
    assert.equal((await openFlagsOf(file)) & constants.O_DSYNC, sync ? constants.O_DSYNC : 0, `sync ${sync}`);
    await journal.rotate();
    const rotated = join(dir, journalFileName(journal.position().fileEventId));
    assert.notEqual(rotated, file);
    assert.equal((await openFlagsOf(rotated)) & constants.O_DSYNC, sync ? constants.O_DSYNC : 0, `sync ${sync}, after a rotation`);
    await journal.close();
    const { journal: reopened } = await openJournal(t, journalOptions(dir, { sync }));
    assert.equal((await openFlagsOf(rotated)) & constants.O_DSYNC, sync ? constants.O_DSYNC : 0, `sync ${sync}, reopened`);
    await reopened.close();
  }
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

test('a failed durable write fails every pending and later append, and is never reported as committed', async (t) => {
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
