/**
 * The node-to-node transport (DESIGN §4, §10): the journal stream, the
 * acknowledgement stream and cluster commands between the two nodes of a pair.
 * The cluster logic implements ClusterEndpoint and talks to its peer through a
 * Transport; HttpsTransport and InMemoryNetwork are the two implementations.
 */
export type {
  AckedPoint,
  AckFrame,
  AckStreamRequest,
  ClusterCommandAnswer,
  ClusterEndpoint,
  JournalFrame,
  JournalStreamRequest,
  PeerTransport,
  Transport,
  WatchAsk,
  WatchFrame,
  WatchStreamRequest,
} from './transport.js';
/** The client over HTTPS with mutual TLS and the cluster password. */
export { HttpsTransport, type HttpsTransportOptions, type PeerTlsOptions } from './https-transport.js';
/** Nodes in one process, for fast tests; can cut connections. */
export { InMemoryNetwork } from './memory-network.js';
/** For the API server's node-to-node routes: wire format, paths and request parsing. */
export { ackCodec, journalCodec, watchCodec, MAX_FRAME_BODY_BYTES, type FrameCodec, type Tagged, type WireFrame } from './frame-codec.js';
/** Serves an endpoint's frames as encoded buffers; throws what the endpoint throws before its first frame. */
export { openFrameStream } from './frame-stream.js';
/** Reads frames from received bytes. */
export { readFrames } from './frame-reader.js';
export { FrameSplitter } from './frame-splitter.js';
export { ACK_MEDIA_TYPE, JOURNAL_MEDIA_TYPE, WATCH_MEDIA_TYPE, peerRoutes } from './peer-routes.js';
export { asksForAcks, parseAckQuery, parseJournalQuery, parseWatchQuery } from './stream-requests.js';
