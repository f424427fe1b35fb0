import { silentLogger, type Logger } from '../../common/index.js';
import { MemoryLink } from './memory-link.js';
import { MemoryPeer, type MemoryConnector } from './memory-peer.js';
import { peerUnreachable, transportClosed } from './peer-errors.js';
import type { ClusterEndpoint, PeerTransport, Transport } from './transport.js';

/**
 * Nodes in one process that reach each other by URI without sockets, for fast
 * tests of the cluster logic. It behaves like the HTTPS transport (same codes,
 * same copying, aborts end iteration) and lets a test break connections.
 */
export class InMemoryNetwork implements MemoryConnector {
  readonly #endpoints = new Map<string, ClusterEndpoint>();
  readonly #links = new Map<string, Set<MemoryLink>>();
  readonly logger: Logger;

  constructor(options: { readonly logger?: Logger } = {}) {
    this.logger = (options.logger ?? silentLogger()).child({ component: 'memory-transport' });
  }

  /** Serves `endpoint` at `uri`, as a node's API server would; one endpoint per URI. */
  register(uri: string, endpoint: ClusterEndpoint): void {
    if (this.#endpoints.has(uri)) throw new Error(`InMemoryNetwork: ${uri} is already registered`);
    this.#endpoints.set(uri, endpoint);
  }

  /** The node at `uri` goes away: its open calls fail with ClusterPeerUnreachable, and so do later ones. */
  unregister(uri: string): void {
    this.#endpoints.delete(uri);
    this.#breakAll(uri, 'the peer went away');
  }

  /** Breaks every open call to `uri` (ClusterPeerUnreachable, the endpoint sees its signal abort); new calls get through. */
  cut(uri: string): void {
    this.#breakAll(uri, 'the connection was cut');
  }

  /** A node's transport on this network. */
  transport(): Transport {
    return new MemoryTransport(this);
  }

  /** Open calls to `uri` right now (streams and commands in flight). */
  openCalls(uri: string): number {
    return this.#links.get(uri)?.size ?? 0;
  }

  connect(uri: string, clientSignal: AbortSignal | undefined, onEnd: (link: MemoryLink) => void): { endpoint: ClusterEndpoint; link: MemoryLink } {
    const endpoint = this.#endpoints.get(uri);
    if (endpoint === undefined) throw peerUnreachable(uri, 'no node is registered at this URI');
    let links = this.#links.get(uri);
    if (links === undefined) {
      links = new Set();
      this.#links.set(uri, links);
    }
    const open = links;
    const link = new MemoryLink(clientSignal, (ended) => {
      open.delete(ended);
      onEnd(ended);
    });
    open.add(link);
    return { endpoint, link };
  }

  #breakAll(uri: string, why: string): void {
    for (const link of [...(this.#links.get(uri) ?? [])]) link.break(peerUnreachable(uri, why));
  }
}

/** One node's view of an InMemoryNetwork. */
class MemoryTransport implements Transport {
  readonly #network: InMemoryNetwork;
  readonly #peers = new Set<MemoryPeer>();
  #closed = false;

  constructor(network: InMemoryNetwork) {
    this.#network = network;
  }

  peer(uri: string): PeerTransport {
    if (this.#closed) throw transportClosed(uri);
    const peer: MemoryPeer = new MemoryPeer(uri, this.#network, () => this.#peers.delete(peer));
    this.#peers.add(peer);
    return peer;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#peers].map((p) => p.close()));
  }
}
