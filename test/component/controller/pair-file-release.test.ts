import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EventId } from '../../../src/common/index.js';
import { waitFor } from '../../helpers/wait.js';
import { heldReadModel } from './held-read-model.js';
import { journalFiles, memoryPair, primaryUri, superUser } from './memory-pair.js';

void test('the active keeps a replaced journal file until the passive has acknowledged an event of the newer file, so a passive that reconnects in between goes on', async (t) => {
  const held = heldReadModel();
  held.release();
  const { primary, backup, gate, network } = await memoryPair(t, { primary: { openReadModel: held.open } });
  const deploy = (n: number) => primary.node.executeCommand({ TYPE: 'DeployWorkflow', workflow: { path: `r/w${n}`, instructions: [{ TYPE: 'Finish' }] } }, superUser);
  await deploy(1);
  // The last event of the first file: committed, so the passive acknowledged it; the primary's read model has not stored it yet.
  held.hold();
  await deploy(2);
  const [firstFile] = await journalFiles(primary);
  assert.ok(firstFile !== undefined);
  const journal = (primary.node.clusterView(true) as { journal?: { fileEventId: EventId; lastEventId: EventId } }).journal;
  assert.ok(journal !== undefined, 'the active names its journal position');
  // The passive gets nothing of the newer file until the gate opens.
  gate.shut((frame) => frame.fileEventId > journal.fileEventId);
  await primary.node.executeCommand({ TYPE: 'TakeSnapshot' }, superUser);
  assert.equal((await journalFiles(primary)).length, 2);
  // Now the read model stores the last event of the first file: the moment the active used to delete that file.
  held.release();
  await waitFor("the primary's read model to hold the first file's events", () => (held.models[0]!.lastEventId >= journal.lastEventId ? true : undefined));
  assert.deepEqual((await journalFiles(primary))[0], firstFile, 'the first file stays: the passive lacks the start of the newer one');

  // The passive's connection breaks before it got the newer file: it asks again for the end of the first file.
  network.cut(primaryUri);
  gate.open();
  let committed: unknown;
  deploy(3).then(() => (committed = true), (err: unknown) => (committed = err));
  assert.equal(await waitFor('a command committed by the pair again', () => committed), true);
  await waitFor('the backup holds both files as the primary does', async () => {
    const [p, b] = [await journalFiles(primary), await journalFiles(backup)];
    return b.length > 0 && p.at(-1) === b.at(-1) ? true : undefined;
  });
  await waitFor('the first file deleted once the passive acknowledged an event of the newer one', async () =>
    (await journalFiles(primary)).includes(firstFile) ? undefined : true,
  );
});
