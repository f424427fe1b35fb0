import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { clusterTiming, InMemoryNetwork, type AckFrame, type ConsentRequest } from '../../../src/cluster/index.js';
import { asEpoch, asEventId, asNodeId, hasCode, ManualClock, silentLogger, type EventId } from '../../../src/common/index.js';
import { loadControllerConfig } from '../../../src/config/index.js';
import { PassiveNode, type StopReason } from '../../../src/controller/index.js';
import { Journal, journalFileName, type JournalRecord, type OpenJournalFile } from '../../../src/journal/index.js';
import type { ReadModel, ReadModelOptions } from '../../../src/readmodel/index.js';
import { emptyState, toSnapshot } from '../../../src/state/index.js';
import { ScriptedEndpoint } from '../transport/scripted-endpoint.js';
import { allRecords, faultyFiles, journalOptions, tempDir } from '../journal/journal-fixture.js';
import { waitFor } from '../../helpers/wait.js';
import { heldReadModel } from './held-read-model.js';

const activeUri = 'https://primary.test:4443';
const backupUri = 'https://backup.test:4443';

/** A real journal of the active: header, snapshot, then one record per deployed workflow version (`versionIdOf` the v-th). */
async function activeJournal(
  t: TestContext,
  versions: number,
  rotateAfter = Infinity,
  versionIdOf = (v: number) => v,
): Promise<{ records: readonly JournalRecord[]; journalId: string }> {
  const records: unknown[][] = [];
  for (let v = 1; v <= versions; v += 1) records.push([{ TYPE: 'WorkflowDeployed', workflow: { path: 'w', versionId: versionIdOf(v), instructions: [{ TYPE: 'Finish' }] } }]);
  return journalOf(t, records, rotateAfter);
}

/** A real journal of the active: header, snapshot, then one record per element of `records`, rotated after the `rotateAfter`-th. */
async function journalOf(t: TestContext, records: readonly (readonly unknown[])[], rotateAfter = Infinity): Promise<{ records: readonly JournalRecord[]; journalId: string }> {
  const dir = await tempDir(t, 'tandem-active-');
  const { journal } = await Journal.open(journalOptions(dir, { sync: false, autoRelease: false, snapshot: () => toSnapshot(emptyState()) }));
  for (const [i, events] of records.entries()) {
    if (i === rotateAfter) await journal.rotate();
    await journal.append(events).committed;
  }
  const { journalId } = journal;
  await journal.close();
  return { records: await allRecords(dir), journalId };
}

interface PassiveHooks {
  readonly onStop?: (reason: StopReason) => void;
  readonly takeOver?: (reason: { readonly kind: string }) => void;
  readonly consent?: (request: ConsentRequest) => void;
  readonly openReadModel?: (options: ReadModelOptions) => Promise<ReadModel>;
  /** The directory of a passive opened before (a restart); a new one by default. */
  readonly base?: string;
}

async function openPassive(
  t: TestContext,
  openFile: OpenJournalFile,
  hooks: PassiveHooks = {},
): Promise<{ passive: PassiveNode; active: ScriptedEndpoint; stateDir: string; base: string; clock: ManualClock }> {
  const { onStop = () => undefined, takeOver = () => assert.fail('the passive must not take over'), consent = () => undefined } = hooks;
  // A manual clock that moves only when a test says: until then no heartbeat falls due and the failover watchdog stays asleep.
  const clock = new ManualClock();
  const base = hooks.base ?? (await tempDir(t, 'tandem-passive-'));
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
    clock,
    logger: silentLogger(),
    onStop,
    transport: network.transport(),
    openJournalFile: openFile,
    ...(hooks.openReadModel === undefined ? {} : { openReadModel: hooks.openReadModel }),
    hooks: {
      timing: clusterTiming(500, 2_500),
      consent: async (request) => {
        consent(request);
        return { granted: false, reason: 'not in this test' };
      },
      witnessRegistered: () => true,
      mayTakeAuthority: () => ({ ok: true }),
      viewChanged: () => undefined,
      stepDown: () => assert.fail('the passive must not step down'),
      takeOver,
    },
  });
  t.after(() => passive.close());
  return { passive, active, stateDir: join(base, 'data', 'state'), base, clock };
}

