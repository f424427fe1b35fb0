import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertNothingLost, coupledScenario, waitForJobStart, type Scenario } from '../helpers/failover-scenario.js';
import { pairConf, type PairNode } from '../helpers/pair.js';
import {
  addOrder,
  assertJournalsPrefixConsistent,
  cutFiles,
  journalFiles,
  markerLines,
  nodeState,
  orderStates,
  waitForPassiveCoupled,
  waitForIdenticalJournals,
  waitForOrders,
  waitUntilActive,
} from '../helpers/pair-checks.js';
import { waitFor } from '../helpers/wait.js';

/** The ticks of schedule `every-second` that made orders on `node`, in order; asserts there is no gap of a second or more between them. */
async function assertEveryTickOnce(pair: Scenario['pair'], node: PairNode): Promise<number> {
  const ticks = [...(await orderStates(pair, node)).keys()]
    .filter((id) => id.startsWith('every-second#'))
    .map((id) => Date.parse(id.slice('every-second#'.length)))
    .sort((a, b) => a - b);
  assert.ok(ticks.length >= 3, `the schedule fired: ${ticks.length} ticks`);
  for (let i = 1; i < ticks.length; i++) assert.equal(ticks[i]! - ticks[i - 1]!, 1000, `a tick is missing or doubled after ${new Date(ticks[i - 1]!).toISOString()}`);
  return ticks.length;
}

test('SIGKILL of the active during running jobs: the backup takes over, finishes what it may, the old primary rejoins, and the pair switches back', async (t) => {
  const s = await coupledScenario(t);
  const { pair } = s;
  // A schedule firing every second across the failover: no tick may be lost or fired twice.
  const tickFlow = { TYPE: 'DeployWorkflow', workflow: { path: 'fo/tick', instructions: [{ TYPE: 'Finish' }] } };
  assert.equal((await pair.call(pair.primary, 'POST', '/command', tickFlow)).status, 200);
  const schedule = { TYPE: 'DeploySchedule', schedule: { id: 'every-second', workflowPath: 'fo/tick', cron: '* * * * * *' } };
  assert.equal((await pair.call(pair.primary, 'POST', '/command', schedule)).status, 200);
  const acknowledged: string[] = [];
  for (const [id, path] of [['again-1', 'fo/restartable'], ['once-1', 'fo/once']] as const) {
    assert.equal(await addOrder(pair, pair.primary, id, path), 200);
    acknowledged.push(id);
  }
  await waitForJobStart(s.marker, 'again-1');
  await waitForJobStart(s.marker, 'once-1');

  const epoch = (await nodeState(pair, pair.backup))['epoch'] as number;
  await pair.kill(pair.primary, 'SIGKILL');
  await waitUntilActive(pair, pair.backup);
  assert.equal(await addOrder(pair, pair.backup, 'after-1', 'fo/restartable'), 200, 'the backup commits and answers');
  acknowledged.push('after-1');
  const states = await waitForOrders(pair, pair.backup, ['again-1', 'after-1', 'once-1'], ['Finished', 'Disrupted']);
  assert.equal(states.get('again-1'), 'Finished', 'the restartable job ran again on the backup');
  assert.equal(states.get('once-1'), 'Disrupted', 'the non-restartable job is not started again');
  assert.equal(states.get('after-1'), 'Finished');
  assert.equal((await nodeState(pair, pair.backup))['epoch'], epoch + 1, 'the failover raised the epoch');
  const starts = (await markerLines(s.marker)).filter((l) => l.startsWith('start again-1 '));
  assert.deepEqual(starts, [`start again-1 ${epoch}`, `start again-1 ${epoch + 1}`], 'the restartable job ran again, in the new epoch');

  await pair.start(pair.primary);
  await waitForPassiveCoupled(pair, pair.primary);
  await pair.waitForClusterState(pair.backup, 'Coupled');
  assert.equal((await pair.call(pair.primary, 'GET', '/health/active')).status, 503, 'the old primary rejoined as the passive node');
  await waitForIdenticalJournals(pair);

  const status = await pair.cli('status');
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /Backup {2}ACTIVE\n {2}cluster Coupled, epoch \d+/);
  assert.match(status.stdout, /Primary {2}passive/);
  // The CLI finds the active node (the backup now) by asking both.
  const switched = await pair.cli('switchover');
  assert.equal(switched.code, 0, switched.stderr);
  await waitUntilActive(pair, pair.primary);
  assert.equal(await addOrder(pair, pair.primary, 'back-1', 'fo/restartable'), 200);
  acknowledged.push('back-1');
  await waitForOrders(pair, pair.primary, ['back-1'], ['Finished']);
  await waitForPassiveCoupled(pair, pair.backup);
  await assertNothingLost(s, acknowledged, pair.primary);
  await assertNothingLost(s, acknowledged, pair.backup);
  const ticks = await assertEveryTickOnce(pair, pair.primary);
  assert.ok(ticks >= 8, `the schedule ran through the failover and the switchover: ${ticks} ticks`);
  await assertJournalsPrefixConsistent(pair);
});

