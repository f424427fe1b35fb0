import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { asNodeId, ManualClock, silentLogger } from '../../../src/common/index.js';
import { loadControllerConfig } from '../../../src/config/index.js';
import { Controller } from '../../../src/controller/index.js';
import { inspectJournal } from '../../../src/journal/index.js';
import { waitFor } from '../../helpers/wait.js';

const user = { userId: 'retention-test', permissions: new Set(['SuperPermission']) };
const retentionMs = 10_000;

interface Node {
  readonly controller: Controller;
  readonly clock: ManualClock;
  readonly dataDir: string;
  reopen(): Promise<Node>;
}

/** A real controller (journal with fsync, read model) on a manual clock, with a 10 s order retention. */
async function openNode(t: TestContext): Promise<Node> {
  const base = await mkdtemp(join(tmpdir(), 'tandem-retention-'));
  t.after(() => rm(base, { recursive: true, force: true }));
  const configDir = join(base, 'config');
  const dataDir = join(base, 'data');
  await mkdir(configDir, { recursive: true });
  await writeFile(join(configDir, 'controller.conf'), 'js7.controller.order-retention = 10s\n');
  const config = loadControllerConfig({ configDir, env: {} });
  const open = async (clock: ManualClock): Promise<Node> => {
    const controller = await Controller.open({ config, dataDir, nodeId: asNodeId('Primary'), version: 'test', clock, logger: silentLogger(), onStop: () => undefined });
    t.after(() => controller.close());
    return {
      controller,
      clock,
      dataDir,
      reopen: async () => {
        await controller.close();
        return open(clock);
      },
    };
  };
  return open(new ManualClock());
}

function stateOf(controller: Controller, orderId: string): string | undefined {
  return (controller.order(orderId) as { state?: { TYPE: string } } | undefined)?.state?.TYPE;
}

async function deploy(controller: Controller): Promise<void> {
  await controller.executeCommand({ TYPE: 'DeployWorkflow', workflow: { path: 'r/finish', instructions: [{ TYPE: 'Finish' }] } }, user);
  await controller.executeCommand({ TYPE: 'DeployWorkflow', workflow: { path: 'r/fail', instructions: [{ TYPE: 'Fail', message: 'on purpose' }] } }, user);
}

test('a finished order leaves the state once its retention has passed, a failed one stays, and the id can be used again', async (t) => {
  const { controller, clock, dataDir } = await openNode(t);
  await deploy(controller);
  await controller.executeCommand({ TYPE: 'AddOrder', order: { id: 'done', workflowPath: 'r/finish' } }, user);
  await controller.executeCommand({ TYPE: 'AddOrder', order: { id: 'failed', workflowPath: 'r/fail' } }, user);
  await waitFor('both orders to end', () => (stateOf(controller, 'done') === 'Finished' && stateOf(controller, 'failed') === 'Failed' ? true : undefined));

  clock.advance(retentionMs - 1);
  // The driver's timer loop has had its turn: nothing is due yet.
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(stateOf(controller, 'done'), 'Finished', 'kept while the retention runs');
  const again = await controller.executeCommand({ TYPE: 'AddOrder', order: { id: 'done', workflowPath: 'r/finish' } }, user);
  assert.equal(again['duplicate'], true, 'while it is kept, the same AddOrder is a duplicate');

  clock.advance(1);
  await waitFor('the finished order to leave the state', () => (controller.order('done') === undefined ? true : undefined));
  assert.equal(stateOf(controller, 'failed'), 'Failed', 'a failed order may still be resumed, so it stays');
  const journal = await inspectJournal(join(dataDir, 'state'));
  assert.ok(journal.events > 0);

  const reused = await controller.executeCommand({ TYPE: 'AddOrder', order: { id: 'done', workflowPath: 'r/finish' } }, user);
  assert.equal(reused['duplicate'], undefined, 'after the retention the id adds a new order');
  await waitFor('the new order to finish', () => (stateOf(controller, 'done') === 'Finished' ? true : undefined));
});

test('after a restart the deletions are in the journal, and orders that ended before it are kept a full retention from the start', async (t) => {
  const first = await openNode(t);
  await deploy(first.controller);
  await first.controller.executeCommand({ TYPE: 'AddOrder', order: { id: 'early', workflowPath: 'r/finish' } }, user);
  await waitFor('early to finish', () => (stateOf(first.controller, 'early') === 'Finished' ? true : undefined));
  first.clock.advance(retentionMs);
  await waitFor('early to leave the state', () => (first.controller.order('early') === undefined ? true : undefined));
  await first.controller.executeCommand({ TYPE: 'AddOrder', order: { id: 'late', workflowPath: 'r/finish' } }, user);
  await waitFor('late to finish', () => (stateOf(first.controller, 'late') === 'Finished' ? true : undefined));
  first.clock.advance(retentionMs - 1);

  const second = await first.reopen();
  assert.equal(second.controller.order('early'), undefined, 'the deletion was journaled');
  assert.equal(stateOf(second.controller, 'late'), 'Finished');
  second.clock.advance(retentionMs - 1);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(stateOf(second.controller, 'late'), 'Finished', 'the retention counts again from the start');
  second.clock.advance(1);
  await waitFor('late to leave the state', () => (second.controller.order('late') === undefined ? true : undefined));
});
