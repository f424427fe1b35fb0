import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Journal } from '../../../src/journal/index.js';
import { event, journalOptions, openJournal, rejectsWith, tempDir, within } from './journal-fixture.js';

const holderPath = fileURLToPath(new URL('./lock-holder.js', import.meta.url));

/** Starts the lock holder on `dir` and resolves once it holds the journal. */
async function startHolder(t: TestContext, dir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [holderPath, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = once(child, 'exit');
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (b: Buffer) => {
      if (b.toString().includes('ready')) resolve();
    });
    void exited.then(() => reject(new Error(`lock holder exited early: ${stderr}`)));
  });
  await within(15_000, 'the lock holder to be ready', ready);
  return child;
}

test('a second open in the same process is refused while the first holds the journal', async (t) => {
  const dir = await tempDir(t);
  const { journal } = await openJournal(t, journalOptions(dir));
  await rejectsWith(Journal.open(journalOptions(dir)), 'JournalLocked');
  await journal.close();
  const again = await Journal.open(journalOptions(dir));
  await again.journal.close();
});

test('a live process holding the journal makes open refuse; once SIGKILLed its stale lock is taken over', async (t) => {
  const dir = await tempDir(t);
  const holder = await startHolder(t, dir);
  const err = await rejectsWith(Journal.open(journalOptions(dir)), 'JournalLocked');
  assert.equal(err.arguments['pid'], holder.pid);
  assert.match(err.message, new RegExp(String(holder.pid)));

  const exited = once(holder, 'exit');
  holder.kill('SIGKILL');
  await exited;
  const { journal, recovered } = await openJournal(t, journalOptions(dir));
  assert.deepEqual(recovered.events.map((s) => s.event), [0, 1, 2].map((i) => ({ TYPE: 'Held', i })));
  assert.equal((await readFile(join(dir, 'journal.lock'), 'utf8')).trim(), String(process.pid));
  await journal.append([event(1)]).committed;
});

test('a lock naming a process that has exited is taken over', async (t) => {
  const dir = await tempDir(t);
  const gone = spawn(process.execPath, ['-e', '']);
  await once(gone, 'exit');
  await writeFile(join(dir, 'journal.lock'), `${gone.pid}\n`);
  const { journal } = await openJournal(t, journalOptions(dir));
  await journal.close();
  assert.deepEqual(await readdir(dir), ['controller--0.journal'], 'close removes the lock');
});

test('a closed journal refuses appends and rotations; close is idempotent', async (t) => {
  const dir = await tempDir(t);
  const { journal } = await openJournal(t, journalOptions(dir));
  const pending = journal.append([event(1)]);
  const closed = journal.close();
  assert.equal(journal.close(), closed);
  await closed;
  await pending.committed; // close flushed it
  assert.throws(() => journal.append([event(2)]), { code: 'ShuttingDown' });
  await rejectsWith(journal.rotate(), 'ShuttingDown');
  await journal[Symbol.asyncDispose]();
  const { journal: reopened, recovered } = await openJournal(t, journalOptions(dir));
  assert.deepEqual(recovered.events, pending.stamped);
  await reopened.close();
});
