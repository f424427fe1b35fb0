import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ackCodec, readFrames, type AckFrame } from '../../../src/cluster/transport/index.js';
import { asEventId, TandemError, type ErrorCode } from '../../../src/common/index.js';

const uri = 'https://peer.test';

async function* chunks(...parts: Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* parts;
}

async function read(...parts: Uint8Array[]): Promise<AckFrame[]> {
  const out: AckFrame[] = [];
  for await (const f of readFrames(chunks(...parts), ackCodec, uri)) out.push(f);
  return out;
}

async function failsWith(promise: Promise<unknown>, code: ErrorCode): Promise<TandemError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof TandemError, String(err));
  assert.equal(err.code, code, err.message);
  return err;
}

const ack = ackCodec.encode({ TYPE: 'Ack', eventId: asEventId(9) });
const end = ackCodec.encode({ TYPE: 'End' });

test('frames up to the End frame are delivered; the End ends the iteration', async () => {
  const both = Buffer.concat([ack, ack, end]);
  assert.deepEqual(await read(both.subarray(0, 3), both.subarray(3)), [
    { TYPE: 'Ack', eventId: asEventId(9) },
    { TYPE: 'Ack', eventId: asEventId(9) },
  ]);
});

test('a stream that stops without its End frame was cut: ClusterPeerUnreachable', async () => {
  const cut = await failsWith(read(ack), 'ClusterPeerUnreachable');
  assert.match(cut.message, /without its end frame/);
  assert.equal(cut.arguments['uri'], uri);
  assert.match((await failsWith(read(ack, end.subarray(0, 2)), 'ClusterPeerUnreachable')).message, /inside a frame/);
});

test('a Problem frame is thrown with its code; unknown codes and a peer shutting down are mapped', async () => {
  const stale = ackCodec.encode({ TYPE: 'Problem', code: 'ClusterEpochStale', message: 'stale', arguments: { epoch: 4 } });
  assert.deepEqual((await failsWith(read(ack, stale), 'ClusterEpochStale')).arguments, { epoch: 4 });
  const future = ackCodec.encode({ TYPE: 'Problem', code: 'SomethingNew', message: 'new', arguments: {} });
  assert.equal((await failsWith(read(future), 'InternalError')).arguments['peerCode'], 'SomethingNew');
  const down = ackCodec.encode({ TYPE: 'Problem', code: 'ShuttingDown', message: 'bye', arguments: {} });
  await failsWith(read(down), 'ClusterPeerUnreachable');
});

test('garbage instead of frames is ClusterPeerUnreachable', async () => {
  await failsWith(read(Buffer.from('<html>502 Bad Gateway</html>')), 'ClusterPeerUnreachable');
  const notMsgpack = Buffer.from([0, 0, 0, 2, 0xa5, 0x61]);
  await failsWith(read(notMsgpack), 'ClusterPeerUnreachable');
});
