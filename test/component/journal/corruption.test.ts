import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { cp, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { Journal, journalFileName, verifyJournal } from '../../../src/journal/index.js';
import {
  craftFile,
  event,
  fingerprint,
  flipBit,
  header,
  journalOptions,
  openJournal,
  rejectsWith,
  tempDir,
} from './journal-fixture.js';

interface Pristine {
  readonly dir: string;
  readonly name: string;
  /** Start offsets of the event records. */
  readonly starts: readonly number[];
}

/** A journal of six event records. */
async function pristine(t: TestContext): Promise<Pristine> {
  const dir = await tempDir(t);
  const { journal } = await openJournal(t, journalOptions(dir));
  const starts: number[] = [];
  for (let i = 0; i < 6; i += 1) {
    starts.push(journal.position().synced);
    await journal.append([event(i)]).committed;
  }
  const name = journalFileName(journal.position().fileEventId);
  await journal.close();
  return { dir, name, starts };
}

/** Opens `dir`, expecting JournalCorrupt at `offset` of `file`, and checks no file changed. */
async function expectCorrupt(dir: string, file: string, offset: number, what: string): Promise<void> {
  const before = await fingerprint(dir);
  const err = await rejectsWith(Journal.open(journalOptions(dir)), 'JournalCorrupt');
  assert.deepEqual({ file: err.arguments['file'], offset: err.arguments['offset'] }, { file, offset }, what);
  assert.ok(err.message.includes(file) && err.message.includes(`offset ${offset}`), `${what}: message names file and offset: ${err.message}`);
  assert.deepEqual(await fingerprint(dir), before, `${what}: no file changed, no lock left`);
}

test('a flipped bit in a middle record stops the start with JournalCorrupt naming file and offset', async (t) => {
  const p = await pristine(t);
  const middle = p.starts[2] ?? 0;
  const flips: [number, number, string][] = [
    [middle, 7, 'length, high byte'],
    [middle + 2, 1, 'length, third byte'],
    [middle + 3, 0, 'length, lowest bit'],
    [middle + 3, 5, 'length, made longer'],
    [middle + 5, 2, 'checksum'],
    [middle + 8, 0, 'first body byte'],
    [middle + 12, 6, 'body'],
  ];
  for (const [offset, bit, what] of flips) {
    const dir = await tempDir(t, 'tandem-corrupt-');
    await cp(p.dir, dir, { recursive: true });
    await flipBit(join(dir, p.name), offset, bit);
    await expectCorrupt(dir, p.name, middle, what);
    const report = await verifyJournal(dir);
    assert.equal(report.ok, false);
    assert.deepEqual(report.problems.map((x) => [x.file, x.offset]), [[p.name, middle]], what);
  }
});

test('a damaged header is corruption, not a torn tail', async (t) => {
  const p = await pristine(t);
  const dir = await tempDir(t, 'tandem-corrupt-');
  await cp(p.dir, dir, { recursive: true });
  await flipBit(join(dir, p.name), 12, 1);
  await expectCorrupt(dir, p.name, 0, 'header');
});

test('a torn end of an older file is corruption, not a tail to cut', async (t) => {
  const dir = await tempDir(t);
  const options = journalOptions(dir, { autoRelease: false });
  const { journal } = await openJournal(t, options);
  await journal.append([event(1)]).committed;
  const firstName = journalFileName(journal.position().fileEventId);
  const lastStart = journal.position().synced;
  await journal.append([event(2)]).committed;
  const firstEnd = journal.position().synced;
  await journal.rotate();
  await journal.append([event(3)]).committed;
  await journal.close();
  // The older file was complete on disk before its successor existed, so a short
  // older file means lost acknowledged events, never an unfinished write.
  await truncate(join(dir, firstName), firstEnd - 2);
  await expectCorrupt(dir, firstName, lastStart, 'older file torn');
});

test('files that do not chain stop the start: another journalId, a gap, events out of order', async (t) => {
  const cases: [string, (dir: string) => Promise<void>, string, number][] = [
    [
      'journalId differs',
      async (dir) => {
        await craftFile(dir, 'controller--0.journal', [header({ journalId: 'a' }), [{ eventId: 10, event: 1 }]]);
        await craftFile(dir, 'controller--10.journal', [header({ journalId: 'b', fileEventId: 10, generation: 2 })]);
      },
      'controller--10.journal',
      0,
    ],
    [
      'fileEventId does not follow the previous file',
      async (dir) => {
        await craftFile(dir, 'controller--0.journal', [header(), [{ eventId: 10, event: 1 }]]);
        await craftFile(dir, 'controller--11.journal', [header({ fileEventId: 11, generation: 2 })]);
      },
      'controller--11.journal',
      0,
    ],
    [
      'events out of order',
      async (dir) => {
        await craftFile(dir, 'controller--0.journal', [header(), [{ eventId: 10, event: 1 }], [{ eventId: 9, event: 2 }], [{ eventId: 11, event: 3 }]]);
      },
      'controller--0.journal',
      -1,
    ],
    [
      'header names another fileEventId than the file',
      async (dir) => {
        await craftFile(dir, 'controller--0.journal', [header({ fileEventId: 5 })]);
      },
      'controller--0.journal',
      0,
    ],
  ];
  for (const [what, make, file, offset] of cases) {
    const dir = await tempDir(t, 'tandem-chain-');
    await make(dir);
    const before = await fingerprint(dir);
    const err = await rejectsWith(Journal.open(journalOptions(dir)), 'JournalCorrupt');
    assert.equal(err.arguments['file'], file, what);
    if (offset >= 0) assert.equal(err.arguments['offset'], offset, what);
    else assert.ok(typeof err.arguments['offset'] === 'number' && err.arguments['offset'] > 0, what);
    assert.deepEqual(await fingerprint(dir), before, `${what}: nothing changed`);
  }
});

test('a newer format version is refused as unsupported', async (t) => {
  const dir = await tempDir(t);
  await craftFile(dir, 'controller--0.journal', [header({ version: 2 }), [{ eventId: 10, event: 1 }]]);
  const before = await fingerprint(dir);
  const err = await rejectsWith(Journal.open(journalOptions(dir)), 'JournalUnsupportedVersion');
  assert.equal(err.arguments['version'], 2);
  assert.deepEqual(await fingerprint(dir), before);
});
