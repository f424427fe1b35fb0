import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { asEpoch, createLogger, hasCode, silentLogger } from '../../../src/common/index.js';
import { ClusterWatch, WATCH_STATE_FILE_NAME, WatchStateFile, type WatchMemory } from '../../../src/watch/index.js';
import { waitFor } from '../../helpers/wait.js';
import { deliver, heartbeat, requestOf, timing, watchFixture } from './watch-harness.js';

const taught = (epoch: number, activeId: string, extra: Partial<Record<'passiveLostGrantedInEpoch' | 'failedOverGrantedInEpoch', number>> = {}, watchId = 'watch-a'): WatchMemory => ({
  TYPE: 'Taught',
  watchId,
  epoch: asEpoch(epoch),
  activeId,
  ...(extra.passiveLostGrantedInEpoch === undefined ? {} : { passiveLostGrantedInEpoch: asEpoch(extra.passiveLostGrantedInEpoch) }),
  ...(extra.failedOverGrantedInEpoch === undefined ? {} : { failedOverGrantedInEpoch: asEpoch(extra.failedOverGrantedInEpoch) }),
});

test('an untaught watch refuses until the active node teaches it, then holds and grants PassiveLost', async (t) => {
  const f = await watchFixture(t);
  const watch = await f.open({ watchId: 'watch-a' });
  assert.deepEqual(watch.status().memory, { TYPE: 'Untaught', watchId: 'watch-a' });
  assert.deepEqual(await new WatchStateFile(f.dataDir).read(), { TYPE: 'Untaught', watchId: 'watch-a' }, 'the id is kept from the first start');

  await deliver(watch, f.backup, heartbeat('Backup', 2, false));
  const early = await requestOf(watch, f.primary, 'PassiveLost', 'Backup', 2, 'Ask', 'r-1');
  assert.equal(early.verdict, 'Refused');
  assert.match(early.reason ?? '', /untaught/);
  assert.equal(early.epoch, 0);
  assert.equal(early.activeId, null);

  await deliver(watch, f.primary, heartbeat('Primary', 2, true));
  assert.deepEqual(await new WatchStateFile(f.dataDir).read(), taught(2, 'Primary'), 'taught and persisted');
  const held = await requestOf(watch, f.primary, 'PassiveLost', 'Backup', 2, 'Ask', 'r-2');
  assert.equal(held.verdict, 'Hold');
  assert.equal(held.holdMs, timing.holdMs);
  assert.deepEqual(watch.status().hold, { requestId: 'r-2', nodeId: 'Primary', ask: 'PassiveLost', lostNodeId: 'Backup', remainingMs: timing.holdMs });
  const granted = await requestOf(watch, f.primary, 'PassiveLost', 'Backup', 2, 'Commit', 'r-2');
  assert.deepEqual(granted, { TYPE: 'ClusterWatchAnswer', watchId: 'watch-a', requestId: 'r-2', verdict: 'Granted', epoch: 2, activeId: 'Primary' });
  assert.deepEqual(await new WatchStateFile(f.dataDir).read(), taught(2, 'Primary', { passiveLostGrantedInEpoch: 2 }));
  assert.equal(f.backup.endpoint.commands.length, 0, "the answers go to the node that asked, not to its peer");
});

test('FailedOver is refused while the active node heartbeats, held and granted once it is silent past watch-valid', async (t) => {
  const f = await watchFixture(t);
  const watch = await f.open({ watchId: 'watch-a' });
  await deliver(watch, f.primary, heartbeat('Primary', 3, true));
  await deliver(watch, f.backup, heartbeat('Backup', 3, false));

  f.clock.advance(timing.watchValidMs - 200);
  await deliver(watch, f.primary, heartbeat('Primary', 3, true));
  f.clock.advance(800);
  const refused = await requestOf(watch, f.backup, 'FailedOver', 'Primary', 3, 'Ask', 'r-1');
  assert.equal(refused.verdict, 'Refused');
  assert.match(refused.reason ?? '', /the active node Primary was heard 800 ms ago/);
  assert.deepEqual(watch.status().nodes.map((n) => [n.nodeId, n.lastHeartbeatAgeMs]), [['Primary', 800], ['Backup', timing.watchValidMs + 600]]);

  // The active goes silent; the backup keeps heartbeating.
  f.clock.advance(timing.watchValidMs - 800 + 1);
  await deliver(watch, f.backup, heartbeat('Backup', 3, false));
  const held = await requestOf(watch, f.backup, 'FailedOver', 'Primary', 3, 'Ask', 'r-2');
  assert.equal(held.verdict, 'Hold');
  assert.deepEqual(await new WatchStateFile(f.dataDir).read(), taught(3, 'Primary'), 'a hold writes nothing');
  const granted = await requestOf(watch, f.backup, 'FailedOver', 'Primary', 3, 'Commit', 'r-2');
  assert.deepEqual(granted, { TYPE: 'ClusterWatchAnswer', watchId: 'watch-a', requestId: 'r-2', verdict: 'Granted', epoch: 4, activeId: 'Backup' });
  assert.deepEqual(await new WatchStateFile(f.dataDir).read(), taught(4, 'Backup', { failedOverGrantedInEpoch: 3 }));

  // The old active comes back in epoch 3: it is told it lost, and its own request is refused.
  await deliver(watch, f.primary, heartbeat('Primary', 3, true));
  await f.primary.endpoint.until('ClusterWatchEpoch', () => f.primary.commands().some((c) => c.TYPE === 'ClusterWatchEpoch'));
  assert.deepEqual(
    f.primary.commands().find((c) => c.TYPE === 'ClusterWatchEpoch'),
    { TYPE: 'ClusterWatchEpoch', watchId: 'watch-a', epoch: 4, activeId: 'Backup' },
  );
  const late = await requestOf(watch, f.primary, 'PassiveLost', 'Backup', 3, 'Ask', 'r-3');
  assert.equal(late.verdict, 'Refused');
  assert.deepEqual([late.epoch, late.activeId], [4, 'Backup']);
});

