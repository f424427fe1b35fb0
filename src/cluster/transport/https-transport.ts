import { Agent } from 'undici';
import type { Logger } from '../../common/index.js';
import { HttpsPeer } from './https-peer.js';
import type { PeerTransport, Transport } from './transport.js';
import { transportClosed } from './peer-errors.js';

/** The TLS side of the client: whom to trust, and the certificate that proves who this node is. */
export interface PeerTlsOptions {
  /** PEM texts the peer's server certificate must verify against (`js7.web.https.trusted-certificates`). */
  readonly trustedCertificates: readonly string[];
  /** This node's certificate (PEM, chain allowed), sent to peers that ask for one. */
  readonly certificate?: string;
  /** Its PKCS#8 PEM key. */
  readonly privateKey?: string;
}

export interface HttpsTransportOptions {
  /** `js7.controller.id`: the user name of the JS7 cluster password convention. */
  readonly controllerId: string;
  /** `js7.auth.cluster.password` in plain text; without it, calls carry no credentials (development only). */
  readonly clusterPassword?: string;
  /** Needed for `https://` peers. */
  readonly tls?: PeerTlsOptions;
  readonly logger: Logger;
  /** Silence on a stream, or wait for an answer, after which the peer counts as unreachable (default 60 s; heartbeats detect a loss sooner). */
  readonly idleTimeoutMs?: number;
  /** Time to open a connection, TLS handshake included (default 10 s). */
  readonly connectTimeoutMs?: number;
  /** How long an idle connection is kept for reuse unless the server says less (default 60 s). */
  readonly keepAliveMs?: number;
}

const defaultIdleTimeoutMs = 60_000;
const defaultConnectTimeoutMs = 10_000;
const defaultKeepAliveMs = 60_000;

/**
 * The node-to-node client over HTTPS with mutual TLS and the cluster password.
 * One undici Agent keeps a pool of keep-alive connections per peer origin, so
 * commands reuse connections (a TLS handshake costs milliseconds) and each open
 * stream holds a connection of its own.
 */
export class HttpsTransport implements Transport {
  readonly #agent: Agent;
  readonly #authorization: string | undefined;
  readonly #idleTimeoutMs: number;
  readonly #logger: Logger;
  readonly #peers = new Set<HttpsPeer>();
  #closed: Promise<void> | undefined;

  constructor(options: HttpsTransportOptions) {
    const tls = options.tls;
    this.#agent = new Agent({
      connect: {
        timeout: options.connectTimeoutMs ?? defaultConnectTimeoutMs,
        ...(tls === undefined
          ? {}
          : {
              // Always set, even empty: without it Node would trust the public CAs for a peer.
              ca: [...tls.trustedCertificates],
              ...(tls.certificate === undefined ? {} : { cert: tls.certificate }),
              ...(tls.privateKey === undefined ? {} : { key: tls.privateKey }),
            }),
      },
      keepAliveTimeout: options.keepAliveMs ?? defaultKeepAliveMs,
    });
    this.#authorization =
      options.clusterPassword === undefined
        ? undefined
        : `Basic ${Buffer.from(`${options.controllerId}:${options.clusterPassword}`, 'utf8').toString('base64')}`;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? defaultIdleTimeoutMs;
    this.#logger = options.logger.child({ component: 'transport' });
  }

  peer(uri: string): PeerTransport {
    if (this.#closed !== undefined) throw transportClosed(uri);
    const peer: HttpsPeer = new HttpsPeer(uri, {
      dispatcher: this.#agent,
      authorization: this.#authorization,
      idleTimeoutMs: this.#idleTimeoutMs,
      onClose: () => this.#peers.delete(peer),
    });
    this.#peers.add(peer);
    return peer;
  }

  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<void> {
    await Promise.all([...this.#peers].map((p) => p.close()));
    // Streams were aborted above; destroy rather than close, so no connection outlives the transport.
    await this.#agent.destroy();
    this.#logger.debug('node-to-node transport closed');
  }
}
