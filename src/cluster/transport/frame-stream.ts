import { TandemError, type Logger } from '../../common/index.js';
import { endFrame, type FrameCodec, type Tagged } from './frame-codec.js';
import { problemOf } from './peer-errors.js';

/** Why a stream could not start: the abort's reason if it is a TandemError (e.g. ShuttingDown), otherwise ShuttingDown. */
function abortError(signal: AbortSignal): TandemError {
  return signal.reason instanceof TandemError ? signal.reason : new TandemError('ShuttingDown', 'The stream was closed before it started.');
}

/**
 * Serves an endpoint's frames as encoded bytes, one buffer per frame. It waits
 * for the first frame before answering, so an error the endpoint throws before
 * it (a stale epoch, a bad position) is thrown here, while a caller can still
 * answer it with a status. Later failures become a Problem frame; a complete
 * stream ends with an End frame; a stream ended by `signal` (reader gone,
 * server closing) just stops, which the reader tells apart from the End.
 */
export async function openFrameStream<F extends Tagged>(
  frames: AsyncIterable<F>,
  codec: FrameCodec<F>,
  signal: AbortSignal,
  logger: Logger,
): Promise<AsyncGenerator<Buffer, void, undefined>> {
  const iterator = frames[Symbol.asyncIterator]();
  let first: IteratorResult<F>;
  try {
    first = await iterator.next();
  } catch (err) {
    if (signal.aborted) throw abortError(signal);
    throw err;
  }
  if (signal.aborted) {
    await iterator.return?.();
    throw abortError(signal);
  }
  return encodedFrames(first, iterator, codec, signal, logger);
}

async function* encodedFrames<F extends Tagged>(
  first: IteratorResult<F>,
  iterator: AsyncIterator<F>,
  codec: FrameCodec<F>,
  signal: AbortSignal,
  logger: Logger,
): AsyncGenerator<Buffer, void, undefined> {
  try {
    let next = first;
    while (next.done !== true) {
      yield codec.encode(next.value);
      next = await iterator.next();
    }
    if (!signal.aborted) yield codec.encode(endFrame);
  } catch (err) {
    if (signal.aborted) return;
    logger.warn({ err }, 'node-to-node stream failed after it started');
    yield codec.encode(problemOf(err));
  } finally {
    // Also when the reader left while the endpoint was parked at a yield: it runs its own cleanup.
    // (Never mid-next: a generator cannot be returned while it awaits.)
    await iterator.return?.();
  }
}
