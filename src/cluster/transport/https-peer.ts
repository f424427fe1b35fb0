import type { Dispatcher } from 'undici';
import { TandemError, linkedAbort, type LinkedAbort } from '../../common/index.js';
import { ackCodec, journalCodec, watchCodec, wireProblemSchema, type FrameCodec, type Tagged } from './frame-codec.js';
import { readFrames } from './frame-reader.js';
import { commandAnswer, errorFromProblem, peerUnreachable, transportClosed } from './peer-errors.js';
import { ACK_MEDIA_TYPE, isMediaType, JOURNAL_MEDIA_TYPE, peerRoutes, WATCH_MEDIA_TYPE } from './peer-routes.js';
import { ackQuery, journalQuery, watchQuery, type QueryText } from './stream-requests.js';
import type { AckFrame, AckStreamRequest, ClusterCommandAnswer, JournalFrame, JournalStreamRequest, PeerTransport, WatchFrame, WatchStreamRequest } from './transport.js';

/** What an HttpsPeer shares with its transport. */
export interface HttpsPeerSettings {
  /** Holds the keep-alive connections, shared by every handle to the same origin. */
  readonly dispatcher: Dispatcher;
  /** `Authorization` header value, absent when no cluster password is configured. */
  readonly authorization: string | undefined;
  /** Longest silence on a stream, and longest wait for an answer, before the peer counts as unreachable. */
  readonly idleTimeoutMs: number;
  /** Called once when the handle closes. */
  readonly onClose: () => void;
}

// Problems are small; anything longer is not one of ours and is not worth reading.
const maxRefusalBytes = 64 * 1024;

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** One node's handle to its peer over HTTP(S): streams and commands (see PeerTransport). */
export class HttpsPeer implements PeerTransport {
  readonly #uri: string;
  readonly #origin: string;
  readonly #base: string;
  readonly #settings: HttpsPeerSettings;
  readonly #closer = new AbortController();

  constructor(uri: string, settings: HttpsPeerSettings) {
    const url = new URL(uri);
    this.#uri = uri;
    this.#origin = url.origin;
    this.#base = url.pathname.replace(/\/+$/, '');
    this.#settings = settings;
  }

  journal(request: JournalStreamRequest, signal: AbortSignal): AsyncIterable<JournalFrame> {
    return this.#stream(peerRoutes.journal, journalQuery(request), JOURNAL_MEDIA_TYPE, journalCodec, signal);
  }

  acks(request: AckStreamRequest, signal: AbortSignal): AsyncIterable<AckFrame> {
    return this.#stream(peerRoutes.acks, ackQuery(request), ACK_MEDIA_TYPE, ackCodec, signal);
  }

  watchMessages(request: WatchStreamRequest, signal: AbortSignal): AsyncIterable<WatchFrame> {
    return this.#stream(peerRoutes.watch, watchQuery(request), WATCH_MEDIA_TYPE, watchCodec, signal);
  }

  async command(command: unknown, signal?: AbortSignal): Promise<ClusterCommandAnswer> {
    signal?.throwIfAborted();
    const body = JSON.stringify(command);
    if (body === undefined) throw new TandemError('InvalidJson', 'The command is not a JSON value.');
    const callSignal = this.#callSignal(signal);
    try {
      const response = await this.#settings.dispatcher.request({
        origin: this.#origin,
        path: this.#base + peerRoutes.command,
        method: 'POST',
        headers: { ...this.#authorization(), 'content-type': 'application/json', accept: 'application/json' },
        body,
        signal: callSignal.signal,
        headersTimeout: this.#settings.idleTimeoutMs,
        bodyTimeout: this.#settings.idleTimeoutMs,
      });
      if (response.statusCode !== 200) throw await this.#refusal(response);
      return commandAnswer(await response.body.json(), this.#uri);
    } catch (err) {
      if (signal?.aborted === true) throw signal.reason;
      throw this.#failure(err);
    } finally {
      callSignal.dispose();
    }
  }

  async close(): Promise<void> {
    if (this.#closer.signal.aborted) return;
    this.#closer.abort(transportClosed(this.#uri));
    this.#settings.onClose();
  }

  async *#stream<F extends Tagged>(path: string, query: QueryText, mediaType: string, codec: FrameCodec<F>, signal: AbortSignal): AsyncGenerator<F, void, undefined> {
    if (signal.aborted) return;
    const callSignal = this.#callSignal(signal);
    let response: Dispatcher.ResponseData | undefined;
    try {
      response = await this.#settings.dispatcher.request({
        origin: this.#origin,
        path: `${this.#base}${path}?${new URLSearchParams(query).toString()}`,
        method: 'GET',
        headers: { ...this.#authorization(), accept: mediaType },
        signal: callSignal.signal,
        headersTimeout: this.#settings.idleTimeoutMs,
        bodyTimeout: this.#settings.idleTimeoutMs,
      });
      if (response.statusCode !== 200) throw await this.#refusal(response);
      if (!isMediaType(response.headers['content-type'], mediaType)) {
        throw peerUnreachable(this.#uri, `the answer is not ${mediaType}`);
      }
      yield* readFrames(response.body, codec, this.#uri);
    } catch (err) {
      // The reader stopped on purpose: not a failure.
      if (signal.aborted) return;
      throw this.#failure(err);
    } finally {
      // A stream left before its end must not keep its connection (the peer sees it close and stops serving).
      response?.body.destroy();
      callSignal.dispose();
    }
  }

  #authorization(): Record<string, string> {
    return this.#settings.authorization === undefined ? {} : { authorization: this.#settings.authorization };
  }

  /** The call's signal: it aborts with the caller's and when the transport closes; dispose it when the call is over. */
  #callSignal(signal: AbortSignal | undefined): LinkedAbort {
    if (this.#closer.signal.aborted) throw transportClosed(this.#uri);
    return signal === undefined ? linkedAbort(this.#closer.signal) : linkedAbort(signal, this.#closer.signal);
  }

  /** The error a refused call stands for: the peer's Problem, or unreachable when the answer is not one (e.g. a proxy's page). */
  async #refusal(response: Dispatcher.ResponseData): Promise<TandemError> {
    const status = response.statusCode;
    const length = Number(response.headers['content-length'] ?? 0);
    if (length > maxRefusalBytes) {
      response.body.destroy();
      return peerUnreachable(this.#uri, `it answered ${status} with a large body that is no Problem`);
    }
    const text = await response.body.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const problem = wireProblemSchema.safeParse(json);
    if (!problem.success) return peerUnreachable(this.#uri, `it answered ${status} without a Problem`);
    return errorFromProblem(problem.data, this.#uri);
  }

  #failure(err: unknown): TandemError {
    if (err instanceof TandemError) return err;
    if (this.#closer.signal.aborted) return transportClosed(this.#uri);
    return peerUnreachable(this.#uri, describe(err), err);
  }
}
