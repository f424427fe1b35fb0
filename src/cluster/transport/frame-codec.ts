import { Packr, Unpackr } from 'msgpackr';
import { z } from 'zod';
import { asEpoch, asEventId, type Epoch, type EventId } from '../../common/index.js';
import type { AckFrame, JournalFrame, WatchFrame } from './transport.js';

/**
 * Wire format of the node-to-node streams (docs/api.md): each frame is
 * `u32 big-endian body length · msgpack body`, the body a map tagged `TYPE`.
 * Besides the frames of the interface, two control frames travel: `End` (the
 * server's iterator ended — without it, a stream that stops was cut) and
 * `Problem` (the server failed after the first frame).
 */

/** Bytes of the length prefix. */
export const FRAME_PREFIX_BYTES = 4;
/** Largest body accepted: room for the largest journal record (256 MiB) and its framing. */
export const MAX_FRAME_BODY_BYTES = 257 * 1024 * 1024;

/** The server's iterator ended: the stream is complete. */
export interface EndFrame {
  readonly TYPE: 'End';
}

/** A failure as the peer reported it; its code is text, since a newer peer may know codes this build does not. */
export interface WireProblem {
  readonly TYPE: 'Problem';
  readonly code: string;
  readonly message: string;
  readonly arguments: Readonly<Record<string, unknown>>;
}

/** Every frame is a map tagged TYPE. */
export interface Tagged {
  readonly TYPE: string;
}

/** What travels on a stream of `F` frames. */
export type WireFrame<F extends Tagged> = F | EndFrame | WireProblem;

/** Encodes and decodes one kind of stream. */
export interface FrameCodec<F extends Tagged> {
  /** The frame as prefix and body, in a buffer of its own (the receiver may keep it). */
  encode(frame: WireFrame<F>): Buffer;
  /** Narrows a received body; throws a description of what is wrong. */
  decode(body: Uint8Array): WireFrame<F>;
}

// Plain msgpack maps (no msgpackr records), so any msgpack library can read the stream.
const packr = new Packr({ useRecords: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });

const eventId = z
  .number()
  .int()
  .min(0)
  .transform((n): EventId => asEventId(n));
const epoch = z
  .number()
  .int()
  .min(0)
  .transform((n): Epoch => asEpoch(n));
const position = z.number().int().min(0);

const endSchema = z.object({ TYPE: z.literal('End') });
/** A Problem, in a frame or as the JSON body of a refused call. */
export const wireProblemSchema = z.object({
  TYPE: z.literal('Problem'),
  code: z.string().min(1).max(200),
  message: z.string().max(10_000),
  arguments: z.record(z.string(), z.unknown()),
});

const journalWireSchema: z.ZodType<WireFrame<JournalFrame>> = z.discriminatedUnion('TYPE', [
  z.object({ TYPE: z.literal('Records'), fileEventId: eventId, position, bytes: z.instanceof(Uint8Array) }),
  z.object({ TYPE: z.literal('Heartbeat'), fileEventId: eventId, position, lastEventId: eventId, epoch }),
  endSchema,
  wireProblemSchema,
]);

// `at` is optional: a passive of an earlier release sends no position.
const ackedPoint = z.object({ fileEventId: eventId, position }).exactOptional();
const ackWireSchema: z.ZodType<WireFrame<AckFrame>> = z.discriminatedUnion('TYPE', [
  z.object({ TYPE: z.literal('Ack'), eventId, at: ackedPoint }),
  z.object({ TYPE: z.literal('Heartbeat'), eventId, at: ackedPoint }),
  endSchema,
  wireProblemSchema,
]);

const nodeIdText = z.string().min(1).max(100);
const watchWireSchema: z.ZodType<WireFrame<WatchFrame>> = z.discriminatedUnion('TYPE', [
  z.object({
    TYPE: z.literal('Heartbeat'),
    nodeId: nodeIdText,
    epoch,
    isActive: z.boolean(),
    clusterState: z.string().min(1).max(100),
    activeId: nodeIdText.nullable(),
    lastEventId: eventId,
    journalId: z.string().min(1).max(100).nullable(),
  }),
  z.object({
    TYPE: z.literal('Request'),
    requestId: z.string().min(1).max(200),
    nodeId: nodeIdText,
    epoch,
    ask: z.enum(['PassiveLost', 'FailedOver']),
    lostNodeId: nodeIdText,
    phase: z.enum(['Ask', 'Commit']),
  }),
  endSchema,
  wireProblemSchema,
]);

function encode(frame: object): Buffer {
  // pack() answers a view into a buffer it reuses for the next frame, so the frame is copied out.
  const body = packr.pack(frame);
  if (body.length > MAX_FRAME_BODY_BYTES) throw new RangeError(`frame body of ${body.length} bytes exceeds ${MAX_FRAME_BODY_BYTES}`);
  const out = Buffer.allocUnsafe(FRAME_PREFIX_BYTES + body.length);
  out.writeUInt32BE(body.length, 0);
  out.set(body, FRAME_PREFIX_BYTES);
  return out;
}

function decoder<F extends Tagged>(schema: z.ZodType<WireFrame<F>>): (body: Uint8Array) => WireFrame<F> {
  return (body) => {
    let value: unknown;
    try {
      value = unpackr.unpack(body);
    } catch (err) {
      throw new Error(`frame is not msgpack: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    const issue = result.error.issues[0];
    throw new Error(`frame does not match: ${['$', ...(issue?.path ?? []).map(String)].join('.')}: ${issue?.message ?? 'invalid'}`);
  };
}

/** Frames of `GET /journal`. */
export const journalCodec: FrameCodec<JournalFrame> = {
  encode,
  decode: decoder(journalWireSchema),
};

/** Frames of `GET /event?onlyAcks=true`. */
export const ackCodec: FrameCodec<AckFrame> = {
  encode,
  decode: decoder(ackWireSchema),
};

/** Frames of `GET /cluster/clusterWatchMessage`. */
export const watchCodec: FrameCodec<WatchFrame> = {
  encode,
  decode: decoder(watchWireSchema),
};

/** The frame that ends a complete stream. */
export const endFrame: EndFrame = { TYPE: 'End' };
