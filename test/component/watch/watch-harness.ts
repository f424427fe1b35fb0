import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { clusterTiming, InMemoryNetwork, type WatchAsk, type WatchFrame } from '../../../src/cluster/index.js';
import { asEpoch, asEventId, ManualClock, silentLogger, type Clock, type Logger } from '../../../src/common/index.js';
import { ClusterWatch } from '../../../src/watch/index.js';
import { parseClusterNodeCommand, type ClusterNodeCommand } from '../../../src/workflow/index.js';
import { waitFor } from '../../helpers/wait.js';
import { ScriptedEndpoint } from '../transport/scripted-endpoint.js';

export const primaryUri = 'https://primary.test:4443';
export const backupUri = 'https://backup.test:4443';
/** heartbeat 500 ms, heartbeat-timeout 2500 ms: watch-valid 3000 ms, hold 1000 ms. */
export const timing = clusterTiming(500, 2_500);

/** A temp data directory, removed after the test. */
export async function tempDataDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-watch-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export function heartbeat(nodeId: string, epoch: number, isActive: boolean, activeId: string | null = isActive ? nodeId : 'Primary'): WatchFrame {
  return { TYPE: 'Heartbeat', nodeId, epoch: asEpoch(epoch), isActive, clusterState: 'Coupled', activeId, lastEventId: asEventId(1_000), journalId: null };
}

export function request(nodeId: string, ask: WatchAsk, lostNodeId: string, epoch: number, phase: 'Ask' | 'Commit', requestId: string): WatchFrame {
  return { TYPE: 'Request', requestId, nodeId, epoch: asEpoch(epoch), ask, lostNodeId, phase };
}

type Answer = Extract<ClusterNodeCommand, { TYPE: 'ClusterWatchAnswer' }>;

/** A fake node: frames the test pushes go to the watch, commands the watch sends are recorded (and must pass the node's schema). */
export class FakeNode {
  readonly endpoint: ScriptedEndpoint;
  readonly nodeId: string;
  readonly uri: string;

  constructor(nodeId: string, uri: string, endpoint = new ScriptedEndpoint()) {
    this.nodeId = nodeId;
    this.uri = uri;
    this.endpoint = endpoint;
  }

  /** Every command the watch sent, narrowed as the node's route narrows it. */
  commands(): ClusterNodeCommand[] {
    return this.endpoint.commands.map((c) => parseClusterNodeCommand(c));
  }

  /** The watch's answers to `requestId` so far. */
  answersTo(requestId: string): Answer[] {
    return this.commands().filter((c): c is Answer => c.TYPE === 'ClusterWatchAnswer' && c.requestId === requestId);
  }

  /** Waits for the answer to `requestId` after the `seen` ones already there. */
  async nextAnswer(requestId: string, seen: number): Promise<Answer> {
    await this.endpoint.until(`${this.nodeId}'s answer to ${requestId}`, () => this.answersTo(requestId).length > seen);
    const answer = this.answersTo(requestId)[seen];
    assert.ok(answer !== undefined);
    return answer;
  }
}

export interface WatchFixture {
  readonly network: InMemoryNetwork;
  readonly primary: FakeNode;
  readonly backup: FakeNode;
  readonly clock: ManualClock;
  readonly dataDir: string;
  readonly fatal: unknown[];
  /** Opens a new ClusterWatch on the same data directory and nodes (closed after the test). */
  open(options?: { readonly watchId?: string; readonly clock?: Clock; readonly logger?: Logger }): Promise<ClusterWatch>;
}

/** Two fake nodes on an in-memory network, and a way to open watches over them. */
export async function watchFixture(t: TestContext, dataDir?: string): Promise<WatchFixture> {
  const network = new InMemoryNetwork();
  const primary = new FakeNode('Primary', primaryUri);
  const backup = new FakeNode('Backup', backupUri);
  network.register(primaryUri, primary.endpoint);
  network.register(backupUri, backup.endpoint);
  const clock = new ManualClock();
  const dir = dataDir ?? (await tempDataDir(t));
  const fatal: unknown[] = [];
  return {
    network,
    primary,
    backup,
    clock,
    dataDir: dir,
    fatal,
    open: async (options = {}) => {
      const watch = new ClusterWatch({
        nodes: [{ uri: primaryUri }, { uri: backupUri }],
        transport: () => network.transport(),
        dataDir: dir,
        timing,
        clock: options.clock ?? clock,
        logger: options.logger ?? silentLogger(),
        ...(options.watchId === undefined ? {} : { watchId: options.watchId }),
        onFatal: (err) => fatal.push(err),
      });
      t.after(() => watch.close());
      await watch.open();
      return watch;
    },
  };
}

/** Pushes `frame` into `node`'s watch stream and waits until the watch has decided on it. */
export async function deliver(watch: ClusterWatch, node: FakeNode, frame: WatchFrame): Promise<void> {
  const framesOf = (): number => watch.status().nodes.find((n) => n.uri === node.uri)?.frames ?? 0;
  const before = framesOf();
  node.endpoint.watch.push(frame);
  await waitFor(`the watch to decide on ${node.nodeId}'s ${frame.TYPE}`, () => (framesOf() > before ? true : undefined), 5_000, 5);
}

/** Sends a request and waits for its answer. */
export async function requestOf(
  watch: ClusterWatch,
  node: FakeNode,
  what: WatchAsk,
  lostNodeId: string,
  epoch: number,
  phase: 'Ask' | 'Commit',
  requestId: string,
): Promise<Answer> {
  const seen = node.answersTo(requestId).length;
  await deliver(watch, node, request(node.nodeId, what, lostNodeId, epoch, phase, requestId));
  return node.nextAnswer(requestId, seen);
}