test('an unreplicated tail on the old active is cut at the failover point and kept in a file named for it', async (t) => {
  const s = await coupledScenario(t, { proxied: true });
  const { pair } = s;
  const net = pair.net!;
  assert.equal(await addOrder(pair, pair.primary, 'kept-1', 'fo/restartable'), 200);
  // The backup can no longer read the journal: what the primary writes now stays on the primary.
  net.toPrimary.block();
  const unacknowledged = addOrder(pair, pair.primary, 'tail-1', 'fo/restartable').catch(() => 'no answer');
  await waitFor('the primary to write the order that is never replicated', async () => {
    for (const bytes of (await journalFiles(pair.primary)).values()) if (bytes.includes('tail-1')) return true;
    return undefined;
  });
  await pair.kill(pair.primary, 'SIGKILL');
  assert.equal(await unacknowledged, 'no answer', 'the order was never acknowledged');
  net.toPrimary.heal();
  await waitUntilActive(pair, pair.backup);
  assert.equal((await orderStates(pair, pair.backup)).has('tail-1'), false, 'the backup never had the unacknowledged order');

  await pair.start(pair.primary);
  await waitForPassiveCoupled(pair, pair.primary);
  const cut = await cutFiles(pair.primary);
  assert.equal(cut.length, 1, `one file keeps the cut bytes: ${cut.join()}`);
  assert.match(cut[0]!, /\.journal\.cut-FailedOver-\d+$/);
  assert.ok((await readFile(join(pair.primary.dataDir, 'state', cut[0]!))).includes('tail-1'), 'the cut bytes hold the unreplicated order');
  assert.equal((await orderStates(pair, pair.primary)).has('tail-1'), false, 'the rejoined node forgot the cut order');
  await waitForIdenticalJournals(pair);
  await assertNothingLost(s, ['kept-1'], pair.backup);
});

test('the passive killed 5 times: each time the watch consents to PassiveLost, orders go on, and the pair couples again', async (t) => {
  const s = await coupledScenario(t);
  const { pair } = s;
  const acknowledged: string[] = [];
  for (let round = 0; round < 5; round++) {
    await pair.kill(pair.backup, 'SIGKILL');
    // Answered only once the watch has let the primary go on without its passive.
    assert.equal(await addOrder(pair, pair.primary, `alone-${round}`, 'fo/restartable'), 200);
    acknowledged.push(`alone-${round}`);
    assert.equal((await pair.call(pair.primary, 'GET', '/cluster')).body['TYPE'], 'PassiveLost');
    await pair.start(pair.backup);
    await pair.waitForClusterState(pair.primary, 'Coupled');
    await pair.waitForClusterState(pair.backup, 'Coupled');
  }
  await waitForOrders(pair, pair.backup, acknowledged, ['Finished']);
  await assertNothingLost(s, acknowledged, pair.backup);
  await waitForIdenticalJournals(pair);
});

