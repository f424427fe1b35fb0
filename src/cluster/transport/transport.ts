import type { Epoch, EventId } from '../../common/index.js';

/** What the active serves and the passive reads: the journal, byte-identical, from (file, position) on, live. */
export type JournalFrame =
  /** Raw framed journal records starting at `position` of file `fileEventId`; a new fileEventId with position 0 starts a new file. */
  | { readonly TYPE: 'Records'; readonly fileEventId: EventId; readonly position: number; readonly bytes: Uint8Array }
  /** The active's durable end, sent when idle (every heartbeat interval): also the passive's proof that the active lives. */
  | { readonly TYPE: 'Heartbeat'; readonly fileEventId: EventId; readonly position: number; readonly lastEventId: EventId; readonly epoch: Epoch };

/** What the passive serves and the active reads: how far the passive has the journal. */
export type AckFrame =
  /** The passive has this EventId durable and applied. */
  | { readonly TYPE: 'Ack'; readonly eventId: EventId }
  /** Idle keep-alive; repeats the last ack. */
  | { readonly TYPE: 'Heartbeat'; readonly eventId: EventId };

/** Where the passive wants the journal from; without a file, the endpoint chooses (e.g. the newest file's start). */
export interface JournalStreamRequest {
  readonly fileEventId?: EventId;
  /** A record boundary in that file. */
  readonly position?: number;
  /** The reader's epoch; a lower one than the server's is refused (ClusterEpochStale). */
  readonly epoch: Epoch;
  /** The journal the reader holds, so an unrelated one is refused (JournalIdMismatch). */
  readonly journalId?: string;
}

/** Which acknowledgements the active asks for. */
export interface AckStreamRequest {
  readonly epoch: Epoch;
}

/** A node-to-node command and its answer: TYPE-tagged JSON objects. */
export type ClusterCommandAnswer = Readonly<Record<string, unknown>>;

/**
 * Server side: what a node offers to its peer. Implemented by the cluster logic;
 * the transports only carry it. A stream ends when its iterator ends, and must end
 * soon after `signal` aborts (the reader went away or the node closes).
 */
export interface ClusterEndpoint {
  /** The journal from the requested point on; throws TandemError (JournalPositionInvalid, ClusterEpochStale, ClusterNodeIsNotActive…) before the first frame. */
  journalFrames(request: JournalStreamRequest, signal: AbortSignal): AsyncIterable<JournalFrame>;
  /** This node's acknowledgements; throws TandemError('ClusterNodeIsActive') when this node is active. */
  ackFrames(request: AckStreamRequest, signal: AbortSignal): AsyncIterable<AckFrame>;
  /** Executes a node-to-node command (`unknown`: narrow it); throws TandemError. */
  clusterCommand(command: unknown): Promise<ClusterCommandAnswer>;
}

/**
 * Client side: how a node talks to its peer at a URI. Failures are TandemErrors:
 * the peer's own code when it answered with a Problem, `ClusterPeerUnreachable`
 * when it could not be reached or the connection broke, `ShuttingDown` once this
 * transport is closed. Aborting `signal` ends a stream's iteration quietly.
 */
export interface PeerTransport {
  /** The peer's journal as frames, live, until aborted, ended by the peer, or broken. */
  journal(request: JournalStreamRequest, signal: AbortSignal): AsyncIterable<JournalFrame>;
  /** The peer's acknowledgements as frames, live. */
  acks(request: AckStreamRequest, signal: AbortSignal): AsyncIterable<AckFrame>;
  /** Sends one node-to-node command; rejects with the signal's reason when aborted. */
  command(command: unknown, signal?: AbortSignal): Promise<ClusterCommandAnswer>;
  /** Ends this handle's open streams (with ShuttingDown) and refuses further calls. Idempotent. */
  close(): Promise<void>;
}

/** A node's way to reach its peers. */
export interface Transport {
  /** A handle for the peer at `uri` (e.g. `https://backup:4443`); connections to one origin are shared. */
  peer(uri: string): PeerTransport;
  /** Closes every handle and releases the connections. Idempotent. */
  close(): Promise<void>;
}
