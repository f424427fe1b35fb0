/** The pair: the active's cluster duties, the journal server, and the node-to-node transport. */
export { ActiveCluster, type ActiveClusterOptions, type ActiveClusterStatus, type ActiveHost } from './active-cluster.js';
export { PeerProblem } from './peer-problem.js';
export { serveJournal, type JournalServerOptions } from './journal-server.js';
export * from './transport/index.js';
