import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPair } from '../helpers/pair.js';
import { addOrder, journalFiles, markerWorkflow, orderStates, waitForIdenticalJournals, waitForOrders } from '../helpers/pair-checks.js';

/*
 * The backup and restore procedure of the operator guide, as an operator would follow it:
 * copy a running node's journal files, later restore that copy into both nodes' empty
 * data directories with a watch that starts afresh, and the pair couples again with
 * exactly what the copy held.
 */
test('a copy of the journal taken while the pair runs restores both nodes to that point, and the pair couples again', async (t) => {
  const pair = await createPair();
  t.after(() => pair.cleanup());
  const marker = join(await mkdtemp(join(tmpdir(), 'tandem-restore-')), 'marker');
  await pair.couple();
  assert.equal((await pair.call(pair.primary, 'POST', '/command', markerWorkflow('restore/quick', marker, { seconds: 0, restartable: false }))).status, 200);
  const before = ['a-1', 'a-2', 'a-3'];
  for (const id of before) assert.equal(await addOrder(pair, pair.primary, id, 'restore/quick'), 200);
  await waitForOrders(pair, pair.primary, before, ['Finished']);

  // The backup: a snapshot first (the newest file then holds everything), then the journal files as they are.
  assert.equal((await pair.call(pair.primary, 'POST', '/command', { TYPE: 'TakeSnapshot' })).status, 200);
  const copy = await journalFiles(pair.primary);
  assert.ok(copy.size >= 1);

  const after = ['b-1', 'b-2'];
  for (const id of after) assert.equal(await addOrder(pair, pair.primary, id, 'restore/quick'), 200);
  await waitForOrders(pair, pair.backup, after, ['Finished']);

  // Restore: stop everything, empty both data directories and the watch's, put the copy into both.
  await pair.kill(pair.backup, 'SIGTERM');
  await pair.kill(pair.primary, 'SIGTERM');
  await pair.kill(pair.watch, 'SIGTERM');
  for (const dir of [pair.primary.dataDir, pair.backup.dataDir, pair.watch.dataDir]) {
    for (const name of await readdir(dir)) await rm(join(dir, name), { recursive: true, force: true });
  }
  for (const node of [pair.primary, pair.backup]) {
    await mkdir(join(node.dataDir, 'state'), { recursive: true });
    for (const [name, bytes] of copy) await writeFile(join(node.dataDir, 'state', name), bytes);
  }
  await pair.start(pair.primary);
  await pair.start(pair.backup);
  await pair.startWatch();
  await pair.waitForClusterState(pair.primary, 'Coupled', 30_000);
  await pair.waitForClusterState(pair.backup, 'Coupled', 30_000);

  for (const node of [pair.primary, pair.backup]) {
    const states = await orderStates(pair, node);
    for (const id of before) assert.equal(states.get(id), 'Finished', `${node.name} has ${id} from the copy`);
    for (const id of after) assert.equal(states.has(id), false, `${node.name} has nothing added after the copy (${id})`);
  }
  assert.equal(await addOrder(pair, pair.primary, 'c-1', 'restore/quick'), 200, 'the restored pair takes orders');
  await waitForOrders(pair, pair.backup, ['c-1'], ['Finished']);
  await waitForIdenticalJournals(pair);
});
