import assert from 'node:assert/strict';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { clusterTiming, InMemoryNetwork, type AckFrame } from '../../../src/cluster/index.js';
import { asEpoch, asEventId, asNodeId, ManualClock, silentLogger, type EventId } from '../../../src/common/index.js';
import { loadControllerConfig } from '../../../src/config/index.js';
import { PassiveNode } from '../../../src/controller/index.js';
import { Journal, type JournalFileHandle, type JournalRecord, type OpenJournalFile } from '../../../src/journal/index.js';
import { emptyState, toSnapshot } from '../../../src/state/index.js';
import { ScriptedEndpoint } from '../transport/scripted-endpoint.js';
import { allRecords, journalOptions, tempDir } from '../journal/journal-fixture.js';
import { waitFor } from '../../helpers/wait.js';

const activeUri = 'https://primary.test:4443';
const backupUri = 'https://backup.test:4443';

/** A real journal of the active: header, snapshot, then one record per deployed workflow version. */
async function activeJournal(t: TestContext, versions: number): Promise<{ records: readonly JournalRecord[]; journalId: string }> {
  const dir = await tempDir(t, 'tandem-active-');
  const { journal } = await Journal.open(journalOptions(dir, { sync: false, snapshot: () => toSnapshot(emptyState()) }));
  for (let v = 1; v <= versions; v += 1) {
    await journal.append([{ TYPE: 'WorkflowDeployed', workflow: { path: 'w', versionId: v, instructions: [{ TYPE: 'Finish' }] } }]).committed;
  }
  const { journalId } = journal;
  await journal.close();
  return { records: await allRecords(dir), journalId };
}

/** Counts the replica's fdatasyncs; while `hold` is set, each waits for it. */
function gatedFiles(): { openFile: OpenJournalFile; io: { syncs: number; hold: Promise<void> | undefined } } {
  const io = { syncs: 0, hold: undefined as Promise<void> | undefined };
  const openFile: OpenJournalFile = async (path, flags) => {
    const handle = await open(path, flags);
    const gated: JournalFileHandle = {
      write: (buffer, offset, length, position) => handle.write(buffer, offset, length, position),
      datasync: async () => {
        io.syncs += 1;
        await io.hold;
        await handle.datasync();
      },
      close: () => handle.close(),
    };
    return gated;
  };
  return { openFile, io };
}

async function openPassive(t: TestContext, openFile: OpenJournalFile): Promise<{ passive: PassiveNode; active: ScriptedEndpoint }> {
  const base = await tempDir(t, 'tandem-passive-');
  const configDir = join(base, 'config');
  await mkdir(configDir, { recursive: true });
  await writeFile(join(configDir, 'controller.conf'), 'js7.journal.cluster.node.is-backup = yes\n');
  const network = new InMemoryNetwork();
  const active = new ScriptedEndpoint();
  network.register(activeUri, active);
  const passive = await PassiveNode.open({
    config: loadControllerConfig({ configDir, env: {} }),
    dataDir: join(base, 'data'),
    nodeId: asNodeId('Backup'),
    version: 'test',
    // A manual clock that never moves: no heartbeat falls due and the failover watchdog stays asleep.
    clock: new ManualClock(),
    logger: silentLogger(),
    onStop: () => undefined,
    transport: network.transport(),
    openJournalFile: openFile,
    hooks: {
      timing: clusterTiming(500, 2_500),
      consent: async () => ({ granted: false, reason: 'not in this test' }),
      witnessRegistered: () => true,
      mayTakeAuthority: () => ({ ok: true }),
      viewChanged: () => undefined,
      stepDown: () => assert.fail('the passive must not step down'),
      takeOver: () => assert.fail('the passive must not take over'),
    },
  });
  t.after(() => passive.close());
  return { passive, active };
}

/** Waits (bounded) until `holds()` is true. */
async function until(what: string, holds: () => boolean): Promise<void> {
  await waitFor(what, () => (holds() ? true : undefined));
}

function lastEventIdOf(record: JournalRecord | undefined): EventId {
  assert.ok(record?.kind === 'events');
  return record.body[record.body.length - 1]!.eventId;
}

void test('the passive acknowledges only what its fdatasync made durable, and writes on while one runs', async (t) => {
  const { records, journalId } = await activeJournal(t, 4);
  // header, snapshot, then four event records
  assert.equal(records.length, 6);
  const { openFile, io } = gatedFiles();
  const { passive, active } = await openPassive(t, openFile);
  const acks: EventId[] = [];
  const reading = new AbortController();
  t.after(() => reading.abort());
  void (async () => {
    for await (const frame of passive.ackFrames({}, reading.signal) as AsyncIterable<AckFrame>) if (frame.TYPE === 'Ack') acks.push(frame.eventId);
  })();
  const written = (): number => (passive.clusterView(true)['journal'] as { position: number }).position;
  const frameOf = (r: JournalRecord) => ({ TYPE: 'Records' as const, fileEventId: r.fileEventId, position: r.position, bytes: r.raw });

  await passive.clusterCommand({ TYPE: 'ClusterStartBackupNode', setting: { idToUri: { Primary: activeUri, Backup: backupUri }, activeId: 'Primary' }, journalId, epoch: asEpoch(0) });
  const [head, snapshot, e1, e2, e3, e4] = records;
  // The new file's header, snapshot and first events arrive in one frame.
  active.journal.push({ ...frameOf(head!), bytes: Buffer.concat([head!.raw, snapshot!.raw, e1!.raw]) });
  await until('the first events acknowledged', () => acks.at(-1) === lastEventIdOf(e1));

  let release = (): void => undefined;
  io.hold = new Promise((resolve) => (release = resolve));
  const syncsBefore = io.syncs;
  active.journal.push(frameOf(e2!));
  await until('the second record written', () => written() === e2!.nextPosition);
  // The next frames are written while that fdatasync is still held.
  active.journal.push(frameOf(e3!), frameOf(e4!));
  await until('the fourth record written', () => written() === e4!.nextPosition);
  assert.equal(io.syncs, syncsBefore + 1, 'one fdatasync runs, the later frames wait for the next');
  assert.equal(acks.at(-1), lastEventIdOf(e1), 'nothing is acknowledged before it is durable');
  const read = passive.readEvents(lastEventIdOf(e1), 10);
  assert.equal(read.TYPE, 'Empty', 'event readers see nothing that is not durable yet');

  release();
  await until('the last events acknowledged', () => acks.at(-1) === lastEventIdOf(e4));
  assert.equal(io.syncs, syncsBefore + 2, 'the third and fourth record shared one fdatasync');
  assert.deepEqual(
    acks.filter((a) => a > lastEventIdOf(e1)),
    [lastEventIdOf(e2), lastEventIdOf(e4)],
  );
  const after = passive.readEvents(lastEventIdOf(e1), 10);
  assert.equal(after.TYPE, 'NonEmpty');
  assert.deepEqual(
    after.stamped.map((s) => s.eventId),
    [e2, e3, e4].map(lastEventIdOf),
  );
  assert.equal(asEventId(Number(passive.overview().lastEventId)), lastEventIdOf(e4));
});
