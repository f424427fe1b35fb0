import { TandemError, type Logger } from '../../common/index.js';
import { ackCodec, journalCodec, watchCodec, type FrameCodec, type Tagged } from './frame-codec.js';
import { readFrames } from './frame-reader.js';
import { openFrameStream } from './frame-stream.js';
import type { MemoryLink } from './memory-link.js';
import { commandAnswer, errorFromProblem, problemOf, transportClosed } from './peer-errors.js';
import { normalizedAckRequest, normalizedJournalRequest, normalizedWatchRequest } from './stream-requests.js';
import type { AckFrame, AckStreamRequest, ClusterCommandAnswer, ClusterEndpoint, JournalFrame, JournalStreamRequest, PeerTransport, WatchFrame, WatchStreamRequest } from './transport.js';

/** How a MemoryPeer reaches the endpoint registered under its URI. */
export interface MemoryConnector {
  /** A link for one call to `uri`; throws ClusterPeerUnreachable when nothing is registered there. */
  connect(uri: string, clientSignal: AbortSignal | undefined, onEnd: (link: MemoryLink) => void): { endpoint: ClusterEndpoint; link: MemoryLink };
  readonly logger: Logger;
}

/**
 * A PeerTransport that calls the registered endpoint directly, yet as the HTTPS
 * one does: requests are checked as the server checks them, frames are encoded
 * and decoded with the wire codec (so the receiver holds copies), and failures
 * travel as Problems, so both transports raise the same codes.
 */
export class MemoryPeer implements PeerTransport {
  readonly #uri: string;
  readonly #connector: MemoryConnector;
  readonly #links = new Set<MemoryLink>();
  readonly #onClose: () => void;
  #closed = false;

  constructor(uri: string, connector: MemoryConnector, onClose: () => void) {
    this.#uri = uri;
    this.#connector = connector;
    this.#onClose = onClose;
  }

  journal(request: JournalStreamRequest, signal: AbortSignal): AsyncIterable<JournalFrame> {
    return this.#stream(signal, journalCodec, (endpoint, serverSignal) => endpoint.journalFrames(normalizedJournalRequest(request), serverSignal));
  }

  acks(request: AckStreamRequest, signal: AbortSignal): AsyncIterable<AckFrame> {
    return this.#stream(signal, ackCodec, (endpoint, serverSignal) => endpoint.ackFrames(normalizedAckRequest(request), serverSignal));
  }

  watchMessages(request: WatchStreamRequest, signal: AbortSignal): AsyncIterable<WatchFrame> {
    return this.#stream(signal, watchCodec, (endpoint, serverSignal) => endpoint.watchFrames(normalizedWatchRequest(request), serverSignal));
  }

  async command(command: unknown, signal?: AbortSignal): Promise<ClusterCommandAnswer> {
    signal?.throwIfAborted();
    const body = JSON.stringify(command);
    if (body === undefined) throw new TandemError('InvalidJson', 'The command is not a JSON value.');
    const { endpoint, link } = this.#connect(signal);
    try {
      const answered = (async (): Promise<string> => JSON.stringify(await endpoint.clusterCommand(JSON.parse(body))))();
      const json = await link.race(answered.catch((err: unknown) => Promise.reject(this.#asReceived(err))));
      return commandAnswer(JSON.parse(json), this.#uri);
    } catch (err) {
      if (signal?.aborted === true) throw signal.reason;
      throw err;
    } finally {
      link.end();
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const link of [...this.#links]) link.break(transportClosed(this.#uri));
    this.#onClose();
  }

  async *#stream<F extends Tagged>(
    signal: AbortSignal,
    codec: FrameCodec<F>,
    open: (endpoint: ClusterEndpoint, serverSignal: AbortSignal) => AsyncIterable<F>,
  ): AsyncGenerator<F, void, undefined> {
    if (signal.aborted) return;
    const { endpoint, link } = this.#connect(signal);
    try {
      const logger = this.#connector.logger;
      const opening = (async () => openFrameStream(open(endpoint, link.serverSignal), codec, link.serverSignal, logger))();
      const stream = await link.open(opening.catch((err: unknown) => Promise.reject(this.#asReceived(err))));
      yield* readFrames(link.chunks(stream), codec, this.#uri);
    } catch (err) {
      // The reader stopped on purpose: not a failure.
      if (signal.aborted) return;
      throw err;
    } finally {
      link.end();
    }
  }

  #connect(signal: AbortSignal | undefined): { endpoint: ClusterEndpoint; link: MemoryLink } {
    if (this.#closed) throw transportClosed(this.#uri);
    const connected = this.#connector.connect(this.#uri, signal, (link) => this.#links.delete(link));
    this.#links.add(connected.link);
    return connected;
  }

  /** A failure of the serving side as the caller would receive it over HTTPS. */
  #asReceived(err: unknown): TandemError {
    return errorFromProblem(problemOf(err), this.#uri);
  }
}
