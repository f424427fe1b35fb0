import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import type { AckFrame, JournalFrame, Transport } from '../../../src/cluster/transport/index.js';
import { asEpoch, asEventId, TandemError, type ErrorCode } from '../../../src/common/index.js';
import type { ScriptedEndpoint } from './scripted-endpoint.js';

/** What the contract needs of an implementation: a client transport and a peer serving a ScriptedEndpoint at `uri`. */
export interface TransportFixture {
  readonly transport: Transport;
  readonly uri: string;
  readonly endpoint: ScriptedEndpoint;
  /** The peer node goes away (its server closes, or it leaves the network). */
  stopPeer(): Promise<void>;
  /** Breaks the open connections to the peer; the peer itself stays. */
  cut(): void;
}

/** Builds a fresh fixture and registers its cleanup with `t.after`. */
export type MakeFixture = (t: TestContext) => Promise<TransportFixture>;

const bound = 5_000;

/** `promise`, or a failure naming `what` after `ms`. */
export async function within<T>(promise: Promise<T>, what: string, ms = bound): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Asserts that `promise` rejects with a TandemError of `code`, and returns it. */
export async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, what: string): Promise<TandemError> {
  const err: unknown = await within(promise.then(() => undefined, (e: unknown) => e), what);
  assert.ok(err instanceof TandemError, `${what}: expected TandemError ${code}, got ${String(err)}`);
  assert.equal(err.code, code, `${what}: ${err.message}`);
  return err;
}

async function collect<F>(frames: AsyncIterable<F>): Promise<F[]> {
  const out: F[] = [];
  for await (const f of frames) out.push(f);
  return out;
}

function records(fileEventId: number, position: number, bytes: Uint8Array): JournalFrame {
  return { TYPE: 'Records', fileEventId: asEventId(fileEventId), position, bytes };
}

function assertSameFrames(received: readonly JournalFrame[], sent: readonly JournalFrame[]): void {
  assert.equal(received.length, sent.length, 'frame count');
  received.forEach((r, i) => {
    const s = sent[i];
    assert.ok(s !== undefined);
    if (r.TYPE === 'Records' && s.TYPE === 'Records') {
      assert.deepEqual({ ...r, bytes: undefined }, { ...s, bytes: undefined }, `frame ${i}`);
      assert.ok(Buffer.from(r.bytes).equals(Buffer.from(s.bytes)), `frame ${i}: bytes differ`);
    } else {
      assert.deepEqual(r, s, `frame ${i}`);
    }
  });
}

/**
 * The behaviour every Transport must show (abstract-level's shared-suite
 * pattern): `memory-transport.test.ts` and `https-transport.test.ts` run it.
 */
