import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  ACK_MEDIA_TYPE,
  ackCodec,
  JOURNAL_MEDIA_TYPE,
  journalCodec,
  openFrameStream,
  parseAckQuery,
  parseJournalQuery,
  parseWatchQuery,
  peerRoutes,
  WATCH_MEDIA_TYPE,
  watchCodec,
  type FrameCodec,
  type Tagged,
} from '../../cluster/transport/index.js';
import { TandemError } from '../../common/index.js';
import type { ApiClusterOptions } from '../api-options.js';
import { verifiedPeer } from '../client-certificate.js';
import { headerText, requireBody, type App, type RouteContext } from '../route-context.js';

/** How the node is exposed, which decides what a peer must show. */
export interface PeerAccess {
  /** HTTPS is configured. */
  readonly https: boolean;
  /** `js7.web.https.client-authentication`: a verified client certificate is demanded. */
  readonly clientAuthentication: boolean;
  /** `js7.web.server.auth.public`: opens the routes only when HTTPS is not configured at all. */
  readonly public: boolean;
}

function basicCredentials(header: string): { readonly userId: string; readonly password: string } {
  const match = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(header);
  const decoded = match?.[1] === undefined ? undefined : Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded?.indexOf(':') ?? -1;
  if (decoded === undefined || colon < 0) {
    throw new TandemError('Unauthenticated', 'Node-to-node calls need HTTP Basic credentials of the cluster user.', { reason: 'authorization' });
  }
  return { userId: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** `GET /event?onlyAcks=true` asked of a node that serves no cluster. */
export function noClusterRoutes(): TandemError {
  return new TandemError('NotFound', 'This node serves no node-to-node routes.', { path: peerRoutes.acks });
}

/** A refused node-to-node call is a warning at most this often per caller and reason. */
const refusalLogIntervalMs = 60_000;

/**
 * The node-to-node routes (DESIGN §4, §10): the journal stream, the
 * acknowledgement stream (a branch of `GET /event`) and cluster commands. Only
 * the peer may call them: the cluster user by HTTP Basic and, with client
 * authentication, over a connection whose certificate the TLS layer verified.
 */
export class ClusterRoutes {
  readonly #ctx: RouteContext;
  readonly #cluster: ApiClusterOptions;
  readonly #access: PeerAccess;
  /** When each caller and reason was last logged as a warning (monotonic ms). */
  readonly #refusalsLogged = new Map<string, number>();

  constructor(ctx: RouteContext, cluster: ApiClusterOptions, access: PeerAccess) {
    this.#ctx = ctx;
    this.#cluster = cluster;
    this.#access = access;
  }

  /** Registers `GET /journal`, `GET /cluster/clusterWatchMessage` and `POST /cluster/command` (the acknowledgements go through the event route). */
  register(app: App): void {
    const onRequest = this.authenticate;
    app.get(peerRoutes.journal, { onRequest }, async (request, reply) => {
      const query = parseJournalQuery(request.query);
      return this.#serve(reply, JOURNAL_MEDIA_TYPE, journalCodec, (signal) => this.#cluster.endpoint.journalFrames(query, signal));
    });
    app.get(peerRoutes.watch, { onRequest }, async (request, reply) => {
      const query = parseWatchQuery(request.query);
      return this.#serve(reply, WATCH_MEDIA_TYPE, watchCodec, (signal) => this.#cluster.endpoint.watchFrames(query, signal));
    });
    app.post(peerRoutes.command, { onRequest }, async (request) => this.#cluster.endpoint.clusterCommand(requireBody(request.body)));
  }

  /**
   * An onRequest hook: refuses any caller but the peer before anything is read.
   * Certificate first, so a caller without one learns nothing, not even whether a password is right.
   */
  readonly authenticate = async (request: FastifyRequest): Promise<void> => {
    try {
      this.#authenticate(request);
    } catch (err) {
      // A warning, with where it came from: a peer with the wrong password or certificate is a misconfigured pair, or someone else.
      // Once a minute per caller and reason: a misconfigured peer retries several times a second.
      const reason = err instanceof TandemError ? String(err.arguments['reason']) : 'unknown';
      const remoteAddress = request.socket.remoteAddress ?? 'unknown';
      const key = `${remoteAddress} ${reason}`;
      const now = this.#ctx.clock.monotonic();
      const last = this.#refusalsLogged.get(key);
      const level = last === undefined || now - last >= refusalLogIntervalMs ? 'warn' : 'debug';
      if (level === 'warn') {
        if (this.#refusalsLogged.size >= 1000) this.#refusalsLogged.clear();
        this.#refusalsLogged.set(key, now);
      }
      this.#ctx.logger[level]({ remoteAddress, url: request.url, reason }, 'a node-to-node call was refused');
      throw err;
    }
  };

  #authenticate(request: FastifyRequest): void {
    const access = this.#access;
    if (access.https && access.clientAuthentication && verifiedPeer(request.socket) === undefined) {
      throw new TandemError('Forbidden', 'Node-to-node calls need a client certificate that verifies against the trusted certificates.', {
        reason: 'certificate',
      });
    }
    const authorization = headerText(request.headers.authorization);
    if (authorization === undefined) {
      if (!access.https && access.public) return;
      throw new TandemError('Unauthenticated', 'Node-to-node calls need HTTP Basic credentials of the cluster user.', { reason: 'missing' });
    }
    const { userId, password } = basicCredentials(authorization);
    try {
      this.#ctx.authenticator.checkPassword(userId, password);
    } catch {
      throw new TandemError('Unauthenticated', 'User id or password is wrong.', { reason: 'password' });
    }
    if (userId !== this.#cluster.controllerId) {
      throw new TandemError('Forbidden', 'Only the other cluster node may call node-to-node routes.', { reason: 'user' });
    }
  }

  /** `GET /event?onlyAcks=true&epoch=E`: the acknowledgement stream. */
  async serveAcks(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const query = parseAckQuery(request.query);
    return this.#serve(reply, ACK_MEDIA_TYPE, ackCodec, (signal) => this.#cluster.endpoint.ackFrames(query, signal));
  }

  async #serve<F extends Tagged>(reply: FastifyReply, mediaType: string, codec: FrameCodec<F>, frames: (signal: AbortSignal) => AsyncIterable<F>): Promise<FastifyReply> {
    // Aborts when the reader goes away or the server closes; the endpoint's iterator must then end.
    const signal = this.#ctx.waits.track(reply.raw);
    const stream = await openFrameStream(frames(signal), codec, signal, this.#ctx.logger);
    return (
      reply
        .header('content-type', mediaType)
        .header('cache-control', 'no-store')
        // A stream may end because the server closes; its socket must go with it.
        .header('connection', 'close')
        // One frame buffered at most: a 5 MiB snapshot frame must not pile up behind a slow reader.
        .send(Readable.from(stream, { highWaterMark: 1 }))
    );
  }
}
