import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { clusterTiming, InMemoryNetwork, type ClusterEndpoint, type JournalFrame, type JournalStreamRequest } from '../../../src/cluster/index.js';
import { asNodeId, silentLogger, systemClock, TandemError } from '../../../src/common/index.js';
import { loadControllerConfig } from '../../../src/config/index.js';
import { ClusterNode, type LicenceCheck } from '../../../src/controller/index.js';
import type { ReadModel, ReadModelOptions } from '../../../src/readmodel/index.js';
import { ClusterWatch } from '../../../src/watch/index.js';
import { waitFor } from '../../helpers/wait.js';

/*
 * A pair of real ClusterNodes (real journals, read models and roles) and a real cluster
 * watch on an in-memory network, with a gate on the primary's journal stream: for tests
 * that must hold the passive at a chosen point, which real processes cannot do on cue.
 */

export const primaryUri = 'https://primary.test:4443';
export const backupUri = 'https://backup.test:4443';
export const superUser = { userId: 'memory-pair', permissions: new Set(['SuperPermission']) };
/** heartbeat 500 ms, heartbeat-timeout 2500 ms: the configuration defaults. */
export const pairTiming = clusterTiming(500, 2_500);

/** Without `licensed`, no failover or switchover happens: a licence that never permits taking authority. */
const noLicence: LicenceCheck = {
  permitsTakingAuthority: () => ({ ok: false, error: new TandemError('LicenceMissing', 'No licence in this test.') }),
  status: () => ({ TYPE: 'None' }),
};
const validLicence: LicenceCheck = { permitsTakingAuthority: () => ({ ok: true }), status: () => ({ TYPE: 'Valid' }) };

/** The primary's journal stream; while shut, the frames `held` picks wait until `open()`. */
export class GatedEndpoint implements ClusterEndpoint {
  #inner: ClusterEndpoint;
  #held: ((frame: JournalFrame) => boolean) | undefined;
  #open: Promise<void> = Promise.resolve();
  #opened = (): void => undefined;

  constructor(inner: ClusterEndpoint) {
    this.#inner = inner;
  }

  /** Serves another node (the primary restarted) behind the same gate. */
  replace(inner: ClusterEndpoint): void {
    this.#inner = inner;
  }

  /** From now on, the frames `held` picks wait for `open()`. */
  shut(held: (frame: JournalFrame) => boolean): void {
    this.#held = held;
    this.#open = new Promise<void>((resolve) => (this.#opened = resolve));
  }

  open(): void {
    this.#held = undefined;
    this.#opened();
  }

