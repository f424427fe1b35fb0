import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, readdir, readFile, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { Journal, journalFileName, verifyJournal, type StampedEvent } from '../../../src/journal/index.js';
import { event, flipBit, journalOptions, openJournal, tempDir } from './journal-fixture.js';

interface Pristine {
  readonly dir: string;
  readonly name: string;
  /** Events of every record but the last. */
  readonly kept: readonly StampedEvent[];
  readonly lastStart: number;
  readonly size: number;
}

/** A journal of five records; the last one holds two events. */
async function pristine(t: TestContext): Promise<Pristine> {
  const dir = await tempDir(t);
  const { journal } = await openJournal(t, journalOptions(dir));
  const kept: StampedEvent[] = [];
  for (let i = 0; i < 4; i += 1) {
    const ticket = journal.append([event(i)]);
    await ticket.committed;
    kept.push(...ticket.stamped);
  }
  const lastStart = journal.position().synced;
  await journal.append([event(4), event(5)]).committed;
  const size = journal.position().synced;
  const name = journalFileName(journal.position().fileEventId);
  await journal.close();
  return { dir, name, kept, lastStart, size };
}

async function copyJournal(t: TestContext, from: Pristine): Promise<string> {
  const dir = await tempDir(t, 'tandem-torn-');
  await copyFile(join(from.dir, from.name), join(dir, from.name));
  return dir;
}

test('a last record torn at any byte is cut off; earlier records stay and the cut bytes are kept', async (t) => {
  const p = await pristine(t);
  const original = await readFile(join(p.dir, p.name));
  const lastKept = p.kept[p.kept.length - 1]?.eventId ?? 0;
  for (let cutAt = p.lastStart + 1; cutAt < p.size; cutAt += 1) {
    const dir = await copyJournal(t, p);
    await truncate(join(dir, p.name), cutAt);
    const { journal, recovered } = await Journal.open(journalOptions(dir));
    try {
      assert.deepEqual(recovered.events, p.kept, `cut at ${cutAt}`);
      assert.equal(recovered.lastEventId, lastKept);
      const torn = recovered.tornTail;
      assert.ok(torn !== undefined, `cut at ${cutAt}: tornTail reported`);
      assert.deepEqual({ file: torn.file, offset: torn.offset, bytes: torn.bytes }, { file: p.name, offset: p.lastStart, bytes: cutAt - p.lastStart });
      assert.deepEqual(await readFile(join(dir, torn.savedAs)), original.subarray(p.lastStart, cutAt));
      assert.equal((await stat(join(dir, p.name))).size, p.lastStart);
      // The journal carries on after the cut: a new append lands where the torn record was.
      const next = journal.append([event(99)]);
      await next.committed;
      assert.ok(next.lastEventId > lastKept);
    } finally {
      await journal.close();
    }
    const again = await Journal.open(journalOptions(dir));
    assert.equal(again.recovered.tornTail, undefined, 'a second start finds nothing to cut');
    assert.equal(again.recovered.events.length, p.kept.length + 1);
    await again.journal.close();
  }
});

test('a last record with a bad checksum that ends at the end of the file is cut off', async (t) => {
  const p = await pristine(t);
  for (const offset of [p.lastStart + 4, p.lastStart + 9, p.size - 1]) {
    const dir = await copyJournal(t, p);
    await flipBit(join(dir, p.name), offset, 3);
    const { journal, recovered } = await Journal.open(journalOptions(dir));
    await journal.close();
    assert.deepEqual(recovered.events, p.kept, `flip at ${offset}`);
    assert.equal(recovered.tornTail?.offset, p.lastStart);
  }
});

test('verify reports a torn tail without changing anything', async (t) => {
  const p = await pristine(t);
  const dir = await copyJournal(t, p);
  await truncate(join(dir, p.name), p.size - 3);
  const report = await verifyJournal(dir);
  assert.equal(report.ok, false);
  assert.equal(report.problems.length, 1);
  assert.deepEqual({ file: report.problems[0]?.file, offset: report.problems[0]?.offset }, { file: p.name, offset: p.lastStart });
  assert.match(report.problems[0]?.message ?? '', /torn last record/);
  assert.deepEqual(await readdir(dir), [p.name]);
  assert.equal((await stat(join(dir, p.name))).size, p.size - 3);
});