/** Collects the acknowledgements the passive sends, as the active's acknowledgement stream takes them. */
function readAcks(t: TestContext, passive: PassiveNode): EventId[] {
  const acks: EventId[] = [];
  const reading = new AbortController();
  t.after(() => reading.abort());
  void (async () => {
    for await (const frame of passive.ackFrames({}, reading.signal) as AsyncIterable<AckFrame>) if (frame.TYPE === 'Ack') acks.push(frame.eventId);
  })().catch((err: unknown) => {
    if (!reading.signal.aborted) throw err;
  });
  return acks;
}

async function startReplicating(passive: PassiveNode, journalId: string): Promise<void> {
  await passive.clusterCommand({ TYPE: 'ClusterStartBackupNode', setting: { idToUri: { Primary: activeUri, Backup: backupUri }, activeId: 'Primary' }, journalId, epoch: asEpoch(0) });
}

/** Starts the passive replicating from the scripted active, and collects the acknowledgements it sends. */
async function replicating(t: TestContext, passive: PassiveNode, journalId: string): Promise<EventId[]> {
  const acks = readAcks(t, passive);
  await startReplicating(passive, journalId);
  return acks;
}

const frameOf = (r: JournalRecord, bytes: Buffer = r.raw) => ({ TYPE: 'Records' as const, fileEventId: r.fileEventId, position: r.position, bytes });

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
  const files = faultyFiles();
  const { passive, active } = await openPassive(t, files.openFile);
  const acks = await replicating(t, passive, journalId);
  const written = (): number => (passive.clusterView(true)['journal'] as { position: number }).position;
  const [head, snapshot, e1, e2, e3, e4] = records;
  // The new file's header, snapshot and first events arrive in one frame.
  active.journal.push(frameOf(head!, Buffer.concat([head!.raw, snapshot!.raw, e1!.raw])));
  await until('the first events acknowledged', () => acks.at(-1) === lastEventIdOf(e1));

  let release = (): void => undefined;
  files.holdSyncs(new Promise((resolve) => (release = resolve)));
  const syncsBefore = files.syncs();
  active.journal.push(frameOf(e2!));
  await until('the second record written', () => written() === e2!.nextPosition);
  // The next frames are written while that fdatasync is still held.
  active.journal.push(frameOf(e3!), frameOf(e4!));
  await until('the fourth record written', () => written() === e4!.nextPosition);
  assert.equal(files.syncs(), syncsBefore + 1, 'one fdatasync runs, the later frames wait for the next');
  assert.equal(acks.at(-1), lastEventIdOf(e1), 'nothing is acknowledged before it is durable');
  const read = passive.readEvents(lastEventIdOf(e1), 10);
  assert.equal(read.TYPE, 'Empty', 'event readers see nothing that is not durable yet');

  release();
  await until('the last events acknowledged', () => acks.at(-1) === lastEventIdOf(e4));
  assert.equal(files.syncs(), syncsBefore + 2, 'the third and fourth record shared one fdatasync');
  // Each acknowledgement names the end of a frame (a step acknowledges its own frame only), rising.
  const later = acks.filter((a) => a > lastEventIdOf(e1));
  assert.equal(later[0], lastEventIdOf(e2));
  assert.ok(later.every((a, i) => [e2, e3, e4].map(lastEventIdOf).includes(a) && (i === 0 || a > later[i - 1]!)), `acknowledgements ${later.join(', ')}`);
  const after = passive.readEvents(lastEventIdOf(e1), 10);
  assert.equal(after.TYPE, 'NonEmpty');
  assert.deepEqual(
    after.stamped.map((s) => s.eventId),
    [e2, e3, e4].map(lastEventIdOf),
  );
  assert.equal(asEventId(Number(passive.overview().lastEventId)), lastEventIdOf(e4));
});

