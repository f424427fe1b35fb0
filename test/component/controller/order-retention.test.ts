import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { asNodeId, hasCode, ManualClock, silentLogger } from '../../../src/common/index.js';
import { loadControllerConfig } from '../../../src/config/index.js';
import { Controller } from '../../../src/controller/index.js';
import { waitFor } from '../../helpers/wait.js';
import { allRecords } from '../journal/journal-fixture.js';

const user = { userId: 'retention-test', permissions: new Set(['SuperPermission']) };
const retentionMs = 60_000;

interface Node {
  readonly controller: Controller;
  readonly clock: ManualClock;
  readonly dataDir: string;
  reopen(): Promise<Node>;
}

/** A real controller (journal with fsync, read model) on a manual clock, with a one-minute order retention. */
async function openNode(t: TestContext): Promise<Node> {
  const base = await mkdtemp(join(tmpdir(), 'tandem-retention-'));
  t.after(() => rm(base, { recursive: true, force: true }));
  const configDir = join(base, 'config');
  const dataDir = join(base, 'data');
  await mkdir(configDir, { recursive: true });
  await writeFile(join(configDir, 'controller.conf'), 'js7.controller.order-retention = 1m\n');
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

/** The TYPEs of the events the node's journal holds for `orderId`, in order. */
async function journaledTypes(dataDir: string, orderId: string): Promise<string[]> {
  const types: string[] = [];
  for (const record of await allRecords(join(dataDir, 'state'))) {
    if (record.kind !== 'events') continue;
    for (const { event } of record.body) {
      const e = event as { TYPE: string; orderId?: string };
      if (e.orderId === orderId) types.push(e.TYPE);
    }
  }
  return types;
}

/**
 * Lets the driver's timer loop run after the clock moved: ManualClock fires the loop's
 * timer inside advance(), and the loop persists (appends and folds) before it awaits again,
 * so one turn of the event loop is enough for a due deletion to be in the state.
 */
async function loopTurn(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
}

test('a finished or cancelled order leaves the state once its retention has passed, a failed one stays, and the id can be used again', async (t) => {
  const { controller, clock, dataDir } = await openNode(t);
  await deploy(controller);
  await controller.executeCommand({ TYPE: 'AddOrder', order: { id: 'done', workflowPath: 'r/finish' } }, user);
  await controller.executeCommand({ TYPE: 'AddOrder', order: { id: 'failed', workflowPath: 'r/fail' } }, user);
  await controller.executeCommand({ TYPE: 'AddOrder', order: { id: 'cancelled', workflowPath: 'r/finish', scheduledFor: clock.now() + 3_600_000 } }, user);
  await controller.executeCommand({ TYPE: 'CancelOrders', orderIds: ['cancelled'] }, user);
  await waitFor('the orders to end', () =>
    stateOf(controller, 'done') === 'Finished' && stateOf(controller, 'failed') === 'Failed' && stateOf(controller, 'cancelled') === 'Cancelled' ? true : undefined,
  );

  clock.advance(retentionMs - 1);
  await loopTurn();
  assert.equal(stateOf(controller, 'done'), 'Finished', 'kept while the retention runs');
  const again = await controller.executeCommand({ TYPE: 'AddOrder', order: { id: 'done', workflowPath: 'r/finish' } }, user);
  assert.equal(again['duplicate'], true, 'while it is kept, the same AddOrder is a duplicate');

  clock.advance(1);
  await waitFor('the ended orders to leave the state', () => (controller.order('done') === undefined && controller.order('cancelled') === undefined ? true : undefined));
  assert.equal(stateOf(controller, 'failed'), 'Failed', 'a failed order may still be resumed, so it stays');
  assert.deepEqual((await journaledTypes(dataDir, 'done')).slice(-2), ['OrderFinished', 'OrderDeleted']);

  const reused = await controller.executeCommand({ TYPE: 'AddOrder', order: { id: 'done', workflowPath: 'r/finish' } }, user);
  assert.equal(reused['duplicate'], undefined, 'after the retention the id adds a new order');
  await waitFor('the new order to finish', () => (stateOf(controller, 'done') === 'Finished' ? true : undefined));
});

test('the retention counts from the event that ended the order, across a restart, and deletions are journaled', async (t) => {
  const first = await openNode(t);
  await deploy(first.controller);
  await first.controller.executeCommand({ TYPE: 'AddOrder', order: { id: 'early', workflowPath: 'r/finish' } }, user);
  await waitFor('early to finish', () => (stateOf(first.controller, 'early') === 'Finished' ? true : undefined));
  first.clock.advance(retentionMs);
  await waitFor('early to leave the state', () => (first.controller.order('early') === undefined ? true : undefined));
  await first.controller.executeCommand({ TYPE: 'AddOrder', order: { id: 'late', workflowPath: 'r/finish' } }, user);
  await waitFor('late to finish', () => (stateOf(first.controller, 'late') === 'Finished' ? true : undefined));
  first.clock.advance(retentionMs - 2);

  const second = await first.reopen();
  assert.equal(second.controller.order('early'), undefined, 'the deletion was journaled');
  await loopTurn();
  assert.equal(stateOf(second.controller, 'late'), 'Finished', 'the restart did not shorten the retention');
  second.clock.advance(1);
  await loopTurn();
  assert.equal(stateOf(second.controller, 'late'), 'Finished');
  second.clock.advance(1);
  await waitFor('late to leave the state at the end of its retention, not a retention after the restart', () =>
    second.controller.order('late') === undefined ? true : undefined,
  );
});

test('the job output of an order that left the state stays readable; an id never used is UnknownOrder', async (t) => {
  const { controller, clock } = await openNode(t);
  await controller.executeCommand({ TYPE: 'DeployWorkflow', workflow: { path: 'r/echo', instructions: [{ TYPE: 'Execute', job: { script: 'echo kept' } }] } }, user);
  await controller.executeCommand({ TYPE: 'AddOrder', order: { id: 'echo', workflowPath: 'r/echo' } }, user);
  await waitFor('echo to finish', () => (stateOf(controller, 'echo') === 'Finished' ? true : undefined));
  const before = await waitFor('the job output in the read model', async () => {
    const log = (await controller.jobLog('echo', undefined, 100)) as { chunk: string }[];
    return log.length > 0 ? log : undefined;
  });
  clock.advance(retentionMs);
  await waitFor('echo to leave the state', () => (controller.order('echo') === undefined ? true : undefined));
  assert.deepEqual(await controller.jobLog('echo', undefined, 100), before);
  assert.ok(before.some((e) => e.chunk.includes('kept')));
  await assert.rejects(controller.jobLog('never', undefined, 100), (err: unknown) => hasCode(err, 'UnknownOrder'));
});
