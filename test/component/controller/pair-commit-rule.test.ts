import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { EventRead } from '../../../src/api/controller-port.js';
import type { EventId } from '../../../src/common/index.js';
import { waitFor } from '../../helpers/wait.js';
import { tempDir } from '../journal/journal-fixture.js';
import { backupUri, clusterType, memoryPair, pairTiming, superUser } from './memory-pair.js';

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

void test('an active restarted after writing a SwitchedOver the passive never got hands over once the passive has it, instead of leaving no node active', async (t) => {
  const pair = await memoryPair(t, { primary: { licensed: true }, backup: { licensed: true } });
  const { primary, backup, gate } = pair;
  await primary.node.executeCommand(deploy, superUser);
  // The SwitchedOver goes into a new file that the passive does not get.
  const first = (primary.node.clusterView(true) as { journal: { fileEventId: EventId } }).journal.fileEventId;
  gate.shut((frame) => frame.fileEventId > first);
  await primary.node.executeCommand({ TYPE: 'TakeSnapshot' }, superUser);
  const switchover = outcomeOf(primary.node.executeCommand({ TYPE: 'ClusterSwitchOver' }, superUser));
  await waitFor('the SwitchedOver written on the primary', () => (clusterType(primary.node) === 'SwitchedOver' ? true : undefined));
  assert.equal(switchover(), undefined, 'not answered: the passive has not acknowledged it');

  await pair.restartPrimary();
  gate.open();
  const isActive = (node: typeof primary.node): boolean => (node.clusterView(true) as { isActive?: boolean }).isActive === true;
  await waitFor('the backup active', () => (isActive(backup.node) ? true : undefined), 15_000);
  await waitFor('the primary passive', () => ((primary.node.clusterView(true) as { role?: { TYPE: string } }).role?.TYPE === 'Passive' ? true : undefined));
  assert.equal(isActive(primary.node), false);
  assert.equal((backup.node.clusterView(true) as { epoch: number }).epoch, 1, 'the epoch of the switchover');
  const added = outcomeOf(backup.node.executeCommand(addOrder, superUser));
  assert.equal(await waitFor('the new active committing', added, 15_000), 'answered');
});

void test('a switchover whose acknowledgement stream breaks waits for the other node, and does not take its own word for it', async (t) => {
  const { primary, backup, gate, network } = await memoryPair(t, { primary: { licensed: true }, backup: { licensed: true } });
  await primary.node.executeCommand(deploy, superUser);
  gate.shut((frame) => frame.TYPE === 'Records');
  const switchover = outcomeOf(primary.node.executeCommand({ TYPE: 'ClusterSwitchOver' }, superUser));
  await waitFor('the SwitchedOver written on the primary', () => (clusterType(primary.node) === 'SwitchedOver' ? true : undefined));
  // The primary's acknowledgement stream from the backup breaks; it asks again — the backup, not itself.
  network.cut(backupUri);
  const cutAt = performance.now();
  const lastHeard = (): number | null => (primary.node.clusterView(true) as { lastHeartbeatAgeMs?: number | null }).lastHeartbeatAgeMs ?? null;
  await waitFor('an acknowledgement frame from the backup after the cut', () => {
    const age = lastHeard();
    return age !== null && age + 5 < performance.now() - cutAt ? true : undefined;
  });
  assert.equal((primary.node.clusterView(true) as { role?: { TYPE: string } }).role?.TYPE, 'Active', 'still the active node, handing over');
  assert.equal(switchover(), undefined);

  gate.open();
  assert.equal(await waitFor('the switchover answered', switchover, 15_000), 'answered');
  await waitFor('the backup active', () => ((backup.node.clusterView(true) as { isActive?: boolean }).isActive === true ? true : undefined), 15_000);
});

void test('after a switchover the new passive restarts as the passive, also while its last cluster event is the SwitchedOver it wrote', async (t) => {
  const pair = await memoryPair(t, { primary: { licensed: true }, backup: { licensed: true } });
  const { primary, backup } = pair;
  await primary.node.executeCommand(deploy, superUser);
  const switchover = outcomeOf(primary.node.executeCommand({ TYPE: 'ClusterSwitchOver' }, superUser));
  assert.equal(await waitFor('the switchover answered', switchover, 15_000), 'answered');
  await waitFor('the backup active', () => ((backup.node.clusterView(true) as { isActive?: boolean }).isActive === true ? true : undefined), 15_000);
  // The new active's events follow the SwitchedOver in the old active's journal, and no cluster event yet.
  assert.equal(await waitFor('an order added on the new active', outcomeOf(backup.node.executeCommand(addOrder, superUser)), 15_000), 'answered');
  await waitFor('the old active has it', () => (primary.node.order('o-1') !== undefined ? true : undefined));

  await pair.restartPrimary();
  assert.equal((primary.node.clusterView(true) as { role?: { TYPE: string } }).role?.TYPE, 'Passive');
  const second = { TYPE: 'AddOrder', order: { ...addOrder.order, id: 'o-2' } };
  assert.equal(await waitFor('the pair committing again', outcomeOf(backup.node.executeCommand(second, superUser)), 15_000), 'answered');
  await waitFor('the restarted passive has it', () => (primary.node.order('o-2') !== undefined ? true : undefined));
});
