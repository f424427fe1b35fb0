import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pair, PairNode } from './pair.js';
import { waitFor } from './wait.js';

/** A workflow whose job appends `<order id> <attempt marker>` to `marker` (a file outside both nodes) after `seconds`. */
export function markerWorkflow(path: string, marker: string, options: { seconds: number; restartable: boolean }) {
  return {
    TYPE: 'DeployWorkflow',
    workflow: {
      path,
      instructions: [
        {
          TYPE: 'Execute',
          job: {
            // The start is marked too, so a job that ran twice shows even when its first run was cut off.
            script: `echo "start $ID $TANDEM_EPOCH" >> "${marker}"; sleep ${options.seconds}; echo "end $ID" >> "${marker}"`,
            env: { ID: '$id' },
            restartable: options.restartable,
          },
        },
      ],
    },
  };
}

/** Lines of the marker file ("start id epoch" / "end id"); none when it does not exist yet. */
export async function markerLines(marker: string): Promise<string[]> {
  try {
    return (await readFile(marker, 'utf8')).split('\n').filter((l) => l !== '');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** How many times each order's job started, from the marker file. */
export async function jobStarts(marker: string): Promise<Map<string, number>> {
  const starts = new Map<string, number>();
  for (const line of await markerLines(marker)) {
    const [kind, id] = line.split(' ');
    if (kind === 'start' && id !== undefined) starts.set(id, (starts.get(id) ?? 0) + 1);
  }
  return starts;
}

/** POSTs AddOrder to `node`; resolves with the HTTP status (200 means acknowledged). */
export async function addOrder(pair: Pair, node: PairNode, id: string, workflowPath: string): Promise<number> {
  const r = await pair.call(node, 'POST', '/command', { TYPE: 'AddOrder', order: { id, workflowPath, arguments: { id } } });
  return r.status;
}

/** The orders a node knows, by id, with their state type. */
export async function orderStates(pair: Pair, node: PairNode): Promise<Map<string, string>> {
  const r = await pair.call(node, 'GET', '/order');
  return new Map((r.body['orders'] as { id: string; state: { TYPE: string } }[]).map((o) => [o.id, o.state.TYPE]));
}

/** This node's own view: role, epoch, cluster state, positions. */
export async function nodeState(pair: Pair, node: PairNode): Promise<Record<string, unknown>> {
  return (await pair.call(node, 'GET', '/cluster?return=ClusterNodeState')).body;
}

/** Waits until `node` answers /health/active with 200 (it is the active node and acts). */
export async function waitUntilActive(pair: Pair, node: PairNode, timeoutMs = 20_000): Promise<void> {
  await waitFor(`${node.name} to be the active node`, async () => ((await pair.call(node, 'GET', '/health/active')).status === 200 ? true : undefined), timeoutMs);
}

/** Waits until every order in `ids` has reached one of `states` on `node`. */
export async function waitForOrders(pair: Pair, node: PairNode, ids: readonly string[], states: readonly string[], timeoutMs = 30_000): Promise<Map<string, string>> {
  return waitFor(
    `${ids.length} orders in ${states.join('/')} on ${node.name}`,
    async () => {
      const all = await orderStates(pair, node);
      return ids.every((id) => states.includes(all.get(id) ?? '')) ? all : undefined;
    },
    timeoutMs,
  );
}

/**
 * The journal files of a node (names ending in .journal), in name order. A running node
 * deletes obsolete files once they are acknowledged, so a file listed may be gone when
 * read: then the directory is listed again.
 */
export async function journalFiles(node: PairNode): Promise<Map<string, Buffer>> {
  const dir = join(node.dataDir, 'state');
  for (let attempt = 1; ; attempt++) {
    const files = new Map<string, Buffer>();
    try {
      for (const name of (await readdir(dir)).sort()) if (name.endsWith('.journal')) files.set(name, await readFile(join(dir, name)));
      return files;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || attempt === 10) throw e;
    }
  }
}

/** Files a journal cut kept beside the journal (`*.cut-*`). */
export async function cutFiles(node: PairNode): Promise<string[]> {
  return (await readdir(join(node.dataDir, 'state'))).filter((n) => n.includes('.cut-')).sort();
}

/**
 * The two journals agree on their common prefix: for every file both have, one is a
 * prefix of the other, and the files one node has alone are older than the other's first
 * (deleted after a snapshot) or newer than its last (not yet replicated).
 */
export async function assertJournalsPrefixConsistent(pair: Pair): Promise<void> {
  const a = await journalFiles(pair.primary);
  const b = await journalFiles(pair.backup);
  let common = 0;
  for (const [name, bytes] of a) {
    const other = b.get(name);
    if (other === undefined) continue;
    common += 1;
    const n = Math.min(bytes.length, other.length);
    assert.ok(bytes.subarray(0, n).equals(other.subarray(0, n)), `journal file ${name} differs between the nodes within their first ${n} bytes`);
  }
  assert.ok(common >= 1, `the nodes have no journal file in common: ${[...a.keys()].join()} / ${[...b.keys()].join()}`);
}

/** Waits until both nodes' journal files are byte-identical (a coupled, idle pair). */
export async function waitForIdenticalJournals(pair: Pair, timeoutMs = 20_000): Promise<void> {
  await waitFor(
    'the journals of both nodes to be byte-identical',
    async () => {
      const a = await journalFiles(pair.primary);
      const b = await journalFiles(pair.backup);
      if ([...a.keys()].join() !== [...b.keys()].join()) return undefined;
      for (const [name, bytes] of a) if (!bytes.equals(b.get(name)!)) return undefined;
      return true;
    },
    timeoutMs,
  );
}

/**
 * Waits until `node` runs as the passive node of a coupled pair: both nodes say Coupled in
 * the same epoch and the other one acts (a restarted node's own journal may say Coupled long before).
 */
export async function waitForPassiveCoupled(pair: Pair, node: PairNode, timeoutMs = 20_000): Promise<void> {
  const other = node === pair.primary ? pair.backup : pair.primary;
  const coupledIn = (s: Record<string, unknown>): unknown => ((s['clusterState'] as { TYPE?: string } | undefined)?.TYPE === 'Coupled' ? s['epoch'] : undefined);
  await waitFor(
    `${node.name} to be the coupled passive node`,
    async () => {
      const passive = await nodeState(pair, node);
      const active = await nodeState(pair, other);
      const epoch = coupledIn(passive);
      return passive['isActive'] === false && active['isActive'] === true && epoch !== undefined && epoch === coupledIn(active) ? true : undefined;
    },
    timeoutMs,
  );
}