test("the active node's heartbeat between Ask and Commit cancels a FailedOver", async (t) => {
  const f = await watchFixture(t);
  const watch = await f.open();
  await deliver(watch, f.primary, heartbeat('Primary', 3, true));
  f.clock.advance(timing.watchValidMs + 1);
  assert.equal((await requestOf(watch, f.backup, 'FailedOver', 'Primary', 3, 'Ask', 'r-1')).verdict, 'Hold');
  await deliver(watch, f.primary, heartbeat('Primary', 3, true));
  const answer = await requestOf(watch, f.backup, 'FailedOver', 'Primary', 3, 'Commit', 'r-1');
  assert.equal(answer.verdict, 'Refused');
  assert.match(answer.reason ?? '', /cancelled: Primary sent a heartbeat as the active node/);
  assert.equal(watch.status().hold, null);
  assert.deepEqual(await new WatchStateFile(f.dataDir).read(), taught(3, 'Primary', {}, watch.status().watchId), 'nothing was granted');
});

test('the state file survives a restart: epoch, active node, grants and id are kept', async (t) => {
  const f = await watchFixture(t);
  const first = await f.open();
  const watchId = first.status().watchId;
  assert.match(watchId, /^watch-[0-9a-f-]{36}$/, 'a generated id');
  await deliver(first, f.primary, heartbeat('Primary', 7, true));
  assert.equal((await requestOf(first, f.primary, 'PassiveLost', 'Backup', 7, 'Ask', 'r-1')).verdict, 'Hold');
  assert.equal((await requestOf(first, f.primary, 'PassiveLost', 'Backup', 7, 'Commit', 'r-1')).verdict, 'Granted');
  await first.close();
  await first.close();

  const second = await f.open();
  assert.deepEqual(second.status().memory, taught(7, 'Primary', { passiveLostGrantedInEpoch: 7 }, watchId));
  // Before any heartbeat: the restarted watch answers with what it remembers.
  const answer = await requestOf(second, f.backup, 'FailedOver', 'Primary', 7, 'Ask', 'r-2');
  assert.equal(answer.verdict, 'Refused');
  assert.match(answer.reason ?? '', /PassiveLost was granted in epoch 7/);
  assert.deepEqual([answer.watchId, answer.epoch, answer.activeId], [watchId, 7, 'Primary']);
  await second.close();
  const fresh = await f.open({ watchId: 'watch-b' });
  assert.equal(fresh.status().watchId, 'watch-b', 'a configured id replaces the stored one');
  assert.deepEqual((await new WatchStateFile(f.dataDir).read())?.watchId, 'watch-b');
});

test('a damaged state file refuses the start, naming the file, and is left as it was', async (t) => {
  const f = await watchFixture(t);
  const path = join(f.dataDir, WATCH_STATE_FILE_NAME);
  for (const [content, problem] of [
    ['{"version":1,"memory":{"TYPE":"Taught","watchId":"w', /not JSON/],
    ['', /not JSON/],
    ['{"version":1,"memory":{"TYPE":"Taught","watchId":"w","epoch":-1,"activeId":"Primary"}}', /\$\.memory\.epoch/],
    ['{"version":2,"memory":{"TYPE":"Untaught","watchId":"w"}}', /\$\.version/],
  ] as const) {
    await writeFile(path, content);
    await assert.rejects(f.open(), (err: unknown) => {
      assert.ok(hasCode(err, 'WatchStateCorrupt'), `expected WatchStateCorrupt, got ${String(err)}`);
      assert.ok(err.message.includes(path), err.message);
      assert.equal(err.arguments['file'], path);
      assert.match(String(err.arguments['problem']), problem);
      return true;
    });
    assert.equal(await readFile(path, 'utf8'), content, 'the damaged file is kept for inspection');
  }
  assert.equal(f.primary.endpoint.watchCalls.length, 0, 'no stream was opened');
});

