import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startNode, type RunningNode } from '../../src/app.js';
import { silentLogger } from '../../src/common/index.js';
import type { StopReason } from '../../src/controller/index.js';
import type { OpenJournalFile } from '../../src/journal/index.js';
import { faultyFiles } from '../component/journal/journal-fixture.js';
import { createPair, pairConf, type Pair } from '../helpers/pair.js';
import { addOrder, cutFiles, nodeState, orderStates, waitForIdenticalJournals, waitForPassiveCoupled } from '../helpers/pair-checks.js';
import { waitFor } from '../helpers/wait.js';

// Long enough that the backup never fails over while the primary restarts: this test is about the primary coming back.
const noFailover = 'js7.journal.cluster.heartbeat-timeout = 60s';

/** The primary in this process (its journal files opened by `openFile`), serving on `port` (0: any). */
async function startPrimary(pair: Pair, port: number, openFile: OpenJournalFile | undefined, stops: StopReason[]): Promise<RunningNode> {
  const node = await startNode({
    configDir: pair.primary.configDir,
    dataDir: pair.primary.dataDir,
    host: '127.0.0.1',
    httpsPort: port,
    logger: silentLogger(),
    onStop: (reason) => stops.push(reason),
    ...(openFile === undefined ? {} : { openJournalFile: openFile }),
  });
  pair.primary.uri = new URL(node.url).origin;
  return node;
}

async function backupJournalEnd(pair: Pair): Promise<number> {
  const s = await nodeState(pair, pair.backup);
  return (s['journal'] as { position: number }).position;
}

void test('a primary that comes back without a batch it had sent: the backup cuts that batch off and the pair couples again', async (t) => {
  const pair = await createPair({ primaryConf: pairConf('Primary', noFailover), backupConf: pairConf('Backup', noFailover) });
  const stops: StopReason[] = [];
  const files = faultyFiles();
  let primary: RunningNode | undefined = await startPrimary(pair, 0, files.openFile, stops);
  t.after(async () => {
    await primary?.close();
    await pair.cleanup();
  });
  await pair.start(pair.backup);
  await pair.startWatch();
  await pair.appoint();
  await waitForPassiveCoupled(pair, pair.backup);
  const deployed = await pair.call(pair.primary, 'POST', '/command', {
    TYPE: 'DeployWorkflow',
    workflow: { path: 'tail/finish', instructions: [{ TYPE: 'Finish' }] },
  });
  assert.equal(deployed.status, 200);
  assert.equal(await addOrder(pair, pair.primary, 'kept', 'tail/finish'), 200);

  // The primary's next write is held before it reaches the file, then fails: its disk lost the batch
  // after the batch had gone to the backup, as a crash of its machine in the middle of the write would.
  let release = (): void => undefined;
  files.holdSyncs(new Promise((resolve) => (release = resolve)));
  const before = await backupJournalEnd(pair);
  const lost = addOrder(pair, pair.primary, 'lost', 'tail/finish');
  await waitFor('the backup to hold the batch the primary is writing', async () => ((await backupJournalEnd(pair)) > before ? true : undefined));
  files.failSyncs(new Error('EIO: injected'));
  release();
  assert.notEqual(await lost, 200, 'the order whose write failed is not acknowledged');
  await waitFor('the primary to stop on the failed write', () => (stops.some((s) => s.kind === 'fatal') ? true : undefined));
  const port = Number(new URL(pair.primary.uri).port);
  await primary.close();
  primary = undefined;

  primary = await startPrimary(pair, port, undefined, stops);
  // The backup still says Coupled from before until it has asked the primary for more and learnt where it ends.
  const kept = await waitFor('the backup to cut its copy back', async () => {
    const cut = await cutFiles(pair.backup);
    return cut.length > 0 ? cut : undefined;
  });
  await waitForPassiveCoupled(pair, pair.backup, 30_000);
  await waitForIdenticalJournals(pair);
  assert.equal(kept.length, 1, `cut files: ${kept.join(', ')}`);
  assert.match(kept[0]!, /\.journal\.cut-NotDurableOnActive-\d+$/);
  for (const node of [pair.primary, pair.backup]) {
    const orders = await orderStates(pair, node);
    assert.equal(orders.has('kept'), true, `${node.name} has the acknowledged order`);
    assert.equal(orders.has('lost'), false, `${node.name} has no trace of the order that was never written`);
  }
  assert.equal(await addOrder(pair, pair.primary, 'after', 'tail/finish'), 200, 'the pair commits again');
});
