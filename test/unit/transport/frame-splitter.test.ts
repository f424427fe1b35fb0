import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { FrameSplitter, MAX_FRAME_BODY_BYTES } from '../../../src/cluster/transport/index.js';

function framed(body: Uint8Array): Buffer {
  const out = Buffer.alloc(4 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.set(body, 4);
  return out;
}

/** `bytes` cut at the given (sorted, deduplicated) offsets. */
function chunked(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const to of [...at, bytes.length]) {
    out.push(bytes.subarray(from, to));
    from = to;
  }
  return out;
}

test('frames come out whole and in order, however the bytes are chunked', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 40 }), (bodies, cuts) => {
      const stream = Buffer.concat(bodies.map(framed));
      const splitter = new FrameSplitter();
      const out = chunked(stream, cuts).flatMap((c) => splitter.push(c));
      assert.deepEqual(out.map((b) => Buffer.from(b)), bodies.map((b) => Buffer.from(b)));
      assert.equal(splitter.pendingBytes, 0);
    }),
  );
});

test('a frame split byte by byte, and a large one in 64 KiB chunks', () => {
  const small = Buffer.from('hello');
  const splitter = new FrameSplitter();
  const bytes = framed(small);
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i++) out.push(...splitter.push(bytes.subarray(i, i + 1)));
  assert.deepEqual(out.map((b) => Buffer.from(b).toString()), ['hello']);

  const large = Buffer.alloc(5 * 1024 * 1024, 7);
  const stream = framed(large);
  const bodies: Uint8Array[] = [];
  for (let i = 0; i < stream.length; i += 65_536) {
    bodies.push(...splitter.push(stream.subarray(i, i + 65_536)));
    if (i + 65_536 < stream.length) assert.equal(bodies.length, 0, 'a frame came out before it was complete');
  }
  assert.equal(bodies.length, 1);
  assert.ok(Buffer.from(bodies[0] ?? []).equals(large));
});

test('bytes of an unfinished frame are pending', () => {
  const splitter = new FrameSplitter();
  assert.deepEqual(splitter.push(framed(Buffer.from('abc')).subarray(0, 5)), []);
  assert.equal(splitter.pendingBytes, 5);
});

test('an impossible length is refused at once, before its body is awaited', () => {
  const splitter = new FrameSplitter();
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(MAX_FRAME_BODY_BYTES + 1, 0);
  assert.throws(() => splitter.push(prefix), /exceeds/);
});
