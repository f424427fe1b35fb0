import type { EventId, Problem } from '../common/index.js';

/** Who is calling, as the API established it (session, password or certificate). */
export interface UserContext {
  readonly userId: string;
  readonly permissions: ReadonlySet<string>;
}

/** `GET /controller/api` — the overview of this node. */
export interface Overview {
  readonly id: string;
  readonly version: string;
  readonly startedAt: number;
  readonly nodeId: string;
  readonly role: string;
  readonly isActive: boolean;
  readonly epoch: number;
  readonly lastEventId: EventId;
  readonly orderCount: number;
}

/** One committed event as the API shows it (JS7 style: eventId beside the event's own fields). */
export interface StampedView {
  readonly eventId: EventId;
  readonly event: Readonly<Record<string, unknown>>;
}

export type EventRead =
  | { readonly TYPE: 'NonEmpty'; readonly stamped: readonly StampedView[] }
  | { readonly TYPE: 'Empty'; readonly lastEventId: EventId }
  | { readonly TYPE: 'Torn'; readonly after: EventId; readonly oldestEventId: EventId };

/** One node of the pair in `GET /cluster?return=ClusterNodeStates`: its own view, or why it could not be asked. */
export type ClusterNodeEntry = {
  readonly nodeId: string;
  /** The URI the pair was appointed with; null before the appointment. */
  readonly uri: string | null;
  /** The node that answered the request. */
  readonly self: boolean;
} & ({ readonly reachable: true; readonly nodeState: Readonly<Record<string, unknown>> } | { readonly reachable: false; readonly problem: Problem });

/** `GET /cluster?return=ClusterNodeStates`: both nodes, the peer asked over the cluster transport. */
export interface ClusterNodeStates {
  readonly TYPE: 'ClusterNodeStates';
  readonly nodes: readonly ClusterNodeEntry[];
}

export interface HealthReport {
  readonly ok: boolean;
  readonly reasons: readonly string[];
}

/**
 * What the HTTP layer needs from the controller. Everything it returns is plain
 * JSON-serialisable data; everything it throws is a TandemError (or a bug).
 */
export interface ControllerPort {
  overview(): Overview;
  /** Parses and runs one command; `body` is the raw JSON body. Resolves after the command's events are committed. */
  executeCommand(body: unknown, user: UserContext): Promise<Readonly<Record<string, unknown>>>;
  orders(): readonly unknown[];
  order(orderId: string): unknown;
  workflows(): readonly unknown[];
  workflow(path: string): unknown;
  jobLog(orderId: string, after: EventId | undefined, limit: number): Promise<readonly unknown[]>;
  /** Committed events after `after`, at most `limit`. */
  readEvents(after: EventId, limit: number): EventRead;
  /** Resolves when an event after `after` is committed, or rejects when `signal` aborts. */
  waitForEvent(after: EventId, signal: AbortSignal): Promise<void>;
  /** The cluster state (`GET /cluster`), or with `nodeState` this node's view: role, epoch, positions, lag, heartbeat age. */
  clusterView(nodeState: boolean): Readonly<Record<string, unknown>>;
  /** Every node's view (`GET /cluster?return=ClusterNodeStates`); the peer's is asked with a short time bound and never throws. */
  clusterNodeStates(): Promise<ClusterNodeStates>;
  live(): HealthReport;
  ready(): HealthReport;
  /** Prometheus text-format lines for the controller's own figures. */
  metricsText(): Promise<string>;
}

/** What one role (active or passive) serves; the node that holds the role adds the pair's view. */
export type RolePort = Omit<ControllerPort, 'clusterNodeStates'>;
