/**
 * The one registry of error codes. Every code is stable (callers match on it,
 * never on message text), has an HTTP status, and is documented in docs/errors.md
 * (a unit test checks that). Add a code here, then document it there.
 */
export const errorCodes = {
  // Input from the network
  InvalidJson: { status: 400, summary: 'The request body is not valid JSON.' },
  UnknownCommand: { status: 400, summary: 'The command TYPE is not one this node knows.' },
  InvalidRequest: { status: 400, summary: 'The request does not match the expected shape; arguments name the path and the problem.' },
  PayloadTooLarge: { status: 413, summary: 'The request body is larger than the configured limit.' },
  UnsupportedMediaType: { status: 415, summary: 'The request body is not application/json.' },
  NotFound: { status: 404, summary: 'No such route.' },
  MethodNotAllowed: { status: 405, summary: 'The route does not accept this HTTP method.' },

  // Authentication and permissions
  Unauthenticated: { status: 401, summary: 'No valid session, password or client certificate came with the request.' },
  InvalidLogin: { status: 401, summary: 'User id or password is wrong.' },
  Forbidden: { status: 403, summary: 'The user is known but lacks the permission this call needs.' },

  // Business
  UnknownOrder: { status: 404, summary: 'No order has this id.' },
  UnknownWorkflow: { status: 404, summary: 'No workflow is deployed under this path.' },
  InvalidWorkflow: { status: 400, summary: 'The workflow is not well formed; arguments say where.' },
  UnknownSchedule: { status: 404, summary: 'No schedule has this id.' },
  InvalidSchedule: { status: 400, summary: 'The schedule (cron expression or target) is not valid.' },
  OrderIdConflict: { status: 409, summary: 'An order with this id exists with a different workflow or arguments.' },
  OrderNotSuspendable: { status: 409, summary: 'The order is in a state that cannot be suspended, resumed or cancelled this way.' },
  EventsTorn: { status: 410, summary: 'The requested events are older than the oldest one this node still holds; re-read the state.' },

  // Node state
  NotReady: { status: 503, summary: 'The node is starting or recovering and does not serve this yet.' },
  ShuttingDown: { status: 503, summary: 'The node is shutting down.' },
  ClusterNodeIsNotActive: { status: 503, summary: 'This node is passive; send business commands to the active node named in arguments.' },
  BackupClusterNodeNotAppointed: { status: 503, summary: 'This backup node has not been appointed to a cluster yet.' },
  CommitStalled: { status: 503, summary: 'The event could not be committed in time (e.g. the passive does not acknowledge).' },

  // Configuration (start-up)
  ConfigInvalid: { status: 500, summary: 'The configuration has errors; each names file, HOCON path and problem.' },
  ConfigSyntax: { status: 500, summary: 'A configuration file is not valid HOCON.' },

  // Journal (start-up and operation)
  JournalCorrupt: { status: 500, summary: 'A journal record other than the last is damaged; the node refuses to start. Arguments name file and offset.' },
  JournalLocked: { status: 500, summary: 'Another process holds the data directory.' },
  JournalWriteFailed: { status: 500, summary: 'Writing or syncing the journal failed; the node stops rather than risk an unacknowledged loss.' },
  JournalUnsupportedVersion: { status: 500, summary: 'The journal was written in a format version this build does not read.' },
  JournalIdMismatch: { status: 409, summary: 'The peer journal has another journalId: the two nodes do not belong to the same cluster.' },
  JournalPositionInvalid: { status: 400, summary: 'The requested journal file or position does not exist or is not a record boundary.' },

  // Cluster
  ClusterRoleConflict: { status: 409, summary: 'The configured role contradicts the journal or the pair (e.g. a former primary configured as backup).' },
  ClusterEpochStale: { status: 409, summary: 'The request carries a lower epoch than this node knows; the sender is fenced.' },
  ClusterNotCoupled: { status: 409, summary: 'The command needs a coupled pair.' },
  SwitchoverJobsStillRunning: { status: 409, summary: 'Jobs still ran when the switchover stopped waiting for them; nothing was switched and orders go on.' },
  ClusterAlreadyAppointed: { status: 409, summary: 'The cluster nodes are already appointed differently.' },
  ClusterNodeIsActive: { status: 409, summary: 'An active node refuses to serve acknowledgements: the caller is not the active node any more.' },
  ClusterWatchRefused: { status: 409, summary: 'The cluster watch did not consent to the requested loss.' },
  ClusterWatchUnreachable: { status: 503, summary: 'The cluster watch could not be reached.' },
  ClusterPeerUnreachable: { status: 503, summary: 'The other cluster node could not be reached, or the connection to it broke.' },
  WatchStateCorrupt: { status: 500, summary: "The cluster watch's state file is damaged; the watch refuses to start. Arguments name the file and the problem." },

  // Licence
  LicenceInvalid: { status: 403, summary: 'The licence file is malformed or its signature does not verify against a trusted key.' },
  LicenceExpired: { status: 403, summary: 'The licence has expired or is not yet valid; automatic failover and switchover are disabled.' },
  LicenceMissing: { status: 403, summary: 'No licence is installed; automatic failover and switchover are disabled.' },

  // Anything else
  InternalError: { status: 500, summary: 'An unexpected error; the log has the details.' },
} as const satisfies Record<string, { status: number; summary: string }>;

export type ErrorCode = keyof typeof errorCodes;

/** An error with a stable code, an HTTP status and structured arguments. */
export class TandemError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly arguments: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, args: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TandemError';
    this.code = code;
    this.status = errorCodes[code].status;
    this.arguments = args;
  }
}

/** The JSON shape every failed call answers with. */
export interface Problem {
  readonly TYPE: 'Problem';
  readonly code: ErrorCode;
  readonly message: string;
  readonly arguments: Readonly<Record<string, unknown>>;
}

/** Turns any thrown value into a Problem; unknown errors become InternalError without leaking details. */
export function toProblem(err: unknown): Problem {
  if (err instanceof TandemError) {
    return { TYPE: 'Problem', code: err.code, message: err.message, arguments: err.arguments };
  }
  return { TYPE: 'Problem', code: 'InternalError', message: 'Internal error; see the node log.', arguments: {} };
}

/** True when `err` is a TandemError with the given code. */
export function hasCode(err: unknown, code: ErrorCode): err is TandemError {
  return err instanceof TandemError && err.code === code;
}
