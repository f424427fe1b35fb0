import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { EventRead } from '../../../src/api/controller-port.js';
import type { EventId } from '../../../src/common/index.js';
import { waitFor } from '../../helpers/wait.js';
import { tempDir } from '../journal/journal-fixture.js';
import { clusterType, memoryPair, pairTiming, superUser } from './memory-pair.js';

const deploy = { TYPE: 'DeployWorkflow', workflow: { path: 'c/w', instructions: [{ TYPE: 'Finish' }] } };
// Scheduled an hour ahead: nothing else happens to the order while the test looks at it.
const addOrder = { TYPE: 'AddOrder', order: { id: 'o-1', workflowPath: 'c/w', scheduledFor: Date.now() + 3_600_000 } };

function shows(read: EventRead, orderId: string): boolean {
  return read.TYPE === 'NonEmpty' && read.stamped.some((s) => (s.event as { orderId?: string }).orderId === orderId);
}

/** Settles `promise` into a value a test can poll: undefined while pending. */
function outcomeOf(promise: Promise<unknown>): () => unknown {
  let outcome: unknown;
  promise.then(
    () => (outcome = 'answered'),
    (err: unknown) => (outcome = err),
  );
  return () => outcome;
}

void test('an active restarted in Coupled answers and shows what it wrote before it stopped only once the passive has it', async (t) => {
  const pair = await memoryPair(t);
  const { primary, backup, gate } = pair;
  await primary.node.executeCommand(deploy, superUser);
  const durableAt = (): EventId => (primary.node.clusterView(true) as { journal: { lastEventId: EventId } }).journal.lastEventId;
  const before = durableAt();

  // The passive gets no more journal bytes: the AddOrder is durable on the primary only, and not answered.
  gate.shut((frame) => frame.TYPE === 'Records');
  const first = outcomeOf(primary.node.executeCommand(addOrder, superUser));
  await waitFor('the AddOrder durable on the primary', () => (durableAt() > before ? true : undefined));
  assert.equal(first(), undefined);

  await pair.restartPrimary();
  assert.ok(primary.node.order('o-1') !== undefined, 'the restarted primary has the order in its journal');
  assert.equal(shows(primary.node.readEvents(before, 100), 'o-1'), false, 'event readers are not shown it');
  // The client retries (AddOrder is idempotent by id): a duplicate, answered only once the passive has the order.
  const retry = outcomeOf(primary.node.executeCommand(addOrder, superUser));
  await waitFor('the passive acknowledging to the restarted primary', () =>
    (primary.node.clusterView(true) as { lastHeartbeatAgeMs: number | null }).lastHeartbeatAgeMs !== null ? true : undefined,
  );
  assert.equal(retry(), undefined, 'not answered while the passive lacks the order');
  assert.equal(backup.node.order('o-1'), undefined);

  gate.open();
  assert.equal(await waitFor('the retry answered', retry), 'answered');
  assert.ok(backup.node.order('o-1') !== undefined, 'the passive has the order the client was told about');
  assert.equal(shows(primary.node.readEvents(before, 100), 'o-1'), true, 'and event readers are shown it now');
});

void test('a passive that answers but acknowledges nothing new is let go with the watch consent, so commits do not wait for ever', async (t) => {
  const { primary, backup, gate } = await memoryPair(t);
  await primary.node.executeCommand(deploy, superUser);
  // The passive stays connected (its acknowledgement stream sends heartbeats) but gets no more journal bytes.
  gate.shut((frame) => frame.TYPE === 'Records');
  const added = outcomeOf(primary.node.executeCommand(addOrder, superUser));
  assert.equal(await waitFor('the command committed without the passive', added, 5 * pairTiming.passiveLostMs), 'answered');
  assert.equal(clusterType(primary.node), 'PassiveLost');
  assert.equal(backup.node.order('o-1'), undefined, 'the passive never had the order');
  gate.open();
  await waitFor('the pair coupled again', () => (clusterType(primary.node) === 'Coupled' && backup.node.order('o-1') !== undefined ? true : undefined), 15_000);
});

void test('a job whose start the passive never acknowledged does not start after the active restarts: its order is Disrupted instead', async (t) => {
  const pair = await memoryPair(t);
  const { primary, backup, gate } = pair;
  const marker = join(await tempDir(t, 'tandem-pair-marker-'), 'runs');
  const script = `echo ran >> '${marker}'`;
  await primary.node.executeCommand({ TYPE: 'DeployWorkflow', workflow: { path: 'c/job', instructions: [{ TYPE: 'Execute', job: { script } }] } }, superUser);
  gate.shut((frame) => frame.TYPE === 'Records');
  void primary.node.executeCommand({ TYPE: 'AddOrder', order: { id: 'o-2', workflowPath: 'c/job' } }, superUser).catch(() => undefined);
  const stateOf = (): string | undefined => (primary.node.order('o-2') as { state?: { TYPE: string } } | undefined)?.state?.TYPE;
  await waitFor('the job start written on the primary (not committed: the passive lacks it)', () => (stateOf() === 'Processing' ? true : undefined));

  await pair.restartPrimary();
  gate.open();
  // Published in order: once the passive has the Disrupted outcome, the restarted primary has published the start before it.
  const backupState = (): string | undefined => (backup.node.order('o-2') as { state?: { TYPE: string } } | undefined)?.state?.TYPE;
  await waitFor('the passive has the order Disrupted', () => (backupState() === 'Disrupted' ? true : undefined));
  await primary.node.executeCommand({ TYPE: 'DeployWorkflow', workflow: { path: 'c/later', instructions: [{ TYPE: 'Finish' }] } }, superUser);
  assert.equal(stateOf(), 'Disrupted');
  const outcomes = (primary.node.order('o-2') as { outcomes?: { TYPE: string }[] }).outcomes ?? [];
  assert.equal(outcomes[0]?.TYPE, 'Disrupted', 'the outcome of the start nobody acknowledged is unknown');
  assert.equal(await readFile(marker, 'utf8').catch(() => ''), '', 'the job never ran');
});
