import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { assertNothingLost, coupledScenario, waitForProblem } from '../helpers/failover-scenario.js';
import { addOrder, assertJournalsPrefixConsistent, nodeState, orderStates, waitForIdenticalJournals, waitForPassiveCoupled, waitUntilActive } from '../helpers/pair-checks.js';
import type { Pair, PairLicence } from '../helpers/pair.js';
import { waitFor } from '../helpers/wait.js';

/** An AddOrder that may never be answered; resolves with its status, or 0 when the connection failed. */
function pendingOrder(pair: Pair, node: Pair['primary'], id: string): Promise<number> {
  return addOrder(pair, node, id, 'fo/restartable').catch(() => 0);
}

async function assertNotActive(pair: Pair, node: Pair['primary']): Promise<void> {
  assert.equal((await pair.call(node, 'GET', '/health/active')).status, 503, `${node.name} does not act`);
}

test('only the active web server unreachable: the backup fails over, the old active stops on the refused ack stream and rejoins', async (t) => {
  const s = await coupledScenario(t, { proxied: true });
  const { pair } = s;
  const net = pair.net!;
  assert.equal(await addOrder(pair, pair.primary, 'before', 'fo/restartable'), 200);
  // Nobody reaches the primary; the primary still reaches the backup.
  net.toPrimary.block();
  net.watchToPrimary.block();
  await waitUntilActive(pair, pair.backup);
  await waitFor('the old active to stop acting', async () => ((await pair.call(pair.primary, 'GET', '/health/active')).status === 503 ? true : undefined));
  const refused = await pair.call(pair.primary, 'POST', '/command', { TYPE: 'AddOrder', order: { id: 'stale', workflowPath: 'fo/restartable' } });
  assert.equal(refused.status, 503, 'the old active commits nothing');
  assert.equal(refused.body['code'], 'ClusterNodeIsNotActive');
  assert.equal(await addOrder(pair, pair.backup, 'after', 'fo/restartable'), 200);
  net.toPrimary.heal();
  net.watchToPrimary.heal();
  await waitForPassiveCoupled(pair, pair.primary);
  await assertNothingLost(s, ['before', 'after'], pair.primary);
  assert.equal((await orderStates(pair, pair.primary)).has('stale'), false);
  await waitForIdenticalJournals(pair);
});

test('a planned shutdown the passive never acknowledged: the passive fails over, and the restarted old active does not act alone', async (t) => {
  const s = await coupledScenario(t, { proxied: true });
  const { pair } = s;
  const net = pair.net!;
  assert.equal(await addOrder(pair, pair.primary, 'before', 'fo/restartable'), 200);
  // Neither the backup nor the watch hears the primary any more: its ActiveShutDown reaches no one.
  net.toPrimary.block();
  net.watchToPrimary.block();
  assert.equal((await pair.call(pair.primary, 'POST', '/command', { TYPE: 'ShutDown' })).status, 200);
  assert.equal(await pair.primary.process!.exited, 0);
  pair.primary.process = undefined;
  await waitUntilActive(pair, pair.backup);
  assert.equal(await addOrder(pair, pair.backup, 'after', 'fo/restartable'), 200);
  await pair.start(pair.primary);
  // Its journal says it shut down on purpose, but nobody acknowledged that: it must not commit alone.
  const attempt = await pendingOrder(pair, pair.primary, 'stale');
  assert.notEqual(attempt, 200, 'the restarted old active acknowledged nothing');
  net.toPrimary.heal();
  net.watchToPrimary.heal();
  await waitForPassiveCoupled(pair, pair.primary);
  assert.equal((await orderStates(pair, pair.backup)).has('stale'), false);
  await assertNothingLost(s, ['before', 'after'], pair.primary);
  await waitForIdenticalJournals(pair);
});

test('a partition between the nodes with the watch reachable from both: exactly one side acts', async (t) => {
  const s = await coupledScenario(t, { proxied: true });
  const { pair } = s;
  const net = pair.net!;
  net.toPrimary.block();
  net.toBackup.block();
  await pair.waitForClusterState(pair.primary, 'PassiveLost');
  assert.equal(await addOrder(pair, pair.primary, 'alone', 'fo/restartable'), 200, 'the primary goes on alone with consent');
  await waitForProblem(pair, pair.backup, /failing over was refused: PassiveLost was granted/);
  await assertNotActive(pair, pair.backup);
  net.toPrimary.heal();
  net.toBackup.heal();
  await pair.waitForClusterState(pair.primary, 'Coupled');
  await waitForPassiveCoupled(pair, pair.backup);
  await assertNothingLost(s, ['alone'], pair.backup);
  await waitForIdenticalJournals(pair);
});

