import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readJournalView } from '../../chaos/journals.js';
import { journalOptions, openJournal, tempDir } from './journal-fixture.js';

/*
 * The chaos suite reads the nodes' journals with the project's reader: events get their
 * epoch and actor from the cluster events before them, and the base comes from the
 * snapshot of the oldest file still there.
 */
test('a node journal read for the chaos checkers: epochs folded through real records, the base from the oldest snapshot', async (t) => {
  const dataDir = await tempDir(t);
  const dir = join(dataDir, 'state');
  await mkdir(dir);
  let snapshot: unknown[] = [{ TYPE: 'ControllerMetaSnapshot', lastEventId: 0, cluster: { TYPE: 'Empty' }, epoch: 0 }];
  const { journal } = await openJournal(t, journalOptions(dir, { snapshot: () => snapshot }));
  await journal.append([{ TYPE: 'ClusterNodesAppointed', idToUri: {}, activeId: 'Primary' }]).committed;
  await journal.append([{ TYPE: 'OrderAdded', orderId: 'a' }, { TYPE: 'OrderStarted', orderId: 'a' }]).committed;
  await journal.append([{ TYPE: 'ClusterFailedOver', activeId: 'Backup', lostNodeId: 'Primary', failedAt: { fileEventId: 0, position: 0, eventId: 0 } }]).committed;
  await journal.append([{ TYPE: 'OrderProcessingStarted', orderId: 'a', attempt: 1 }]).committed;

  let view = await readJournalView('Backup', dataDir);
  assert.deepEqual(
    view.events.map((e) => [e.event.TYPE, e.record, e.epoch, e.activeId]),
    [
      ['ClusterNodesAppointed', 0, 0, 'Primary'],
      ['OrderAdded', 1, 0, 'Primary'],
      ['OrderStarted', 1, 0, 'Primary'],
      ['ClusterFailedOver', 2, 1, 'Backup'],
      ['OrderProcessingStarted', 3, 1, 'Backup'],
    ],
  );
  assert.deepEqual(view.base, { epoch: 0, activeId: 'Primary', orderIds: [] });
  assert.equal(view.files.size, 1);

  // A newer file whose snapshot is in epoch 1; the older file deleted, as after a rotation.
  snapshot = [
    { TYPE: 'ControllerMetaSnapshot', lastEventId: 0, cluster: { TYPE: 'FailedOver', setting: { idToUri: {}, activeId: 'Backup' } }, epoch: 1 },
    { TYPE: 'OrderSnapshot', order: { id: 'a' } },
  ];
  await journal.rotate();
  await journal.append([{ TYPE: 'OrderAdded', orderId: 'b' }]).committed;
  await journal.close();
  // The journal deletes the older file itself once the newer one is durable (as it does without a backup); make sure.
  const files = (await readdir(dir)).filter((n) => n.endsWith('.journal')).sort((p, q) => p.length - q.length || p.localeCompare(q));
  for (const older of files.slice(0, -1)) await rm(join(dir, older));
  const oldest = 'controller--0.journal';
  await writeFile(join(dir, `${oldest}.cut-FailedOver-1`), 'cut bytes');
  await writeFile(join(dir, 'controller--9.journal.torn-120'), 'torn bytes');

  view = await readJournalView('Backup', dataDir);
  assert.deepEqual(view.base, { epoch: 1, activeId: 'Backup', orderIds: ['a'] });
  assert.deepEqual(
    view.events.map((e) => [e.event.TYPE, e.epoch, e.activeId]),
    [['OrderAdded', 1, 'Backup']],
  );
  assert.deepEqual(view.cutFiles, [`${oldest}.cut-FailedOver-1`]);
  assert.deepEqual(view.tornFiles, ['controller--9.journal.torn-120']);
  assert.equal(view.files.size, 1, 'only *.journal files are compared');
});
