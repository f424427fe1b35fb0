import type { EndFrame, FrameCodec, Tagged, WireFrame, WireProblem } from './frame-codec.js';
import { FrameSplitter } from './frame-splitter.js';
import { errorFromProblem, peerUnreachable } from './peer-errors.js';

function isEnd<F extends Tagged>(frame: WireFrame<F>): frame is EndFrame {
  return frame.TYPE === 'End';
}

function isProblem<F extends Tagged>(frame: WireFrame<F>): frame is WireProblem {
  return frame.TYPE === 'Problem';
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The frames in a received byte stream, whatever its chunking. Returns at the
 * End frame; throws the peer's Problem as its TandemError; throws
 * ClusterPeerUnreachable when the bytes stop without an End (the stream was cut
 * or the peer went away) or are not frames. Errors of `chunks` pass through.
 */
export async function* readFrames<F extends Tagged>(chunks: AsyncIterable<Uint8Array>, codec: FrameCodec<F>, uri: string): AsyncGenerator<F, void, undefined> {
  const splitter = new FrameSplitter();
  for await (const chunk of chunks) {
    let bodies: Uint8Array[];
    try {
      bodies = splitter.push(chunk);
    } catch (err) {
      throw peerUnreachable(uri, `the stream is not framed (${reason(err)})`, err);
    }
    for (const body of bodies) {
      let frame: WireFrame<F>;
      try {
        frame = codec.decode(body);
      } catch (err) {
        throw peerUnreachable(uri, `a frame is malformed (${reason(err)})`, err);
      }
      if (isEnd(frame)) return;
      if (isProblem(frame)) throw errorFromProblem(frame, uri);
      yield frame;
    }
  }
  throw peerUnreachable(uri, splitter.pendingBytes > 0 ? 'the stream broke off inside a frame' : 'the stream ended without its end frame');
}
