import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { cutJournal, Journal, journalFileName, listJournal } from '../../../src/journal/index.js';
import { event, journalOptions, tempDir } from './journal-fixture.js';

void test('a cut back to a file the journal no longer has moves every later file aside, so the node replicates again from the start', async (t) => {
  const dir = await tempDir(t);
  const { journal } = await Journal.open(journalOptions(dir, { autoRelease: false }));
  await journal.append([event(1)]).committed;
  const first = journal.position().fileEventId;
  await journal.rotate();
  await journal.append([event(2)]).committed;
  const second = journal.position().fileEventId;
  await journal.close();
  const secondBytes = await readFile(join(dir, journalFileName(second)));
  // The file that holds the cut point is gone (deleted before the node knew it had to cut).
  await rm(join(dir, journalFileName(first)));

  const cut = await cutJournal(dir, { fileEventId: first, position: 100 }, 'FailedOver-7');
  assert.deepEqual(cut.keptFiles, [`${journalFileName(second)}.cut-FailedOver-7`]);
  assert.equal(cut.cutBytes, secondBytes.length);
  assert.deepEqual((await listJournal(dir)).files, [], 'no journal file is left to go on from');
  assert.ok((await readFile(join(dir, cut.keptFiles[0]!))).equals(secondBytes), 'the cut bytes are kept whole');
});

void test('a cut back to a point after the end of the journal changes nothing', async (t) => {
  const dir = await tempDir(t);
  const { journal } = await Journal.open(journalOptions(dir, { autoRelease: false }));
  await journal.append([event(1)]).committed;
  const last = journal.position().fileEventId;
  await journal.close();
  const before = (await listJournal(dir)).files;
  await assert.rejects(cutJournal(dir, { fileEventId: last + 1_000_000, position: 0 } as never, 'x'), { code: 'JournalPositionInvalid' });
  assert.deepEqual((await listJournal(dir)).files, before);
});
