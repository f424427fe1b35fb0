import type { Epoch, EventId } from '../../common/index.js';

/** What the active serves and the passive reads: the journal, byte-identical, from (file, position) on, live. */
export type JournalFrame =
  /** Raw framed journal records starting at `position` of file `fileEventId`; a new fileEventId with position 0 starts a new file. */
  | { readonly TYPE: 'Records'; readonly fileEventId: EventId; readonly position: number; readonly bytes: Uint8Array }
  /** The active's durable end, sent when idle (every heartbeat interval): also the passive's proof that the active lives. */
  | { readonly TYPE: 'Heartbeat'; readonly fileEventId: EventId; readonly position: number; readonly lastEventId: EventId; readonly epoch: Epoch };

/** What the passive serves and the active reads: how far the passive has the journal. */
export type AckFrame =
  /** The passive has this EventId durable (it applies it right after saying so); `at`: where its journal ends right after it. */
  | { readonly TYPE: 'Ack'; readonly eventId: EventId; readonly at?: AckedPoint }
  /** Idle keep-alive; repeats the last ack. */
  | { readonly TYPE: 'Heartbeat'; readonly eventId: EventId; readonly at?: AckedPoint };

/** A place in the passive's journal: the active counts the bytes after it as the replication lag. */
export interface AckedPoint {
  readonly fileEventId: EventId;
  readonly position: number;
}

/** What a node tells the cluster watch (DESIGN §5); the watch answers a Request with a ClusterWatchAnswer command. */
export type WatchFrame =
  /** Sent every heartbeat interval: how this node sees the cluster. The watch times the silence between them on its own clock. */
  | {
      readonly TYPE: 'Heartbeat';
      readonly nodeId: string;
      readonly epoch: Epoch;
      /** This node acts (commits) in `epoch`. */
      readonly isActive: boolean;
      /** The TYPE of the cluster state this node holds. */
      readonly clusterState: string;
      /** The active node by this node's journal; null while standalone. */
      readonly activeId: string | null;
      readonly lastEventId: EventId;
      /** The id of the pair's journal this node holds; null before it has one. A watch serves one journal. */
      readonly journalId: string | null;
    }
  /** A request for consent to leave Coupled without the peer's word; two-phase: Ask, then Commit with the same requestId. */
  | {
      readonly TYPE: 'Request';
      readonly requestId: string;
      readonly nodeId: string;
      readonly epoch: Epoch;
      readonly ask: WatchAsk;
      /** The node the asker wants to declare lost. */
      readonly lostNodeId: string;
      readonly phase: 'Ask' | 'Commit';
    };

/** What a node may ask the watch to consent to: the active drops its passive, or the passive takes over from the active. */
export type WatchAsk = 'PassiveLost' | 'FailedOver';

/** Who opens the watch stream: the watch's id, so the node can tell two watches apart in its log and view. */
export interface WatchStreamRequest {
  readonly watchId: string;
}

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
  /** What this node has to tell the cluster watch: heartbeats and consent requests, live. */
  watchFrames(request: WatchStreamRequest, signal: AbortSignal): AsyncIterable<WatchFrame>;
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
  /** The peer's messages for the cluster watch, live (used by the watch process, which talks to nodes like a peer). */
  watchMessages(request: WatchStreamRequest, signal: AbortSignal): AsyncIterable<WatchFrame>;
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
