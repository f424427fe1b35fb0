import { crc32 } from 'node:zlib';
import { Packr, Unpackr } from 'msgpackr';

/** `u32 BE length · u32 BE crc32` before every body. */
export const FRAME_HEADER_BYTES = 8;

/**
 * Upper bound for one body. A length field above it can only be damage, and the
 * bound keeps a flipped length bit from making recovery allocate gigabytes.
 */
export const MAX_BODY_BYTES = 256 * 1024 * 1024;

// useRecords: false keeps every body self-describing (no structure table carried
// between records), which is what makes the encoding deterministic and lets any
// record be decoded on its own. variableMapSize lifts the 65535-key limit of the
// fast path, which an owner's snapshot record may well exceed.
const packr = new Packr({ useRecords: false, variableMapSize: true });
// The packer writes every number beyond 32 bits as a float64, which is exact up
// to 2^53. int64 only comes from a foreign writer; it stays a bigint (the default)
// rather than silently losing precision, and then fails the schemas loudly.
// copyBuffers: a binary value must not be a view into the read buffer, which is
// reused for the next records (and would otherwise be pinned in memory by it).
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, copyBuffers: true });

const unpackRange = { start: 0, end: 0 };

// CRC-32 (the zlib polynomial, reflected) of the four length bytes is computed
// here in JS: a native zlib call just for four bytes costs as much as hashing the
// body, and recovery does it once per record.
const CRC_TABLE = new Int32Array(256);
for (let n = 0; n < 256; n += 1) {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  CRC_TABLE[n] = c;
}

/** CRC-32 of the four big-endian bytes of `length`, equal to `zlib.crc32` of those bytes. */
export function lengthCrc(length: number): number {
  let c = -1;
  for (let shift = 24; shift >= 0; shift -= 8) {
    c = (CRC_TABLE[(c ^ (length >>> shift)) & 0xff] ?? 0) ^ (c >>> 8);
  }
  return (c ^ -1) >>> 0;
}

/**
 * Encodes one body. The result is a view into the packer's arena: copy it (as
 * `writeFrame` does) before the next call if it must outlive that call.
 */
export function encodeBody(value: unknown): Buffer {
  const body = packr.pack(value);
  if (body.length > MAX_BODY_BYTES) {
    throw new RangeError(`journal record of ${body.length} bytes exceeds the ${MAX_BODY_BYTES}-byte limit`);
  }
  return body;
}

/** CRC-32 (zlib) over the four length bytes followed by the body. */
export function frameCrc(body: Uint8Array): number {
  return crc32(body, lengthCrc(body.length));
}

/** Writes header and body at `offset` (the target must have room); returns the end offset. */
export function writeFrame(target: Buffer, offset: number, body: Buffer): number {
  target.writeUInt32BE(body.length, offset);
  target.writeUInt32BE(frameCrc(body), offset + 4);
  body.copy(target, offset + FRAME_HEADER_BYTES);
  return offset + FRAME_HEADER_BYTES + body.length;
}

/** Encodes `value` into a fresh, self-contained frame. */
export function encodeFrame(value: unknown): Buffer {
  const body = encodeBody(value);
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  writeFrame(frame, 0, body);
  return frame;
}

/** Encodes several values as consecutive frames in one buffer. */
export function encodeFrames(values: readonly unknown[]): Buffer {
  const frames = values.map(encodeFrame);
  return Buffer.concat(frames);
}

/** Decodes the body occupying `[start, end)` of `source`; throws if it is not exactly one value. */
export function decodeBody(source: Buffer, start: number, end: number): unknown {
  unpackRange.start = start;
  unpackRange.end = end;
  return unpackr.unpack(source, unpackRange);
}

/** The outcome of looking at the bytes where a frame should start. */
export type FrameCheck =
  | { readonly kind: 'intact'; readonly bodyLength: number }
  | { readonly kind: 'short-header' }
  | { readonly kind: 'bad-length'; readonly bodyLength: number }
  | { readonly kind: 'past-end'; readonly bodyLength: number }
  | { readonly kind: 'bad-crc'; readonly bodyLength: number };

/**
 * Checks the frame starting at `offset` of `source`, whose bytes up to `end` are
 * all there is. Never throws on damaged input.
 */
export function checkFrame(source: Buffer, offset: number, end: number): FrameCheck {
  if (end - offset < FRAME_HEADER_BYTES) return { kind: 'short-header' };
  const bodyLength = source.readUInt32BE(offset);
  if (bodyLength === 0 || bodyLength > MAX_BODY_BYTES) return { kind: 'bad-length', bodyLength };
  const bodyStart = offset + FRAME_HEADER_BYTES;
  if (bodyStart + bodyLength > end) return { kind: 'past-end', bodyLength };
  const crc = frameCrc(source.subarray(bodyStart, bodyStart + bodyLength));
  if (crc !== source.readUInt32BE(offset + 4)) return { kind: 'bad-crc', bodyLength };
  return { kind: 'intact', bodyLength };
}

/** Human words for a damaged frame, for error messages and reports. */
export function describeFrameCheck(check: Exclude<FrameCheck, { kind: 'intact' }>): string {
  switch (check.kind) {
    case 'short-header':
      return 'fewer than 8 bytes left for a record header';
    case 'bad-length':
      return `impossible record length ${check.bodyLength}`;
    case 'past-end':
      return `record length ${check.bodyLength} runs past the end of the file`;
    case 'bad-crc':
      return 'record checksum does not match';
    default: {
      const never: never = check;
      return never;
    }
  }
}