void test('a file whose snapshot arrives in a later frame than its header replaces the older file once it is in place', async (t) => {
  const { records, journalId } = await activeJournal(t, 3, 2);
  const [head1, snapshot1, e1, e2, head2, snapshot2, e3] = records;
  assert.equal(records.length, 7);
  assert.ok(head2?.kind === 'header' && snapshot2?.kind === 'snapshot' && head2.fileEventId > head1!.fileEventId);
  const files = faultyFiles();
  const { passive, active, stateDir } = await openPassive(t, files.openFile);
  const acks = await replicating(t, passive, journalId);
  const journalFiles = async (): Promise<string[]> => (await readdir(stateDir)).filter((f) => f.endsWith('.journal')).sort();
  active.journal.push(frameOf(head1!, Buffer.concat([head1!.raw, snapshot1!.raw, e1!.raw, e2!.raw])));
  await until('the first file acknowledged', () => acks.at(-1) === lastEventIdOf(e2));

  active.journal.push(frameOf(head2));
  const written = (): { fileEventId: number; position: number } => passive.clusterView(true)['journal'] as { fileEventId: number; position: number };
  await until('the second header written', () => written().fileEventId === head2.fileEventId && written().position === head2.nextPosition);
  assert.deepEqual(await journalFiles(), [journalFileName(head1!.fileEventId)], 'a file without its snapshot replaces nothing');

  active.journal.push(frameOf(snapshot2), frameOf(e3!));
  await until('the new file acknowledged', () => acks.at(-1) === lastEventIdOf(e3));
  await waitFor('the older file released', async () => ((await journalFiles()).length === 1 ? true : undefined));
  assert.deepEqual(await journalFiles(), [journalFileName(head2.fileEventId)]);
});

void test('a replaced file stays until the read model holds its events, so a restart can still fill the read model from it', async (t) => {
  const { records, journalId } = await activeJournal(t, 3, 2);
  const [head1, snapshot1, e1, e2, head2, snapshot2, e3] = records;
  assert.ok(head2?.kind === 'header' && e3?.kind === 'events');
  // The read model's writes wait until the test lets them go.
  const held = heldReadModel();
  const { passive, active, stateDir } = await openPassive(t, faultyFiles().openFile, { openReadModel: held.open });
  await replicating(t, passive, journalId);
  const journalFiles = async (): Promise<string[]> => (await readdir(stateDir)).filter((f) => f.endsWith('.journal')).sort();
  active.journal.push(frameOf(head1!, Buffer.concat([head1!.raw, snapshot1!.raw, e1!.raw, e2!.raw])), frameOf(head2, Buffer.concat([head2.raw, snapshot2!.raw, e3.raw])));
  // The frame's events are shown in the same step that decides on the release.
  await until('the new file applied', () => passive.readEvents(lastEventIdOf(e2), 10).TYPE === 'NonEmpty');
  assert.deepEqual(await journalFiles(), [journalFileName(head1!.fileEventId), journalFileName(head2.fileEventId)], 'the older file stays while the read model lacks its events');
  held.release();
  await waitFor('the older file released once the read model has stored its events', async () => ((await journalFiles()).length === 1 ? true : undefined));
  assert.deepEqual(await journalFiles(), [journalFileName(head2.fileEventId)]);
});

void test('a backup stopped while its journal holds nothing from after the appointment starts again and waits to be appointed', async (t) => {
  // The primary ran alone before it was appointed: the first file the backup copies has no appointment in it yet.
  const { records, journalId } = await activeJournal(t, 2);
  const [head, snapshot, e1, e2] = records;
  const first = await openPassive(t, faultyFiles().openFile);
  const acks = await replicating(t, first.passive, journalId);
  first.active.journal.push(frameOf(head!, Buffer.concat([head!.raw, snapshot!.raw, e1!.raw])));
  await until('the first events acknowledged', () => acks.at(-1) === lastEventIdOf(e1));
  await first.passive.close();

  const again = await openPassive(t, faultyFiles().openFile, { base: first.base });
  assert.deepEqual(again.passive.ready().reasons, ['backup not appointed yet']);
  const more = await replicating(t, again.passive, journalId);
  again.active.journal.push(frameOf(e2!));
  await until('it goes on from where its journal ends', () => more.at(-1) === lastEventIdOf(e2));
});