test('a node at an older epoch is told the current one, at most once per heartbeat interval', async (t) => {
  const f = await watchFixture(t);
  await new WatchStateFile(f.dataDir).write(taught(5, 'Backup', { failedOverGrantedInEpoch: 4 }));
  const watch = await f.open({ watchId: 'watch-a' });
  const notices = (): number => f.primary.commands().filter((c) => c.TYPE === 'ClusterWatchEpoch').length;
  await deliver(watch, f.primary, heartbeat('Primary', 4, true));
  await f.primary.endpoint.until('the first notice', () => notices() === 1);
  await deliver(watch, f.primary, heartbeat('Primary', 4, true));
  f.clock.advance(timing.heartbeatMs);
  await deliver(watch, f.primary, heartbeat('Primary', 4, true));
  await f.primary.endpoint.until('the second notice', () => notices() === 2);
  assert.deepEqual(f.primary.commands()[0], { TYPE: 'ClusterWatchEpoch', watchId: 'watch-a', epoch: 5, activeId: 'Backup' });
  assert.equal(f.backup.endpoint.commands.length, 0);
});

test('the watch reads a node again after its stream ends or breaks', async (t) => {
  const f = await watchFixture(t);
  const watch = await f.open({ watchId: 'watch-a' });
  await f.primary.endpoint.until('the first stream', () => f.primary.endpoint.watchCalls.length === 1);
  assert.deepEqual(f.primary.endpoint.watchCalls[0]?.request, { watchId: 'watch-a' });
  await deliver(watch, f.primary, heartbeat('Primary', 1, true));
  assert.equal(watch.status().nodes[0]?.connected, true);

  // The pause before reconnecting runs on the watch's clock: move it on until the watch has reconnected.
  const reconnected = (streams: number): Promise<true> =>
    waitFor(`stream ${streams}`, () => {
      if (f.primary.endpoint.watchCalls.length >= streams) return true;
      f.clock.advance(100);
      return undefined;
    });
  f.primary.endpoint.watch.end();
  await reconnected(2);
  f.network.cut(f.primary.uri);
  await reconnected(3);
  assert.equal(f.primary.endpoint.watchCalls[1]?.finished, true);
  assert.deepEqual(f.primary.endpoint.watchCalls[2]?.request, { watchId: 'watch-a' });
  await deliver(watch, f.primary, heartbeat('Primary', 1, true));
  assert.equal(watch.status().nodes[0]?.connected, true);
});

test('when the state file cannot be written the watch stops deciding and tells its owner', async (t) => {
  const f = await watchFixture(t);
  const watch = await f.open();
  // The data directory turns into a file: every write of the state fails.
  await rm(f.dataDir, { recursive: true });
  await writeFile(f.dataDir, 'not a directory');
  f.primary.endpoint.watch.push(heartbeat('Primary', 2, true));
  await waitFor('the fatal error', () => (f.fatal.length > 0 ? true : undefined));
  assert.ok(hasCode(f.fatal[0], 'InternalError'));
  assert.match((f.fatal[0] as Error).message, /Cannot write the cluster watch's state file/);
  assert.equal(watch.status().memory.TYPE, 'Untaught', 'nothing unpersisted is believed');
});

test('close() is idempotent, waits for a pending open, and ends every stream', async (t) => {
  const f = await watchFixture(t);
  const watch = await f.open();
  await f.primary.endpoint.until('both streams', () => f.primary.endpoint.watchCalls.length === 1 && f.backup.endpoint.watchCalls.length === 1);
  await Promise.all([watch.close(), watch[Symbol.asyncDispose]()]);
  await f.primary.endpoint.until('the streams to finish', () => [...f.primary.endpoint.watchCalls, ...f.backup.endpoint.watchCalls].every((c) => c.finished));
  assert.equal(f.network.openCalls(f.primary.uri) + f.network.openCalls(f.backup.uri), 0);
  await assert.rejects(watch.open(), /closed/);

  const pending = new ClusterWatch({
    nodes: [{ uri: f.primary.uri }, { uri: f.backup.uri }],
    transport: () => f.network.transport(),
    dataDir: join(f.dataDir, 'second'),
    timing,
    clock: f.clock,
    logger: silentLogger(),
    onFatal: () => undefined,
  });
  const opened = pending.open();
  await pending.close();
  await opened;
  assert.equal(f.network.openCalls(f.primary.uri) + f.network.openCalls(f.backup.uri), 0, 'the streams the open started are closed');
  assert.deepEqual(await new WatchStateFile(join(f.dataDir, 'second')).read(), pending.status().memory, 'the open finished before the close');
});

test('two URIs that reach the same node are reported', async (t) => {
  const f = await watchFixture(t);
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } });
  const watch = await f.open({ logger });
  await deliver(watch, f.primary, heartbeat('Primary', 1, true));
  await deliver(watch, f.backup, heartbeat('Primary', 1, true));
  const line = lines.find((l) => l['level'] === 50);
  assert.ok(line !== undefined, JSON.stringify(lines));
  assert.equal(line['msg'], `${f.primary.uri} and ${f.backup.uri} are the same node Primary: the watch must be given the two different nodes of the pair`);
});
