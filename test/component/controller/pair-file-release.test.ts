import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { clusterTiming, InMemoryNetwork, type ClusterEndpoint, type JournalFrame, type JournalStreamRequest } from '../../../src/cluster/index.js';
import { asNodeId, silentLogger, systemClock, TandemError, type EventId } from '../../../src/common/index.js';
import { loadControllerConfig } from '../../../src/config/index.js';
import { ClusterNode, type LicenceCheck } from '../../../src/controller/index.js';
import type { ReadModel, ReadModelOptions } from '../../../src/readmodel/index.js';
import { tempDir } from '../journal/journal-fixture.js';
import { waitFor } from '../../helpers/wait.js';
import { ClusterWatch } from '../../../src/watch/index.js';
import { heldReadModel } from './held-read-model.js';

const primaryUri = 'https://primary.test:4443';
const backupUri = 'https://backup.test:4443';
const user = { userId: 'pair-release-test', permissions: new Set(['SuperPermission']) };

/** No failover happens in these tests: a licence that never permits taking authority. */
const noLicence: LicenceCheck = {
  permitsTakingAuthority: () => ({ ok: false, error: new TandemError('LicenceMissing', 'No licence in this test.') }),
  status: () => ({ TYPE: 'None' }),
};

/** The primary's journal stream, with frames of files newer than a given one held back while the gate is shut. */
class GatedEndpoint implements ClusterEndpoint {
  readonly #inner: ClusterEndpoint;
  #heldAfter: EventId | undefined;
  #open: Promise<void> = Promise.resolve();
  #opened = (): void => undefined;

  constructor(inner: ClusterEndpoint) {
    this.#inner = inner;
  }

  /** From now on, frames of files after `fileEventId` wait for `open()`. */
  shut(fileEventId: EventId): void {
    this.#heldAfter = fileEventId;
    this.#open = new Promise<void>((resolve) => (this.#opened = resolve));
  }

  open(): void {
    this.#heldAfter = undefined;
    this.#opened();
  }

  async *journalFrames(request: JournalStreamRequest, signal: AbortSignal): AsyncIterable<JournalFrame> {
    const aborted = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    for await (const frame of this.#inner.journalFrames(request, signal)) {
      if (this.#heldAfter !== undefined && frame.fileEventId > this.#heldAfter) await Promise.race([this.#open, aborted]);
      if (signal.aborted) return;
      yield frame;
    }
  }

  ackFrames: ClusterEndpoint['ackFrames'] = (request, signal) => this.#inner.ackFrames(request, signal);
  watchFrames: ClusterEndpoint['watchFrames'] = (request, signal) => this.#inner.watchFrames(request, signal);
  clusterCommand: ClusterEndpoint['clusterCommand'] = (command) => this.#inner.clusterCommand(command);
}

async function openNode(
  t: TestContext,
  network: InMemoryNetwork,
  name: 'Primary' | 'Backup',
  openReadModel?: (options: ReadModelOptions) => Promise<ReadModel>,
): Promise<{ node: ClusterNode; stateDir: string }> {
  const base = await tempDir(t, `tandem-pair-${name.toLowerCase()}-`);
  const configDir = join(base, 'config');
  await mkdir(configDir, { recursive: true });
  const conf =
    name === 'Backup'
      ? 'js7.journal.cluster.node.is-backup = yes\n'
      : `js7.journal.cluster.nodes { Primary = "${primaryUri}", Backup = "${backupUri}" }\n`;
  await writeFile(join(configDir, 'controller.conf'), conf);
  const transport = network.transport();
  const node = await ClusterNode.open({
    config: loadControllerConfig({ configDir, env: {} }),
    dataDir: join(base, 'data'),
    nodeId: asNodeId(name),
    version: 'test',
    clock: systemClock,
    logger: silentLogger(),
    onStop: () => undefined,
    transport,
    licence: noLicence,
    ...(openReadModel === undefined ? {} : { openReadModel }),
  });
  t.after(async () => {
    await node.close();
    await transport.close();
  });
  return { node, stateDir: join(base, 'data', 'state') };
}

const journalFiles = async (stateDir: string): Promise<string[]> => (await readdir(stateDir)).filter((f) => f.endsWith('.journal')).sort();
const clusterType = (node: ClusterNode): unknown => node.clusterView(false).TYPE;

void test('the active keeps a replaced journal file until the passive has acknowledged an event of the newer file, so a passive that reconnects in between goes on', async (t) => {
  const network = new InMemoryNetwork();
  const held = heldReadModel();
  held.release();
  const primary = await openNode(t, network, 'Primary', held.open);
  const gate = new GatedEndpoint(primary.node);
  network.register(primaryUri, gate);
  const backup = await openNode(t, network, 'Backup');
  network.register(backupUri, backup.node);
  // The pair couples only with a watch.
  const watch = new ClusterWatch({
    nodes: [{ uri: primaryUri }, { uri: backupUri }],
    transport: () => network.transport(),
    dataDir: await tempDir(t, 'tandem-pair-watch-'),
    timing: clusterTiming(500, 2_500),
    clock: systemClock,
    logger: silentLogger(),
    onFatal: (err) => assert.fail(`the watch failed: ${String(err)}`),
  });
  t.after(() => watch.close());
  await watch.open();
  await waitFor('both nodes Coupled', () => (clusterType(primary.node) === 'Coupled' && clusterType(backup.node) === 'Coupled' ? true : undefined));

  const deploy = (n: number) => primary.node.executeCommand({ TYPE: 'DeployWorkflow', workflow: { path: `r/w${n}`, instructions: [{ TYPE: 'Finish' }] } }, user);
  await deploy(1);
  // The last event of the first file: committed, so the passive acknowledged it; the primary's read model has not stored it yet.
  held.hold();
  await deploy(2);
  const [firstFile] = await journalFiles(primary.stateDir);
  assert.ok(firstFile !== undefined);
  const journal = (primary.node.clusterView(true) as { journal?: { fileEventId: EventId; lastEventId: EventId } }).journal;
  assert.ok(journal !== undefined, 'the active names its journal position');
  // The passive gets nothing of the newer file until the gate opens.
  gate.shut(journal.fileEventId);
  await primary.node.executeCommand({ TYPE: 'TakeSnapshot' }, user);
  assert.equal((await journalFiles(primary.stateDir)).length, 2);
  // Now the read model stores the last event of the first file: the moment the active used to delete that file.
  held.release();
  await waitFor("the primary's read model to hold the first file's events", () => (held.models[0]!.lastEventId >= journal.lastEventId ? true : undefined));
  assert.deepEqual((await journalFiles(primary.stateDir))[0], firstFile, 'the first file stays: the passive lacks the start of the newer one');

  // The passive's connection breaks before it got the newer file: it asks again for the end of the first file.
  network.cut(primaryUri);
  gate.open();
  let committed: unknown;
  deploy(3).then(() => (committed = true), (err: unknown) => (committed = err));
  assert.equal(await waitFor('a command committed by the pair again', () => committed), true);
  await waitFor('the backup holds both files as the primary does', async () => {
    const [p, b] = [await journalFiles(primary.stateDir), await journalFiles(backup.stateDir)];
    return b.length > 0 && p.at(-1) === b.at(-1) ? true : undefined;
  });
  await waitFor('the first file deleted once the passive acknowledged an event of the newer one', async () =>
    (await journalFiles(primary.stateDir)).includes(firstFile) ? undefined : true,
  );
});