  async *journalFrames(request: JournalStreamRequest, signal: AbortSignal): AsyncIterable<JournalFrame> {
    const aborted = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    for await (const frame of this.#inner.journalFrames(request, signal)) {
      if (this.#held?.(frame) === true) await Promise.race([this.#open, aborted]);
      if (signal.aborted) return;
      yield frame;
    }
  }

  ackFrames: ClusterEndpoint['ackFrames'] = (request, signal) => this.#inner.ackFrames(request, signal);
  watchFrames: ClusterEndpoint['watchFrames'] = (request, signal) => this.#inner.watchFrames(request, signal);
  clusterCommand: ClusterEndpoint['clusterCommand'] = (command) => this.#inner.clusterCommand(command);
}

export interface PairNode {
  node: ClusterNode;
  readonly dataDir: string;
  readonly stateDir: string;
}

export interface MemoryPair {
  readonly network: InMemoryNetwork;
  readonly primary: PairNode;
  readonly backup: PairNode;
  /** In front of the primary: the backup streams the journal through it. */
  readonly gate: GatedEndpoint;
  /** The primary's process ends without a word (as a SIGKILL ends it) and starts again on its data directory. */
  restartPrimary(): Promise<void>;
}

interface NodeOptions {
  readonly openReadModel?: (options: ReadModelOptions) => Promise<ReadModel>;
  readonly licensed?: boolean;
}

/** Both nodes and the watch, coupled (the primary appoints the pair from its configuration). */
export async function memoryPair(t: TestContext, options: { readonly primary?: NodeOptions; readonly backup?: NodeOptions } = {}): Promise<MemoryPair> {
  const network = new InMemoryNetwork();
  // One hook, in this order: what writes into the directories stops before they go.
  const dirs: string[] = [];
  const closing: (() => Promise<void>)[] = [];
  t.after(async () => {
    for (const close of closing.reverse()) await close();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });
  const tempDir = async (prefix: string): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
  const open = async (name: 'Primary' | 'Backup', base: string, nodeOptions: NodeOptions | undefined): Promise<ClusterNode> => {
    const { node, close } = await openNode(network, name, base, nodeOptions);
    closing.push(close);
    return node;
  };
  const primaryDir = await nodeDir(await tempDir('tandem-pair-primary-'), 'Primary');
  const primary: PairNode = { node: await open('Primary', primaryDir, options.primary), ...stateOf(primaryDir) };
  const gate = new GatedEndpoint(primary.node);
  network.register(primaryUri, gate);
  const backupDir = await nodeDir(await tempDir('tandem-pair-backup-'), 'Backup');
  const backup: PairNode = { node: await open('Backup', backupDir, options.backup), ...stateOf(backupDir) };
  network.register(backupUri, backup.node);
  const watch = new ClusterWatch({
    nodes: [{ uri: primaryUri }, { uri: backupUri }],
    transport: () => network.transport(),
    dataDir: await tempDir('tandem-pair-watch-'),
    timing: pairTiming,
    clock: systemClock,
    logger: silentLogger(),
    onFatal: (err) => assert.fail(`the watch failed: ${String(err)}`),
  });
  closing.push(() => watch.close());
  await watch.open();
  await waitFor('both nodes Coupled', () => (clusterType(primary.node) === 'Coupled' && clusterType(backup.node) === 'Coupled' ? true : undefined));
  return {
    network,
    primary,
    backup,
    gate,
    restartPrimary: async () => {
      network.cut(primaryUri);
      await primary.node.close();
      primary.node = await open('Primary', primaryDir, options.primary);
      gate.replace(primary.node);
    },
  };
}

export function clusterType(node: ClusterNode): unknown {
  return node.clusterView(false).TYPE;
}

export async function journalFiles(node: PairNode): Promise<string[]> {
  return (await readdir(node.stateDir)).filter((f) => f.endsWith('.journal')).sort();
}

async function nodeDir(base: string, name: 'Primary' | 'Backup'): Promise<string> {
  const configDir = join(base, 'config');
  await mkdir(configDir, { recursive: true });
  const conf = name === 'Backup' ? 'js7.journal.cluster.node.is-backup = yes\n' : `js7.journal.cluster.nodes { Primary = "${primaryUri}", Backup = "${backupUri}" }\n`;
  await writeFile(join(configDir, 'controller.conf'), conf);
  return base;
}

function stateOf(base: string): { dataDir: string; stateDir: string } {
  return { dataDir: join(base, 'data'), stateDir: join(base, 'data', 'state') };
}

async function openNode(network: InMemoryNetwork, name: 'Primary' | 'Backup', base: string, options: NodeOptions = {}): Promise<{ node: ClusterNode; close: () => Promise<void> }> {
  const transport = network.transport();
  const node = await ClusterNode.open({
    config: loadControllerConfig({ configDir: join(base, 'config'), env: {} }),
    dataDir: join(base, 'data'),
    nodeId: asNodeId(name),
    version: 'test',
    clock: systemClock,
    logger: silentLogger(),
    onStop: () => undefined,
    transport,
    licence: options.licensed === true ? validLicence : noLicence,
    ...(options.openReadModel === undefined ? {} : { openReadModel: options.openReadModel }),
  });
  const close = async (): Promise<void> => {
    await node.close();
    await transport.close();
  };
  return { node, close };
}