void test('a restarted backup deletes no older file before an active has served its journal: a cut back may need it', async (t) => {
  const { records, journalId } = await activeJournal(t, 4, 2);
  const [head1, snapshot1, e1, e2, head2, snapshot2, e3, e4] = records;
  assert.ok(head2?.kind === 'header' && e4?.kind === 'events');
  // The first run's read model stores nothing, so the older file stays in it.
  const held = heldReadModel();
  const first = await openPassive(t, faultyFiles().openFile, { openReadModel: held.open });
  const acks = await replicating(t, first.passive, journalId);
  first.active.journal.push(frameOf(head1!, Buffer.concat([head1!.raw, snapshot1!.raw, e1!.raw, e2!.raw])), frameOf(head2, Buffer.concat([head2.raw, snapshot2!.raw, e3!.raw])));
  await until('the newer file acknowledged', () => acks.at(-1) === lastEventIdOf(e3));
  held.discard();
  held.release();
  await first.passive.close();
  const journalFiles = async (): Promise<string[]> => (await readdir(first.stateDir)).filter((f) => f.endsWith('.journal')).sort();
  const both = [journalFileName(head1!.fileEventId), journalFileName(head2.fileEventId)];
  assert.deepEqual(await journalFiles(), both);

  // Started again, the read model is filled from both files at once; the older file still stays.
  const again = await openPassive(t, faultyFiles().openFile, { base: first.base });
  assert.deepEqual(await journalFiles(), both, 'kept: this node may have to cut its journal back into it');
  const more = await replicating(t, again.passive, journalId);
  again.active.journal.push(frameOf(e4));
  await until('the next events acknowledged', () => more.at(-1) === lastEventIdOf(e4));
  await waitFor('the older file released once the active served this journal', async () => ((await journalFiles()).length === 1 ? true : undefined));
});

void test('a failed fdatasync acknowledges nothing and stops the passive, which would otherwise hold the commits of the active for ever', async (t) => {
  const { records, journalId } = await activeJournal(t, 2);
  const [head, snapshot, e1, e2] = records;
  const files = faultyFiles();
  const stops: StopReason[] = [];
  const { passive, active } = await openPassive(t, files.openFile, { onStop: (reason) => stops.push(reason) });
  const acks = await replicating(t, passive, journalId);
  active.journal.push(frameOf(head!, Buffer.concat([head!.raw, snapshot!.raw, e1!.raw])));
  await until('the first events acknowledged', () => acks.at(-1) === lastEventIdOf(e1));

  files.failSyncs(new Error('EIO: injected'));
  active.journal.push(frameOf(e2!));
  await until('the passive stopping', () => stops.length > 0);
  const [stop] = stops;
  assert.equal(stop?.kind, 'fatal');
  assert.ok(hasCode((stop as { error: unknown }).error, 'JournalWriteFailed'));
  assert.equal(acks.at(-1), lastEventIdOf(e1), 'the events whose fdatasync failed are not acknowledged');
  assert.equal(passive.readEvents(lastEventIdOf(e1), 10).TYPE, 'Empty');
  assert.equal(passive.live().ok, false, 'it reports itself not live');
  assert.equal(stops.length, 1, 'stopped once');
});

void test('an event that does not fit the state stops the passive; it was durable, so it was acknowledged, but never shown', async (t) => {
  // The second record deploys version 1 again, which no active writes: the pair's states differ.
  const { records, journalId } = await activeJournal(t, 2, Infinity, () => 1);
  const [head, snapshot, e1, e2] = records;
  const stops: StopReason[] = [];
  const { passive, active } = await openPassive(t, faultyFiles().openFile, { onStop: (reason) => stops.push(reason) });
  const acks = await replicating(t, passive, journalId);
  active.journal.push(frameOf(head!, Buffer.concat([head!.raw, snapshot!.raw, e1!.raw])));
  await until('the first events acknowledged', () => acks.at(-1) === lastEventIdOf(e1));
  assert.equal(stops.length, 0);

  active.journal.push(frameOf(e2!));
  await until('the passive stopping', () => stops.length > 0);
  const [stop] = stops;
  assert.equal(stop?.kind, 'fatal');
  assert.match(String((stop as { error: unknown }).error), /version 1 exists already/);
  await until('the record acknowledged (it is durable here)', () => acks.at(-1) === lastEventIdOf(e2));
  assert.equal(passive.readEvents(lastEventIdOf(e1), 10).TYPE, 'Empty', 'readers never see the event');
  assert.equal(stops.length, 1, 'stopped once');
});