for (const how of ['the ShutDown command', 'SIGTERM'] as const) {
  test(`a planned shutdown of the active (${how}) is no failover; restarted, it is active again and the pair couples`, async (t) => {
    const s = await coupledScenario(t);
    const { pair } = s;
    assert.equal(await addOrder(pair, pair.primary, 'before-1', 'fo/restartable'), 200);
    await waitForOrders(pair, pair.primary, ['before-1'], ['Finished']);
    if (how === 'SIGTERM') pair.primary.process!.child.kill('SIGTERM');
    else assert.equal((await pair.call(pair.primary, 'POST', '/command', { TYPE: 'ShutDown' })).status, 200);
    assert.equal(await pair.primary.process!.exited, 0);
    pair.primary.process = undefined;
    await pair.waitForClusterState(pair.backup, 'ActiveShutDown');
    // Silent far longer than the failover would take: the backup still does not act.
    await waitFor('the backup to have heard nothing for twice the heartbeat timeout', async () => {
      const age = (await nodeState(pair, pair.backup))['lastHeartbeatAgeMs'];
      return typeof age === 'number' && age > 4_000 ? true : undefined;
    });
    assert.equal((await pair.call(pair.backup, 'GET', '/health/active')).status, 503, 'no failover after a planned shutdown');
    await pair.start(pair.primary);
    await pair.waitForClusterState(pair.primary, 'Coupled');
    await pair.waitForClusterState(pair.backup, 'Coupled');
    await waitUntilActive(pair, pair.primary);
    assert.equal(await addOrder(pair, pair.primary, 'after-1', 'fo/restartable'), 200);
    await waitForOrders(pair, pair.backup, ['before-1', 'after-1'], ['Finished']);
    await assertJournalsPrefixConsistent(pair);
  });
}

test('a switchover gives up when a job outlasts switchover-job-timeout: nothing switches, orders go on, and a later switchover succeeds', async (t) => {
  const extra = 'js7.journal.cluster.switchover-job-timeout = 1s';
  const s = await coupledScenario(t, { seconds: 5, primaryConf: pairConf('Primary', extra), backupConf: pairConf('Backup', extra) });
  const { pair } = s;
  assert.equal(await addOrder(pair, pair.primary, 'long-1', 'fo/once'), 200);
  await waitForJobStart(s.marker, 'long-1');
  const refused = await pair.call(pair.primary, 'POST', '/command', { TYPE: 'ClusterSwitchOver' });
  assert.equal(refused.status, 409, JSON.stringify(refused.body));
  assert.equal(refused.body['code'], 'SwitchoverJobsStillRunning');
  assert.deepEqual(refused.body['arguments'], { runningJobs: 1, timeoutMs: 1000 });
  assert.equal((await pair.call(pair.primary, 'GET', '/health/active')).status, 200, 'the primary is still the active node');
  // Orders advance again at once: a new one runs while the long job still does.
  assert.equal(await addOrder(pair, pair.primary, 'after-1', 'fo/restartable'), 200);
  await waitForJobStart(s.marker, 'after-1');
  await waitForOrders(pair, pair.primary, ['long-1', 'after-1'], ['Finished'], 20_000);
  assert.equal((await pair.call(pair.primary, 'POST', '/command', { TYPE: 'ClusterSwitchOver' })).status, 200);
  await waitUntilActive(pair, pair.backup);
  await waitForPassiveCoupled(pair, pair.primary);
  await assertNothingLost(s, ['long-1', 'after-1'], pair.backup);
});

test('a switchover during a running job waits for it, moves the active role, and back', async (t) => {
  const s = await coupledScenario(t, { seconds: 2 });
  const { pair } = s;
  assert.equal(await addOrder(pair, pair.primary, 'once-sw', 'fo/once'), 200);
  await waitForJobStart(s.marker, 'once-sw');
  assert.equal((await pair.call(pair.primary, 'POST', '/command', { TYPE: 'ClusterSwitchOver' })).status, 200);
  await waitUntilActive(pair, pair.backup);
  assert.equal((await orderStates(pair, pair.backup)).get('once-sw'), 'Finished', 'the job ended on the primary before it handed over');
  assert.equal(await addOrder(pair, pair.backup, 'on-backup', 'fo/restartable'), 200);
  await waitForPassiveCoupled(pair, pair.primary);
  assert.equal((await pair.call(pair.primary, 'GET', '/health/active')).status, 503);
  assert.equal((await pair.call(pair.backup, 'POST', '/command', { TYPE: 'ClusterSwitchOver' })).status, 200);
  await waitUntilActive(pair, pair.primary);
  await waitForOrders(pair, pair.primary, ['once-sw', 'on-backup'], ['Finished']);
  await waitForPassiveCoupled(pair, pair.backup);
  await assertNothingLost(s, ['once-sw', 'on-backup'], pair.backup);
  await waitForIdenticalJournals(pair);
});
