import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { asEventId } from '../../../src/common/index.js';
import {
  checkFrame,
  decodeBody,
  encodeFrame,
  FRAME_HEADER_BYTES,
  parseEvents,
  parseHeader,
} from '../../../src/journal/index.js';
import { encodeBody, encodeFrames, lengthCrc } from '../../../src/journal/record-codec.js';

// What owners put in events and snapshots: JSON-like values with exact integers up
// to 2^53. Left out: -0 (msgpack has no negative zero integer; it decodes as 0) and
// the key `__proto__` (msgpackr renames it on decoding, so it cannot poison a prototype).
const exactNumber = fc.oneof(
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 }),
  fc.maxSafeInteger(),
  fc.constantFrom(2 ** 53, -(2 ** 53), Number.MAX_SAFE_INTEGER, 2 ** 32, 2 ** 32 + 1),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
);
const value = fc.letrec((tie) => ({
  leaf: fc.oneof(exactNumber, fc.string(), fc.string({ unit: 'binary' }), fc.boolean(), fc.constant(null)),
  node: fc.oneof(
    { depthSize: 'small' },
    tie('leaf'),
    fc.array(tie('node'), { maxLength: 5 }),
    fc.dictionary(fc.string().filter((k) => k !== '__proto__'), tie('node'), { maxKeys: 5, noNullPrototype: true }),
  ),
})).node;

function decodeFrame(frame: Buffer): unknown {
  return decodeBody(frame, FRAME_HEADER_BYTES, frame.length);
}

test('any JSON-like value round-trips through a frame, numbers up to 2^53 exactly', () => {
  fc.assert(
    fc.property(value, (v) => {
      const frame = encodeFrame(v);
      assert.deepEqual(checkFrame(frame, 0, frame.length), { kind: 'intact', bodyLength: frame.length - FRAME_HEADER_BYTES });
      assert.deepEqual(decodeFrame(frame), v);
    }),
    { numRuns: 500 },
  );
});

test('encoding is deterministic: equal values give equal bytes, also after a round trip', () => {
  fc.assert(
    fc.property(value, (v) => {
      const first = encodeFrame(v);
      // Buffer.equals, not deepEqual: msgpackr caches a DataView on a buffer it decodes.
      assert.ok(encodeFrame(structuredClone(v)).equals(first));
      assert.ok(encodeFrame(decodeFrame(first)).equals(first));
    }),
    { numRuns: 300 },
  );
});

test('the largest exact integers keep their value', () => {
  for (const n of [2 ** 53, 2 ** 53 - 1, -(2 ** 53), 1_767_225_600_000_123]) {
    assert.deepEqual(decodeFrame(encodeFrame([{ eventId: n }])), [{ eventId: n }]);
  }
});

test('the frame is length, CRC-32 of length and body, body', () => {
  const frame = encodeFrame({ TYPE: 'X', n: 1 });
  const body = encodeBody({ TYPE: 'X', n: 1 });
  assert.equal(frame.readUInt32BE(0), body.length);
  assert.equal(frame.readUInt32BE(4), crc32(Buffer.concat([frame.subarray(0, 4), body])));
  assert.ok(frame.subarray(FRAME_HEADER_BYTES).equals(body));
});

test('the JS CRC of a length word equals zlib crc32 of its four bytes', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
      const word = Buffer.alloc(4);
      word.writeUInt32BE(n);
      assert.equal(lengthCrc(n), crc32(word));
    }),
  );
});

test('any flipped bit in a frame is detected', () => {
  fc.assert(
    fc.property(value, fc.nat(), fc.integer({ min: 0, max: 7 }), (v, at, bit) => {
      const frame = encodeFrame(v);
      const index = at % frame.length;
      frame[index] = (frame[index] ?? 0) ^ (1 << bit);
      assert.notEqual(checkFrame(frame, 0, frame.length).kind, 'intact');
    }),
    { numRuns: 500 },
  );
});

test('a cut frame is never intact: short header or length past the end', () => {
  const frame = encodeFrame({ TYPE: 'Cut', text: 'abcdefghijklmnopqrstuvwxyz' });
  for (let length = 0; length < frame.length; length += 1) {
    const check = checkFrame(frame.subarray(0, length), 0, length);
    assert.equal(check.kind, length < FRAME_HEADER_BYTES ? 'short-header' : 'past-end', `cut at ${length}`);
  }
});

test('consecutive frames are found one after another', () => {
  const values = [{ a: 1 }, 'two', [3, 3, 3]];
  const frames = encodeFrames(values);
  const seen: unknown[] = [];
  for (let at = 0; at < frames.length; ) {
    const check = checkFrame(frames, at, frames.length);
    assert.equal(check.kind, 'intact');
    if (check.kind !== 'intact') return;
    seen.push(decodeBody(frames, at + FRAME_HEADER_BYTES, at + FRAME_HEADER_BYTES + check.bodyLength));
    at += FRAME_HEADER_BYTES + check.bodyLength;
  }
  assert.deepEqual(seen, values);
});

test('parseEvents accepts increasing ids after the given one and refuses the rest', () => {
  const after = asEventId(100);
  const ok = parseEvents([{ eventId: 101, event: { TYPE: 'A' } }, { eventId: 105, event: null }], after);
  assert.equal(ok.ok, true);
  const refusals: [unknown, RegExp][] = [
    [[], /malformed/],
    [[{ eventId: 100, event: 1 }], /not after 100/],
    [[{ eventId: 102, event: 1 }, { eventId: 101, event: 1 }], /out of order/],
    [[{ eventId: 101.5, event: 1 }], /not a safe integer/],
    [[{ eventId: '101', event: 1 }], /malformed/],
    [{ eventId: 101, event: 1 }, /malformed/],
    [[{ eventId: 101 }], /malformed event record \(0: /],
    [[{ eventId: 101, event: 1 }, null], /malformed event record \(1: /],
    [[[101, 1]], /malformed/],
    [[{ event: 1 }], /0\.eventId: expected a number/],
  ];
  for (const [body, problem] of refusals) {
    const result = parseEvents(body, after);
    assert.equal(result.ok, false, JSON.stringify(body));
    if (!result.ok) assert.match(result.problem, problem);
  }
});

test('parseHeader tells a newer format from a malformed header', () => {
  const header = { TYPE: 'JournalHeader', version: 1, journalId: 'j', fileEventId: 0, generation: 1, snapshotCount: 0, createdAt: 1 };
  assert.equal(parseHeader(header).ok, true);
  assert.deepEqual(parseHeader({ ...header, version: 2, somethingNew: true }), { ok: false, unsupported: 2 });
  const malformed = parseHeader({ ...header, generation: 'x' });
  assert.equal(malformed.ok, false);
  assert.ok(!('unsupported' in malformed));
  assert.equal(parseHeader([1, 2]).ok, false);
});
