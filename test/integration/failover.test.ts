import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPair, type Pair, type PairOptions } from '../helpers/pair.js';
import {
  addOrder,
  assertJournalsPrefixConsistent,
  jobStarts,
  markerLines,
  markerWorkflow,
  nodeState,
  waitForIdenticalJournals,
  waitForOrders,
  waitUntilActive,
} from '../helpers/pair-checks.js';
import { waitFor } from '../helpers/wait.js';

interface Scenario {
  readonly pair: Pair;
  /** File outside both nodes where every job marks its start and end. */
  readonly marker: string;
}

/** A coupled pair with two workflows: `fo/restartable` and `fo/once`, each a job of `seconds` that marks its runs. */
async function coupledScenario(t: { after(fn: () => Promise<void>): void }, options: PairOptions & { seconds?: number } = {}): Promise<Scenario> {
  const markerDir = await mkdtemp(join(tmpdir(), 'tandem-marker-'));
  t.after(() => rm(markerDir, { recursive: true, force: true }));
  const marker = join(markerDir, 'jobs.log');
  const pair = await createPair(options);
  t.after(() => pair.cleanup());
  await pair.couple();
  const seconds = options.seconds ?? 2;
  for (const [path, restartable] of [['fo/restartable', true], ['fo/once', false]] as const) {
    const r = await pair.call(pair.primary, 'POST', '/command', markerWorkflow(path, marker, { seconds, restartable }));
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
  return { pair, marker };
}

async function waitForJobStart(marker: string, id: string): Promise<void> {
  await waitFor(`the job of ${id} to start`, async () => ((await markerLines(marker)).includes(`start ${id}`) ? true : undefined));
}

/** After every scenario: acknowledged orders all exist on `node`, no job of fo/once started twice. */
async function assertNothingLost(s: Scenario, acknowledged: readonly string[], node: Scenario['pair']['primary']): Promise<void> {
  const r = await s.pair.call(node, 'GET', '/order');
  const ids = new Set((r.body['orders'] as { id: string }[]).map((o) => o.id));
  for (const id of acknowledged) assert.ok(ids.has(id), `acknowledged order ${id} is on ${node.name}`);
  for (const [id, starts] of await jobStarts(s.marker)) {
    if (id.startsWith('once-')) assert.equal(starts, 1, `the non-restartable job of ${id} started ${starts} times`);
  }
}

test('SIGKILL of the active during running jobs: the backup takes over, finishes what it may, the old primary rejoins, and the pair switches back', async (t) => {
  const s = await coupledScenario(t);
  const { pair } = s;
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

  await pair.start(pair.primary);
  await pair.waitForClusterState(pair.primary, 'Coupled');
  await pair.waitForClusterState(pair.backup, 'Coupled');
  assert.equal((await pair.call(pair.primary, 'GET', '/health/active')).status, 503, 'the old primary rejoined as the passive node');
  await waitForIdenticalJournals(pair);

  assert.equal((await pair.call(pair.backup, 'POST', '/command', { TYPE: 'ClusterSwitchOver' })).status, 200);
  await waitUntilActive(pair, pair.primary);
  assert.equal(await addOrder(pair, pair.primary, 'back-1', 'fo/restartable'), 200);
  acknowledged.push('back-1');
  await waitForOrders(pair, pair.primary, ['back-1'], ['Finished']);
  await pair.waitForClusterState(pair.backup, 'Coupled');
  await assertNothingLost(s, acknowledged, pair.primary);
  await assertNothingLost(s, acknowledged, pair.backup);
  await assertJournalsPrefixConsistent(pair);
});