void test('a SwitchedOver naming the passive makes it take over only once its acknowledgement is out, also when it is applied first', async (t) => {
  const setting = { Primary: activeUri, Backup: backupUri };
  const { records, journalId } = await journalOf(t, [
    [{ TYPE: 'ClusterNodesAppointed', idToUri: setting, activeId: 'Primary' }],
    [{ TYPE: 'ClusterCouplingPrepared', activeId: 'Primary' }, { TYPE: 'ClusterCoupled', activeId: 'Primary' }],
    [{ TYPE: 'ClusterSwitchedOver', activeId: 'Backup' }],
  ]);
  const [head, snapshot, appointed, coupled, switched] = records;
  const takeOvers: { readonly kind: string }[] = [];
  const { passive, active } = await openPassive(t, faultyFiles().openFile, { takeOver: (reason) => takeOvers.push(reason) });
  // Nobody reads the acknowledgement stream yet: the active has not taken any acknowledgement.
  await startReplicating(passive, journalId);
  active.journal.push(frameOf(head!, Buffer.concat([head!.raw, snapshot!.raw, appointed!.raw, coupled!.raw])), frameOf(switched!));
  await until('the SwitchedOver applied', () => (passive.clusterView(false) as { TYPE?: string }).TYPE === 'SwitchedOver');
  assert.deepEqual(takeOvers, [], 'applied but not acknowledged: the old active may not know yet');

  const acks = readAcks(t, passive);
  await until('the passive taking over', () => takeOvers.length > 0);
  assert.deepEqual(takeOvers, [{ kind: 'SwitchedOver' }]);
  assert.equal(acks.at(-1), lastEventIdOf(switched), 'the acknowledgement of the SwitchedOver went out first');
});

