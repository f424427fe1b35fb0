import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createPair, pairConf, type Pair, type PairNode } from '../helpers/pair.js';
import { startTandem } from '../helpers/tandem-process.js';
import { waitFor } from '../helpers/wait.js';
import { journalFiles, waitForIdenticalJournals } from '../helpers/pair-checks.js';

const workflow = {
  TYPE: 'DeployWorkflow',
  workflow: { path: 'pair/echo', instructions: [{ TYPE: 'Execute', job: { script: 'echo ran-$ID', env: { ID: '$id' } } }] },
};

async function addOrder(pair: Pair, id: string): Promise<void> {
  const r = await pair.call(pair.primary, 'POST', '/command', { TYPE: 'AddOrder', order: { id, workflowPath: 'pair/echo', arguments: { id } } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
}

async function orderIds(pair: Pair, node: PairNode): Promise<Set<string>> {
  const r = await pair.call(node, 'GET', '/order');
  return new Set((r.body['orders'] as { id: string }[]).map((o) => o.id));
}

async function coupledPair(t: { after(fn: () => Promise<void>): void }): Promise<Pair> {
  const pair = await createPair();
  t.after(() => pair.cleanup());
  await pair.couple();
  return pair;
}

test('appointed pair couples over mutual TLS, runs orders on the primary, and the journals are byte-identical', async (t) => {
  const pair = await coupledPair(t);
  assert.equal((await pair.call(pair.primary, 'POST', '/command', workflow)).status, 200);
  for (let i = 0; i < 10; i++) await addOrder(pair, `c-${i}`);
  await waitFor('all orders finished on the primary', async () => {
    const r = await pair.call(pair.primary, 'GET', '/order');
    const orders = r.body['orders'] as { state: { TYPE: string } }[];
    return orders.length === 10 && orders.every((o) => o.state.TYPE === 'Finished') ? true : undefined;
  });
  await waitFor('the backup sees every order finished', async () => {
    const r = await pair.call(pair.backup, 'GET', '/order/c-9');
    return r.status === 200 && (r.body['state'] as { TYPE: string }).TYPE === 'Finished' ? true : undefined;
  });
  await waitForIdenticalJournals(pair);

  const passive = await pair.call(pair.backup, 'POST', '/command', { TYPE: 'AddOrder', order: { id: 'x', workflowPath: 'pair/echo' } });
  assert.equal(passive.status, 503);
  assert.equal(passive.body['code'], 'ClusterNodeIsNotActive');
  assert.equal((passive.body['arguments'] as Record<string, unknown>)['activeUri'], pair.primary.uri, 'the refusal names the active node');
  const primaryMetrics = await pair.text(pair.primary, '/metrics');
  assert.match(primaryMetrics, /^tandem_cluster_acked_event_id [1-9]\d*$/m, 'the active reports the acknowledged position');
  assert.match(primaryMetrics, /^tandem_cluster_events_waiting_for_ack 0$/m, 'and the lag in events: none, once all is acknowledged');
  // The backup's own figures: its orders and its copy of the journal, at the same position as the primary's.
  const backupMetrics = await pair.text(pair.backup, '/metrics');
  assert.match(backupMetrics, /^tandem_cluster_heartbeat_age_seconds \d/m, 'the passive reports the age of the last frame');
  assert.match(backupMetrics, /^tandem_orders\{state="Finished"\} 10$/m);
  const position = (text: string): string | undefined => /^tandem_journal_position_bytes (\d+)$/m.exec(text)?.[1];
  assert.equal(position(backupMetrics), position(primaryMetrics));
  assert.equal((await pair.call(pair.backup, 'GET', '/health/active')).status, 503);
  assert.equal((await pair.call(pair.primary, 'GET', '/health/active')).status, 200);
});

test('the backup killed with SIGKILL 5 times while orders flow catches up and couples again each time; nothing acknowledged is lost', async (t) => {
  const pair = await coupledPair(t);
  assert.equal((await pair.call(pair.primary, 'POST', '/command', workflow)).status, 200);
  const acked: string[] = [];
  let n = 0;
  for (let round = 0; round < 5; round++) {
    // Orders in flight while the backup dies: their commits wait for the backup's acknowledgement.
    const inFlight = Array.from({ length: 5 }, () => {
      const id = `k-${n++}`;
      return addOrder(pair, id).then(() => acked.push(id));
    });
    await pair.kill(pair.backup, 'SIGKILL');
    if (round === 0) {
      // With the backup gone, a new command cannot commit; the primary says why instead of dropping the backup.
      const id = `k-${n++}`;
      const waiting = addOrder(pair, id);
      const ready = await waitFor('the primary to report waiting commits', async () => {
        const r = await pair.call(pair.primary, 'GET', '/health/ready');
        return r.status === 503 ? r : undefined;
      });
      assert.match(JSON.stringify(ready.body['reasons']), /acknowledgement/);
      inFlight.push(waiting.then(() => acked.push(id)));
    }
    await pair.start(pair.backup);
    await Promise.all(inFlight);
    await pair.waitForClusterState(pair.backup, 'Coupled');
  }
  const onPrimary = await orderIds(pair, pair.primary);
  await waitFor('the backup has every acknowledged order', async () => {
    const onBackup = await orderIds(pair, pair.backup);
    return acked.every((id) => onBackup.has(id)) ? true : undefined;
  });
  for (const id of acked) assert.ok(onPrimary.has(id), `${id} is on the primary`);
  assert.equal(acked.length, 26);
});

test('a cleanly stopped backup is let go (PassiveLost); after two rotations it catches up across files and couples again', async (t) => {
  const pair = await coupledPair(t);
  assert.equal((await pair.call(pair.backup, 'POST', '/command', { TYPE: 'ShutDown' })).status, 200);
  assert.equal(await pair.backup.process!.exited, 0);
  pair.backup.process = undefined;
  await pair.waitForClusterState(pair.primary, 'PassiveLost');
  assert.equal((await pair.call(pair.primary, 'POST', '/command', workflow)).status, 200);
  for (let rotation = 0; rotation < 2; rotation++) {
    for (let i = 0; i < 5; i++) await addOrder(pair, `r${rotation}-${i}`);
    assert.equal((await pair.call(pair.primary, 'POST', '/command', { TYPE: 'TakeSnapshot' })).status, 200);
  }
  const primaryFiles = await journalFiles(pair.primary);
  assert.ok(primaryFiles.size >= 3, 'the primary keeps the files the backup has not acknowledged');
  // The lag in bytes: the rest of the file the backup last acknowledged in, and every newer file.
  const at = (await pair.call(pair.primary, 'GET', '/cluster?return=ClusterNodeState')).body['ackedAt'] as { fileEventId: number; position: number };
  const fileEventIdOf = (name: string): number => Number(/--(\d+)\.journal$/.exec(name)?.[1]);
  let lag = 0;
  for (const [name, bytes] of primaryFiles) {
    if (fileEventIdOf(name) >= at.fileEventId) lag += bytes.length - (fileEventIdOf(name) === at.fileEventId ? at.position : 0);
  }
  const backupCopy = (await journalFiles(pair.backup)).get(`controller--${at.fileEventId}.journal`);
  assert.ok(backupCopy !== undefined && backupCopy.length >= at.position, 'the backup holds what it acknowledged');
  assert.ok(lag > primaryFiles.get(`controller--${at.fileEventId}.journal`)!.length - at.position, 'the two newer files count');
  const lagMetric = async (): Promise<number | undefined> => {
    const m = /^tandem_cluster_lag_bytes (-?\d+)$/m.exec(await pair.text(pair.primary, '/metrics'))?.[1];
    return m === undefined ? undefined : Number(m);
  };
  assert.equal(await lagMetric(), lag);
  await pair.start(pair.backup);
  await pair.waitForClusterState(pair.primary, 'Coupled');
  await waitFor('no lag once the backup has acknowledged everything', async () => ((await lagMetric()) === 0 ? true : undefined));
  const onBackup = await orderIds(pair, pair.backup);
  for (let r = 0; r < 2; r++) for (let i = 0; i < 5; i++) assert.ok(onBackup.has(`r${r}-${i}`));
  await waitForIdenticalJournals(pair);
});

test('a backup whose read model was deleted while it was down rebuilds it from its journal: the job logs show again', async (t) => {
  const pair = await coupledPair(t);
  assert.equal((await pair.call(pair.primary, 'POST', '/command', workflow)).status, 200);
  const ids = ['l-0', 'l-1', 'l-2'];
  for (const id of ids) await addOrder(pair, id);
  const logsOnBackup = async (): Promise<true | undefined> => {
    for (const id of ids) {
      const r = await pair.call(pair.backup, 'GET', `/order/${id}/log`);
      if (r.status !== 200 || !JSON.stringify(r.body['entries']).includes(`ran-${id}`)) return undefined;
    }
    return true;
  };
  await waitFor('the backup shows the job output of every order', logsOnBackup);
  await pair.kill(pair.backup, 'SIGKILL');
  // The operator guide says the read model may be deleted while the node is stopped.
  await rm(join(pair.backup.dataDir, 'readmodel'), { recursive: true, force: true });
  await pair.start(pair.backup);
  await pair.waitForClusterState(pair.backup, 'Coupled');
  await waitFor('the backup shows the job output of every order again', logsOnBackup);
});

test('a backup started empty after the primary rotated answers a read of events from before its first file with 410 EventsTorn', async (t) => {
  const pair = await coupledPair(t);
  assert.equal((await pair.call(pair.primary, 'POST', '/command', workflow)).status, 200);
  for (let rotation = 0; rotation < 2; rotation++) {
    await addOrder(pair, `s-${rotation}`);
    assert.equal((await pair.call(pair.primary, 'POST', '/command', { TYPE: 'TakeSnapshot' })).status, 200);
  }
  await addOrder(pair, 's-2');
  await waitForIdenticalJournals(pair);
  // The operator guide's "one node lost its disk", for the passive: stop it, empty its data directory, start it.
  await pair.kill(pair.backup, 'SIGTERM');
  await rm(pair.backup.dataDir, { recursive: true, force: true });
  await pair.start(pair.backup);
  await pair.waitForClusterState(pair.backup, 'Coupled');
  const torn = await pair.call(pair.backup, 'GET', '/event?after=0&timeout=0');
  assert.equal(torn.status, 410, JSON.stringify(torn.body));
  assert.equal(torn.body['code'], 'EventsTorn');
  const oldest = (torn.body['arguments'] as { oldestEventId: number }).oldestEventId;
  const from = await pair.call(pair.backup, 'GET', `/event?after=${oldest}&timeout=0`);
  assert.equal(from.status, 200, 'reading on from the oldest event the backup holds works');
});

test('a former primary configured as backup is refused at start and its journal is unchanged', async (t) => {
  const pair = await createPair();
  t.after(() => pair.cleanup());
  await pair.start(pair.primary);
  assert.equal((await pair.call(pair.primary, 'POST', '/command', workflow)).status, 200);
  await pair.kill(pair.primary, 'SIGTERM');
  const before = await journalFiles(pair.primary);
  await writeFile(join(pair.primary.configDir, 'controller.conf'), pairConf('Backup'));
  await assert.rejects(
    startTandem(['--config-dir', pair.primary.configDir, '--data-dir', pair.primary.dataDir, '--https-port', '0']),
    /ClusterRoleConflict/,
  );
  const after = await journalFiles(pair.primary);
  assert.deepEqual([...after.entries()], [...before.entries()]);
});

test('a second node started without is-backup is not coupled: the primary reports ClusterRoleConflict', async (t) => {
  const pair = await createPair({ backupConf: pairConf('Primary') });
  t.after(() => pair.cleanup());
  await pair.start(pair.primary);
  await pair.start(pair.backup);
  await pair.appoint();
  await waitFor('the primary to report the refusal', async () => {
    const r = await pair.call(pair.primary, 'GET', '/cluster?return=ClusterNodeState');
    const problem = r.body['problem'] as { code?: string } | undefined;
    return problem?.code === 'ClusterRoleConflict' ? true : undefined;
  });
  assert.equal((await pair.call(pair.primary, 'GET', '/cluster')).body['TYPE'], 'NodesAppointed');
});

test('a backup with a foreign journal refuses to couple and keeps its journal', async (t) => {
  // Make a foreign journal: a pair whose backup once replicated another primary.
  const other = await coupledPair(t);
  await other.kill(other.primary, 'SIGTERM');
  await other.kill(other.backup, 'SIGTERM');
  const pair = await createPair();
  t.after(() => pair.cleanup());
  await pair.start(pair.primary);
  const foreign = await startTandem(['--config-dir', pair.backup.configDir, '--data-dir', other.backup.dataDir, '--https-port', '0']);
  pair.backup.process = foreign;
  pair.backup.uri = new URL(foreign.api).origin;
  const before = await journalFiles(other.backup);
  await pair.appoint();
  await waitFor('the primary to report JournalIdMismatch', async () => {
    const r = await pair.call(pair.primary, 'GET', '/cluster?return=ClusterNodeState');
    return (r.body['problem'] as { code?: string } | undefined)?.code === 'JournalIdMismatch' ? true : undefined;
  });
  assert.deepEqual([...(await journalFiles(other.backup)).keys()], [...before.keys()]);
});
