/** The pair: the active's cluster duties, the journal server, and the node-to-node transport. */
export { ActiveCluster, type ActiveClusterOptions, type ActiveClusterStatus, type ActiveHost } from './active-cluster.js';
export { PeerProblem } from './peer-problem.js';
export { serveJournal, type JournalServerOptions } from './journal-server.js';
export * from './transport/index.js';
/** The cluster's timeouts, derived from heartbeat and heartbeat-timeout. */
export { clusterTiming, type ClusterTiming } from './cluster-timing.js';
/** Consent to leave Coupled alone: the Witness interface and the node's side of the pulled cluster watch. */
export type { ConsentRequest, Witness, WitnessStatus, WitnessVerdict } from './witness.js';
export { WatchLink, type WatchAnswer, type WatchLinkOptions, type WatchView } from './watch-link.js';