/** Moves the passive's clock on by `ms` in steps of `step`, letting its tasks run after each. */
async function elapse(clock: ManualClock, ms: number, step = 100): Promise<void> {
  for (let passed = 0; passed < ms; passed += step) {
    clock.advance(step);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * A passive coupled with the scripted active (appointed, then coupled, acknowledged).
 * `passiveLostHeld()` then sends the active's next record, PassiveLost — the active went
 * on alone with the watch's consent — and holds that frame's fdatasync until `release()`.
 */
async function coupledPassive(
  t: TestContext,
  hooks: PassiveHooks = {},
): Promise<{ passive: PassiveNode; active: ScriptedEndpoint; clock: ManualClock; passiveLostHeld(): Promise<{ release(): void }> }> {
  const { records, journalId } = await journalOf(t, [
    [{ TYPE: 'ClusterNodesAppointed', idToUri: { Primary: activeUri, Backup: backupUri }, activeId: 'Primary' }],
    [{ TYPE: 'ClusterCouplingPrepared', activeId: 'Primary' }, { TYPE: 'ClusterCoupled', activeId: 'Primary' }],
    [{ TYPE: 'ClusterPassiveLost', id: 'Backup' }],
  ]);
  const [head, snapshot, appointed, coupled, passiveLost] = records;
  const files = faultyFiles();
  const { passive, active, clock } = await openPassive(t, files.openFile, hooks);
  const acks = await replicating(t, passive, journalId);
  active.journal.push(frameOf(head!, Buffer.concat([head!.raw, snapshot!.raw, appointed!.raw, coupled!.raw])));
  await until('the coupled state acknowledged', () => acks.at(-1) === lastEventIdOf(coupled));
  const passiveLostHeld = async (): Promise<{ release(): void }> => {
    let release = (): void => undefined;
    files.holdSyncs(new Promise((resolve) => (release = resolve)));
    active.journal.push(frameOf(passiveLost!));
    await until('the PassiveLost frame written', () => (passive.clusterView(true)['journal'] as { position: number }).position === passiveLost!.nextPosition);
    return { release };
  };
  return { passive, active, clock, passiveLostHeld };
}

const clusterType = (passive: PassiveNode): string | undefined => (passive.clusterView(false) as { TYPE?: string }).TYPE;
const commandsOf = (active: ScriptedEndpoint, type: string): number => active.commands.filter((c) => (c as { TYPE?: string }).TYPE === type).length;

void test('a silent active is failed over from only on what the passive has applied: frames still in their fdatasync may say the pair is no longer coupled', async (t) => {
  await t.test('coupled and silent: the passive asks to fail over', async (t) => {
    const consents: ConsentRequest[] = [];
    const { clock } = await coupledPassive(t, { consent: (request) => consents.push(request) });
    await elapse(clock, 5_000);
    await until('the passive asking to fail over', () => consents.length > 0);
    assert.deepEqual(consents[0], { ask: 'FailedOver', epoch: asEpoch(0), lostNodeId: 'Primary' });
  });
  await t.test('the last frame says PassiveLost: no failover', async (t) => {
    const consents: ConsentRequest[] = [];
    const { passive, active, clock, passiveLostHeld } = await coupledPassive(t, { consent: (request) => consents.push(request) });
    const held = await passiveLostHeld();
    // The active is silent long enough while that frame's fdatasync is held.
    await elapse(clock, 5_000);
    assert.equal(clusterType(passive), 'Coupled', 'the frame is not applied yet');
    held.release();
    await until('the PassiveLost applied', () => clusterType(passive) === 'PassiveLost');
    await elapse(clock, 5_000);
    assert.deepEqual(consents, [], 'no failover was asked for');
    assert.equal(commandsOf(active, 'ClusterInhibitActivation'), 0, 'the active was not told to inhibit itself');
  });
});

void test('a passive shutting down tells the active only if the frames it has applied leave the pair coupled', async (t) => {
  await t.test('coupled: the active is told', async (t) => {
    const { passive, active } = await coupledPassive(t);
    await passive.close();
    assert.equal(commandsOf(active, 'ClusterPassiveDown'), 1);
  });
  await t.test('the frame still in its fdatasync says PassiveLost: nothing to tell', async (t) => {
    const { passive, active, passiveLostHeld } = await coupledPassive(t);
    const held = await passiveLostHeld();
    const closed = passive.close();
    held.release();
    await closed;
    assert.equal(clusterType(passive), 'PassiveLost', 'the frame was applied before the decision');
    assert.equal(commandsOf(active, 'ClusterPassiveDown'), 0, 'the active, which already went on alone, is not told');
  });
});

void test('a passive told to inhibit itself for an hour holds back no longer than its own inhibit time, then fails over from a silent active', async (t) => {
  const consents: ConsentRequest[] = [];
  const { passive, clock } = await coupledPassive(t, { consent: (request) => consents.push(request) });
  const timing = clusterTiming(500, 2_500);
  const answer = await passive.clusterCommand({ TYPE: 'ClusterInhibitActivation', duration: 3_600_000, epoch: 0 });
  assert.deepEqual(answer, { TYPE: 'ClusterInhibitActivationAnswer', isActive: false, epoch: 0 });
  assert.equal(passive.clusterView(true)['inhibitedForMs'], timing.inhibitMs, "the node's own view says for how long");
  await elapse(clock, timing.inhibitMs - 500);
  assert.equal(consents.length, 0, 'inhibited: no failover yet');
  await elapse(clock, 2_000);
  await until('the passive asking to fail over once its own inhibit time is over', () => consents.length > 0);
});

void test('a ClusterStartBackupNode naming other nodes than the pair has is refused, even in a higher epoch, and the passive keeps its active', async (t) => {
  const { journalId } = await activeJournal(t, 1);
  const { passive } = await openPassive(t, faultyFiles().openFile);
  await startReplicating(passive, journalId);
  const elsewhere = { TYPE: 'ClusterStartBackupNode', setting: { idToUri: { Primary: 'https://elsewhere.test:4443', Backup: backupUri }, activeId: 'Primary' }, journalId, epoch: 1 };
  await assert.rejects(passive.clusterCommand(elsewhere), (e: unknown) => hasCode(e, 'ClusterRoleConflict'));
  // Its refusals still name the appointed active.
  assert.throws(() => passive.journalFrames(), (e: unknown) => hasCode(e, 'ClusterNodeIsNotActive') && (e as { arguments: { activeUri?: string } }).arguments.activeUri === activeUri);
});