export function transportContract(name: string, makeFixture: MakeFixture): void {
  const epoch = asEpoch(3);

  test(`${name}: journal frames arrive in order and byte-identical, with the request as sent`, async (t) => {
    const f = await makeFixture(t);
    const big = randomBytes(5 * 1024 * 1024);
    const sent: JournalFrame[] = [records(0, 0, big)];
    let position = big.length;
    for (let i = 0; i < 2_000; i++) {
      const bytes = randomBytes(1 + (i % 64));
      sent.push(records(0, position, bytes));
      position += bytes.length;
    }
    sent.push(
      records(1_767_225_600_123_000, 0, randomBytes(10)),
      { TYPE: 'Heartbeat', fileEventId: asEventId(1_767_225_600_123_000), position: 10, lastEventId: asEventId(2 ** 53 - 1), epoch },
    );
    f.endpoint.journal.push(...sent);
    f.endpoint.journal.end();
    const request = { fileEventId: asEventId(0), position: 0, epoch, journalId: 'journal-42' };
    const received = await within(collect(f.transport.peer(f.uri).journal(request, new AbortController().signal)), 'the whole stream');
    assertSameFrames(received, sent);
    assert.deepEqual(f.endpoint.journalCalls[0]?.request, request);
    // The reader holds copies: changing them leaves the sender's buffers alone.
    const first = received[0];
    assert.ok(first?.TYPE === 'Records');
    const original = Buffer.from(big);
    first.bytes.fill(0);
    assert.ok(big.equals(original), 'the sender buffer was changed through the received frame');
  });

  test(`${name}: a journal request names only what is given`, async (t) => {
    const f = await makeFixture(t);
    f.endpoint.journal.end();
    assert.deepEqual(await collect(f.transport.peer(f.uri).journal({ epoch }, new AbortController().signal)), []);
    assert.deepEqual(f.endpoint.journalCalls[0]?.request, { epoch });
  });

  test(`${name}: a stream stays open and delivers frames produced later`, async (t) => {
    const f = await makeFixture(t);
    const frames = f.transport.peer(f.uri).journal({ epoch }, new AbortController().signal)[Symbol.asyncIterator]();
    f.endpoint.journal.push(records(0, 0, Buffer.from('first')));
    const first = await within(frames.next(), 'the first frame');
    assert.ok(first.done !== true && first.value.TYPE === 'Records');
    assert.equal(Buffer.from(first.value.bytes).toString(), 'first');
    const second = frames.next();
    await f.endpoint.until('the endpoint waiting for more', () => f.endpoint.journal.waiting);
    f.endpoint.journal.push(records(0, 5, Buffer.from('later')));
    const later = await within(second, 'the frame produced later');
    assert.ok(later.done !== true && later.value.TYPE === 'Records');
    assert.equal(Buffer.from(later.value.bytes).toString(), 'later');
    assert.equal(later.value.position, 5);
    f.endpoint.journal.end();
    assert.equal((await within(frames.next(), 'the end')).done, true);
  });

  test(`${name}: errors before the first frame arrive with the endpoint's code and arguments`, async (t) => {
    const f = await makeFixture(t);
    const peer = f.transport.peer(f.uri);
    f.endpoint.refuseJournal = new TandemError('JournalPositionInvalid', 'No record starts at 7.', { fileEventId: 5, position: 7 });
    const invalid = await rejectsWith(collect(peer.journal({ epoch }, new AbortController().signal)), 'JournalPositionInvalid', 'journal');
    assert.deepEqual(invalid.arguments, { fileEventId: 5, position: 7 });
    assert.equal(invalid.message, 'No record starts at 7.');
    f.endpoint.refuseJournal = new TandemError('ClusterEpochStale', 'Epoch 3 is stale; this node is in 4.', { epoch: 4 });
    await rejectsWith(collect(peer.journal({ epoch }, new AbortController().signal)), 'ClusterEpochStale', 'journal');
    f.endpoint.refuseAcks = new TandemError('ClusterNodeIsActive', 'This node is active.');
    await rejectsWith(collect(peer.acks({ epoch }, new AbortController().signal)), 'ClusterNodeIsActive', 'acks');
    f.endpoint.refuseJournal = new Error('secret detail of a bug');
    const internal = await rejectsWith(collect(peer.journal({ epoch }, new AbortController().signal)), 'InternalError', 'journal');
    assert.doesNotMatch(internal.message, /secret/);
  });

  test(`${name}: a failure after some frames arrives after them, with its code`, async (t) => {
    const f = await makeFixture(t);
    f.endpoint.journal.push(records(0, 0, Buffer.from('ok')));
    f.endpoint.journal.fail(new TandemError('JournalCorrupt', 'Bad CRC at 2.', { position: 2 }));
    const received: JournalFrame[] = [];
    const err = await rejectsWith(
      (async () => {
        for await (const frame of f.transport.peer(f.uri).journal({ epoch }, new AbortController().signal)) received.push(frame);
      })(),
      'JournalCorrupt',
      'the failing stream',
    );
    assert.equal(received.length, 1);
    assert.deepEqual(err.arguments, { position: 2 });
  });

  test(`${name}: aborting ends the reader's iteration quietly and the endpoint's iterator`, async (t) => {
    const f = await makeFixture(t);
    const abort = new AbortController();
    const frames = f.transport.peer(f.uri).journal({ epoch }, abort.signal)[Symbol.asyncIterator]();
    f.endpoint.journal.push(records(0, 0, Buffer.from('x')));
    assert.equal((await within(frames.next(), 'the first frame')).done, false);
    const pending = frames.next();
    await f.endpoint.until('the endpoint waiting for more', () => f.endpoint.journal.waiting);
    abort.abort(new Error('the reader is done'));
    assert.equal((await within(pending, 'the iteration to end')).done, true);
    const call = f.endpoint.journalCalls[0];
    assert.ok(call !== undefined);
    await f.endpoint.until('the endpoint to see the abort and finish', () => call.signal.aborted && call.finished);
  });

  test(`${name}: leaving the loop early ends the endpoint's iterator`, async (t) => {
    const f = await makeFixture(t);
    f.endpoint.acks.push({ TYPE: 'Ack', eventId: asEventId(1) }, { TYPE: 'Ack', eventId: asEventId(2) });
    for await (const ack of f.transport.peer(f.uri).acks({ epoch }, new AbortController().signal)) {
      assert.deepEqual(ack, { TYPE: 'Ack', eventId: asEventId(1) });
      break;
    }
    const call = f.endpoint.ackCalls[0];
    assert.ok(call !== undefined);
    await f.endpoint.until('the endpoint to finish', () => call.signal.aborted && call.finished);
  });

  test(`${name}: a stream whose signal is already aborted yields nothing and calls no one`, async (t) => {
    const f = await makeFixture(t);
    f.endpoint.journal.push(records(0, 0, Buffer.from('x')));
    assert.deepEqual(await collect(f.transport.peer(f.uri).journal({ epoch }, AbortSignal.abort())), []);
    assert.equal(f.endpoint.callCount, 0);
  });

  test(`${name}: acknowledgements and heartbeats arrive in order, with the epoch`, async (t) => {
    const f = await makeFixture(t);
    const sent: AckFrame[] = [
      { TYPE: 'Ack', eventId: asEventId(1_767_225_600_000_001) },
      { TYPE: 'Heartbeat', eventId: asEventId(1_767_225_600_000_001) },
      { TYPE: 'Ack', eventId: asEventId(2 ** 53 - 1) },
    ];
    f.endpoint.acks.push(...sent);
    f.endpoint.acks.end();
    assert.deepEqual(await within(collect(f.transport.peer(f.uri).acks({ epoch }, new AbortController().signal)), 'the acks'), sent);
    assert.deepEqual(f.endpoint.ackCalls[0]?.request, { epoch });
  });

  test(`${name}: commands are answered, and their Problems arrive with code and arguments`, async (t) => {
    const f = await makeFixture(t);
    const peer = f.transport.peer(f.uri);
    f.endpoint.onCommand = async (command) => ({ TYPE: 'CouplingPrepared', echo: command });
    const command = { TYPE: 'ClusterPrepareCoupling', activeId: 'Primary', passiveId: 'Backup', token: 'ä-✓' };
    assert.deepEqual(await peer.command(command), { TYPE: 'CouplingPrepared', echo: command });
    assert.deepEqual(f.endpoint.commands, [command]);
    f.endpoint.onCommand = async () => {
      throw new TandemError('ClusterEpochStale', 'Epoch 3 is stale.', { epoch: 4 });
    };
    const stale = await rejectsWith(peer.command({ TYPE: 'ClusterPassiveDown', passiveId: 'Backup' }), 'ClusterEpochStale', 'command');
    assert.deepEqual(stale.arguments, { epoch: 4 });
    f.endpoint.onCommand = async () => {
      throw new Error('secret detail of a bug');
    };
    const internal = await rejectsWith(peer.command({ TYPE: 'ClusterPassiveDown' }), 'InternalError', 'command');
    assert.doesNotMatch(internal.message, /secret/);
  });

  test(`${name}: aborting a command rejects it with the signal's reason`, async (t) => {
    const f = await makeFixture(t);
    f.endpoint.onCommand = () => new Promise(() => undefined);
    const abort = new AbortController();
    const answer = f.transport.peer(f.uri).command({ TYPE: 'ClusterInhibitActivation', duration: 1 }, abort.signal);
    await f.endpoint.until('the command to arrive', () => f.endpoint.commands.length === 1);
    const reason = new Error('no longer needed');
    abort.abort(reason);
    await assert.rejects(within(answer, 'the aborted command'), (err) => err === reason);
  });

  test(`${name}: a malformed request is refused with InvalidRequest before the endpoint`, async (t) => {
    const f = await makeFixture(t);
    const peer = f.transport.peer(f.uri);
    const bad = await rejectsWith(collect(peer.journal({ epoch, position: -1 }, new AbortController().signal)), 'InvalidRequest', 'journal');
    assert.equal(bad.arguments['path'], '$.position');
    await rejectsWith(collect(peer.acks({ epoch: asEpoch(1.5) }, new AbortController().signal)), 'InvalidRequest', 'acks');
    assert.equal(f.endpoint.callCount, 0);
  });

  test(`${name}: a peer that goes away ends the stream with ClusterPeerUnreachable, and later calls too`, async (t) => {
    const f = await makeFixture(t);
    const peer = f.transport.peer(f.uri);
    const frames = peer.journal({ epoch }, new AbortController().signal)[Symbol.asyncIterator]();
    f.endpoint.journal.push(records(0, 0, Buffer.from('x')));
    assert.equal((await within(frames.next(), 'the first frame')).done, false);
    const pending = frames.next();
    await f.endpoint.until('the endpoint waiting for more', () => f.endpoint.journal.waiting);
    const broken = rejectsWith(pending, 'ClusterPeerUnreachable', 'the open stream');
    await within(f.stopPeer(), 'the peer to stop with a stream open');
    await broken;
    const call = f.endpoint.journalCalls[0];
    assert.ok(call !== undefined);
    await f.endpoint.until('the endpoint to finish', () => call.finished);
    await rejectsWith(collect(peer.journal({ epoch }, new AbortController().signal)), 'ClusterPeerUnreachable', 'a new stream');
    await rejectsWith(collect(peer.acks({ epoch }, new AbortController().signal)), 'ClusterPeerUnreachable', 'acks');
    await rejectsWith(peer.command({ TYPE: 'ClusterPassiveDown' }), 'ClusterPeerUnreachable', 'a command');
  });

  test(`${name}: a cut connection ends the stream with ClusterPeerUnreachable; the peer stays reachable`, async (t) => {
    const f = await makeFixture(t);
    const peer = f.transport.peer(f.uri);
    const frames = peer.acks({ epoch }, new AbortController().signal)[Symbol.asyncIterator]();
    f.endpoint.acks.push({ TYPE: 'Ack', eventId: asEventId(7) });
    assert.equal((await within(frames.next(), 'the first ack')).done, false);
    const pending = frames.next();
    await f.endpoint.until('the endpoint waiting for more', () => f.endpoint.acks.waiting);
    f.cut();
    await rejectsWith(pending, 'ClusterPeerUnreachable', 'the cut stream');
    const call = f.endpoint.ackCalls[0];
    assert.ok(call !== undefined);
    await f.endpoint.until('the endpoint to see the cut', () => call.signal.aborted && call.finished);
    f.endpoint.acks = f.endpoint.newAckFeed();
    f.endpoint.acks.push({ TYPE: 'Heartbeat', eventId: asEventId(7) });
    f.endpoint.acks.end();
    assert.deepEqual(await within(collect(peer.acks({ epoch }, new AbortController().signal)), 'a new stream'), [
      { TYPE: 'Heartbeat', eventId: asEventId(7) },
    ]);
  });

  test(`${name}: closing the transport ends open streams with ShuttingDown and refuses later calls`, async (t) => {
    const f = await makeFixture(t);
    const peer = f.transport.peer(f.uri);
    const frames = peer.journal({ epoch }, new AbortController().signal)[Symbol.asyncIterator]();
    const pending = frames.next();
    await f.endpoint.until('the endpoint waiting for frames', () => f.endpoint.journal.waiting);
    const ended = rejectsWith(pending, 'ShuttingDown', 'the open stream');
    await f.transport.close();
    await ended;
    await rejectsWith(peer.command({ TYPE: 'ClusterPassiveDown' }), 'ShuttingDown', 'a command');
    assert.throws(() => f.transport.peer(f.uri), (err) => err instanceof TandemError && err.code === 'ShuttingDown');
    const call = f.endpoint.journalCalls[0];
    assert.ok(call !== undefined);
    await f.endpoint.until('the endpoint to finish', () => call.signal.aborted && call.finished);
  });
}
