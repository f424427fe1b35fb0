import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPair, type Pair, type PairNode } from '../helpers/pair.js';
import { waitFor } from '../helpers/wait.js';

interface Entry {
  readonly nodeId: string;
  readonly uri: string | null;
  readonly self: boolean;
  readonly reachable: boolean;
  readonly nodeState?: { readonly nodeId: string; readonly role: { readonly TYPE: string }; readonly clusterState: { readonly TYPE: string }; readonly watch?: unknown; readonly licence?: unknown };
  readonly problem?: { readonly code: string; readonly message: string };
}

async function nodeStates(pair: Pair, node: PairNode): Promise<Entry[]> {
  const r = await pair.call(node, 'GET', '/cluster?return=ClusterNodeStates');
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body['TYPE'], 'ClusterNodeStates');
  return r.body['nodes'] as Entry[];
}

const summary = (nodes: readonly Entry[]): string[][] =>
  nodes.map((n) => [n.nodeId, String(n.self), n.reachable ? `${n.nodeState?.role.TYPE}/${n.nodeState?.clusterState.TYPE}` : `unreachable/${n.problem?.code}`]);

test('each node reports both nodes, the peer asked over the cluster transport; a silent or dead peer is reported unreachable', async (t) => {
  const pair = await createPair();
  t.after(() => pair.cleanup());
  await pair.couple();

  const fromPrimary = await nodeStates(pair, pair.primary);
  assert.deepEqual(summary(fromPrimary), [
    ['Primary', 'true', 'Active/Coupled'],
    ['Backup', 'false', 'Passive/Coupled'],
  ]);
  assert.equal(fromPrimary[1]?.uri, pair.backup.uri);
  assert.equal(fromPrimary[1]?.nodeState?.nodeId, 'Backup', "the backup's own answer");
  assert.ok(fromPrimary[1]?.nodeState?.licence !== undefined && fromPrimary[1].nodeState.watch !== undefined, 'with its licence and watch link');
  assert.deepEqual(summary(await nodeStates(pair, pair.backup)), [
    ['Primary', 'false', 'Active/Coupled'],
    ['Backup', 'true', 'Passive/Coupled'],
  ]);

  // Stopped: the connection opens but nothing answers; the view comes anyway, after the short bound.
  const backup = pair.backup.process!.child;
  backup.kill('SIGSTOP');
  t.after(() => void backup.kill('SIGCONT'));
  const silent = await nodeStates(pair, pair.primary);
  backup.kill('SIGCONT');
  assert.deepEqual(summary(silent)[1], ['Backup', 'false', 'unreachable/ClusterPeerUnreachable']);
  assert.match(silent[1]?.problem?.message ?? '', /did not answer within/);
  assert.equal(silent[0]?.reachable, true, 'its own view is there');

  await pair.kill(pair.backup, 'SIGKILL');
  const dead = await waitFor('the primary to report the killed backup unreachable', async () => {
    const nodes = await nodeStates(pair, pair.primary);
    return nodes[1]?.reachable === false ? nodes : undefined;
  });
  assert.equal(dead[1]?.problem?.code, 'ClusterPeerUnreachable');
});
