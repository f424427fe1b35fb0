import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pack } from 'msgpackr';
import { ackCodec, journalCodec, type AckFrame, type JournalFrame } from '../../../src/cluster/transport/index.js';
import { asEpoch, asEventId } from '../../../src/common/index.js';

function body(encoded: Buffer): Buffer {
  assert.equal(encoded.readUInt32BE(0), encoded.length - 4, 'the prefix is the body length');
  return encoded.subarray(4);
}

test('journal frames round-trip exactly, EventIds up to 2^53 included', () => {
  const frames: JournalFrame[] = [
    { TYPE: 'Records', fileEventId: asEventId(1_767_225_600_123_000), position: 4096, bytes: Buffer.from([0, 1, 2, 255]) },
    { TYPE: 'Records', fileEventId: asEventId(0), position: 0, bytes: new Uint8Array() },
    { TYPE: 'Heartbeat', fileEventId: asEventId(0), position: 17, lastEventId: asEventId(2 ** 53 - 1), epoch: asEpoch(12) },
  ];
  for (const frame of frames) {
    const decoded = journalCodec.decode(body(journalCodec.encode(frame)));
    if (frame.TYPE === 'Records' && decoded.TYPE === 'Records') {
      assert.deepEqual({ ...decoded, bytes: Buffer.from(decoded.bytes) }, { ...frame, bytes: Buffer.from(frame.bytes) });
    } else {
      assert.deepEqual(decoded, frame);
    }
  }
});

test('ack frames, End and Problem round-trip', () => {
  const frames: AckFrame[] = [
    { TYPE: 'Ack', eventId: asEventId(5), at: { fileEventId: asEventId(3), position: 1_234 } },
    { TYPE: 'Heartbeat', eventId: asEventId(5), at: { fileEventId: asEventId(3), position: 1_234 } },
    // A passive of an earlier release sends no position.
    { TYPE: 'Ack', eventId: asEventId(5) },
    { TYPE: 'Heartbeat', eventId: asEventId(5) },
  ];
  for (const frame of frames) assert.deepEqual(ackCodec.decode(body(ackCodec.encode(frame))), frame);
  assert.deepEqual(ackCodec.decode(body(ackCodec.encode({ TYPE: 'End' }))), { TYPE: 'End' });
  const problem = { TYPE: 'Problem', code: 'ClusterNodeIsActive', message: 'active', arguments: { epoch: 2 } } as const;
  assert.deepEqual(ackCodec.decode(body(ackCodec.encode(problem))), problem);
});

test('each encoded frame owns its bytes: encoding the next one does not change it', () => {
  const first = journalCodec.encode({ TYPE: 'Records', fileEventId: asEventId(0), position: 0, bytes: Buffer.from('first') });
  const copy = Buffer.from(first);
  journalCodec.encode({ TYPE: 'Records', fileEventId: asEventId(0), position: 5, bytes: Buffer.from('second!') });
  assert.ok(first.equals(copy));
});

test('bodies that are not frames of the stream are refused with the place named', () => {
  const refused: [unknown, RegExp][] = [
    [{ TYPE: 'Ack', eventId: 1 }, /TYPE/],
    [{ TYPE: 'Records', fileEventId: 0, position: -1, bytes: Buffer.alloc(1) }, /\$\.position/],
    [{ TYPE: 'Records', fileEventId: 0, position: 0, bytes: 'text' }, /\$\.bytes/],
    [{ TYPE: 'Heartbeat', fileEventId: 0, position: 0, lastEventId: 1.5, epoch: 0 }, /\$\.lastEventId/],
    [{ TYPE: 'Problem', code: 'X' }, /\$\.message/],
    ['Records', /does not match/],
  ];
  for (const [value, message] of refused) assert.throws(() => journalCodec.decode(pack(value)), message, JSON.stringify(value));
  assert.throws(() => journalCodec.decode(Buffer.from([0xa5, 0x61])), /not msgpack/);
  assert.throws(() => ackCodec.decode(pack({ TYPE: 'Records', fileEventId: 0, position: 0, bytes: Buffer.alloc(1) })), /TYPE/);
  assert.throws(() => ackCodec.decode(pack({ TYPE: 'Ack', eventId: 5, at: { fileEventId: 3, position: -1 } })), /\$\.at\.position/);
  assert.throws(() => ackCodec.decode(pack({ TYPE: 'Ack', eventId: 5, at: null })), /\$\.at/);
});