test('a watch restarted without its state while the active is cut off: no one acts until the operator confirms the loss', async (t) => {
  const s = await coupledScenario(t, { proxied: true });
  const { pair } = s;
  const net = pair.net!;
  assert.equal(await addOrder(pair, pair.primary, 'before', 'fo/restartable'), 200);
  await pair.kill(pair.watch, 'SIGKILL');
  await rm(join(pair.watch.dataDir, 'watch-state.json'));
  net.toPrimary.block();
  net.toBackup.block();
  net.watchToPrimary.block();
  await pair.startWatch();
  // The primary cannot get its acknowledgement nor consent: it commits nothing.
  const waiting = pendingOrder(pair, pair.primary, 'cut-off');
  await waitForProblem(pair, pair.backup, /failing over was refused: the watch is untaught/);
  await assertNotActive(pair, pair.backup);
  // As an operator would: the CLI asks both nodes and sends the confirmation to the one that survives.
  const confirm = await pair.cli('confirm-loss', '--lost', 'Primary');
  assert.equal(confirm.code, 0, confirm.stderr);
  assert.match(confirm.stdout, /Backup at \S+ may now act without Primary/);
  await waitUntilActive(pair, pair.backup);
  assert.equal(await addOrder(pair, pair.backup, 'after', 'fo/restartable'), 200);
  net.toPrimary.heal();
  net.toBackup.heal();
  net.watchToPrimary.heal();
  await waitForPassiveCoupled(pair, pair.primary);
  assert.notEqual(await waiting, 200, 'the cut-off primary never acknowledged its order');
  assert.equal((await orderStates(pair, pair.backup)).has('cut-off'), false);
  await assertNothingLost(s, ['before', 'after'], pair.primary);
  await waitForIdenticalJournals(pair);
});

test('the active stopped with SIGSTOP longer than the timeout, then continued: it commits nothing in the old epoch and rejoins', async (t) => {
  const s = await coupledScenario(t);
  const { pair } = s;
  assert.equal(await addOrder(pair, pair.primary, 'before', 'fo/restartable'), 200);
  const epoch = (await nodeState(pair, pair.backup))['epoch'] as number;
  const stopped = pair.primary.process!.child;
  stopped.kill('SIGSTOP');
  t.after(() => void stopped.kill('SIGCONT'));
  await waitUntilActive(pair, pair.backup);
  assert.equal(await addOrder(pair, pair.backup, 'after', 'fo/restartable'), 200);
  // Sent while it sleeps: the first thing the old active sees when it wakes.
  const stale = pendingOrder(pair, pair.primary, 'stale');
  stopped.kill('SIGCONT');
  assert.notEqual(await stale, 200, 'the old active acknowledged nothing in its old epoch');
  await waitForPassiveCoupled(pair, pair.primary);
  assert.equal((await nodeState(pair, pair.primary))['epoch'], epoch + 1);
  assert.equal((await orderStates(pair, pair.primary)).has('stale'), false, 'what it wrote after waking was cut');
  await assertNothingLost(s, ['before', 'after'], pair.primary);
  await waitForIdenticalJournals(pair);
});

for (const licence of ['none', 'expired'] as const satisfies readonly PairLicence[]) {
  test(`${licence === 'none' ? 'no licence' : 'an expired licence'}: no automatic failover and no switchover, but a confirmed loss fails over and fencing works`, async (t) => {
    const s = await coupledScenario(t, { licence });
    const { pair } = s;
    const licenceState = (await nodeState(pair, pair.backup))['licence'] as { TYPE: string };
    assert.equal(licenceState.TYPE, licence === 'none' ? 'Missing' : 'Expired');
    const switchover = await pair.call(pair.primary, 'POST', '/command', { TYPE: 'ClusterSwitchOver' });
    assert.equal(switchover.body['code'], licence === 'none' ? 'LicenceMissing' : 'LicenceExpired', JSON.stringify(switchover.body));
    assert.equal(await addOrder(pair, pair.primary, 'before', 'fo/restartable'), 200);
    await pair.kill(pair.primary, 'SIGKILL');
    await waitForProblem(pair, pair.backup, licence === 'none' ? /failing over was refused: No licence/ : /failing over was refused: The licence \S+ expired/);
    await assertNotActive(pair, pair.backup);
    if (licence === 'expired') assert.match(pair.backup.process!.output(), /expired on/, 'the log says the licence expired');
    assert.equal((await pair.call(pair.backup, 'POST', '/command', { TYPE: 'ConfirmClusterNodeLoss', lostNodeId: 'Primary' })).status, 200);
    await waitUntilActive(pair, pair.backup);
    await pair.start(pair.primary);
    await waitForPassiveCoupled(pair, pair.primary);
    await assertNothingLost(s, ['before'], pair.backup);
    await assertJournalsPrefixConsistent(pair);
  });
}
