import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { asNodeId, ManualClock, silentLogger } from '../../../src/common/index.js';
import { loadControllerConfig } from '../../../src/config/index.js';
import { Controller } from '../../../src/controller/index.js';
import { ReadModel, type ReadModelOptions } from '../../../src/readmodel/index.js';
import { waitFor } from '../../helpers/wait.js';
import { heldReadModel } from './held-read-model.js';

const user = { userId: 'release-test', permissions: new Set(['SuperPermission']) };

void test('a node deletes a replaced journal file only once its read model holds the events in it; a restart fills the read model from that file', async (t) => {
  const base = await mkdtemp(join(tmpdir(), 'tandem-release-'));
  t.after(() => rm(base, { recursive: true, force: true }));
  const configDir = join(base, 'config');
  await mkdir(configDir, { recursive: true });
  await writeFile(join(configDir, 'controller.conf'), '');
  const config = loadControllerConfig({ configDir, env: {} });
  const stateDir = join(base, 'data', 'state');
  const journalFiles = async (): Promise<string[]> => (await readdir(stateDir)).filter((f) => f.endsWith('.journal'));
  const open = (openReadModel: (options: ReadModelOptions) => Promise<ReadModel>): Promise<Controller> =>
    Controller.open({ config, dataDir: join(base, 'data'), nodeId: asNodeId('Primary'), version: 'test', clock: new ManualClock(), logger: silentLogger(), onStop: () => undefined, openReadModel });
  const addOrder = async (controller: Controller, id: string): Promise<void> => {
    await controller.executeCommand({ TYPE: 'AddOrder', order: { id, workflowPath: 'r/finish' } }, user);
    await waitFor(`${id} finished`, () => ((controller.order(id) as { state?: { TYPE: string } } | undefined)?.state?.TYPE === 'Finished' ? true : undefined));
  };

  // A process whose read model never got to store anything before it stopped (as a SIGKILL leaves it).
  const held = heldReadModel();
  const first = await open(held.open);
  await first.executeCommand({ TYPE: 'DeployWorkflow', workflow: { path: 'r/finish', instructions: [{ TYPE: 'Finish' }] } }, user);
  await addOrder(first, 'before-snapshot');
  await first.executeCommand({ TYPE: 'TakeSnapshot' }, user);
  await addOrder(first, 'after-snapshot');
  held.discard();
  held.release();
  await first.close();
  assert.equal((await journalFiles()).length, 2, 'the replaced file stays: the read model never stored its events');

  let model: ReadModel | undefined;
  const second = await open(async (options) => (model = await ReadModel.open(options)));
  t.after(() => second.close());
  assert.deepEqual((await model!.history()).map((h) => h.orderId), ['before-snapshot', 'after-snapshot'], 'the restart filled the read model from both files');
  await addOrder(second, 'later');
  await waitFor('the replaced file deleted now that the read model holds its events', async () => ((await journalFiles()).length === 1 ? true : undefined));
});
