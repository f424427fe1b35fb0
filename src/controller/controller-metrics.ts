import type { ControllerState } from '../state/index.js';

/** Where a node's journal stands: the active's own, or the passive's copy. */
export interface JournalFigures {
  /** The last EventId written. */
  readonly lastEventId: number;
  /** The last EventId that is durable. */
  readonly committedEventId: number;
  readonly fileEventId: number;
  /** Bytes written to that file. */
  readonly positionBytes: number;
}

/** The replication figures, as each role of a pair sees them. */
export type ClusterFigures =
  | {
      readonly role: 'active';
      readonly ackedEventId: number;
      /** Committed-here batches, and their events, the passive has not acknowledged yet. */
      readonly batchesWaitingForAck: number;
      readonly eventsWaitingForAck: number;
      /** Durable journal bytes after the passive's acknowledged point (-1: not known yet). */
      readonly lagBytes: number;
      readonly heartbeatAgeSeconds: number;
    }
  | {
      readonly role: 'passive';
      readonly ackedEventId: number;
      readonly heartbeatAgeSeconds: number;
    };

export interface ControllerFigures {
  /** Undefined on a passive that has no state yet. */
  readonly state: ControllerState | undefined;
  readonly journal: JournalFigures | undefined;
  readonly runningJobs: number;
  readonly pendingCommits: number;
  /** Present while the node is part of a pair. */
  readonly cluster?: ClusterFigures;
}

/** One gauge: its help line, type line and samples. */
function gauge(name: string, help: string, samples: readonly string[]): string[] {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, ...samples];
}

/** The node's own figures in Prometheus text format. */
export function renderControllerMetrics(f: ControllerFigures): string {
  const byState = new Map<string, number>();
  for (const order of f.state?.orders.values() ?? []) byState.set(order.state.TYPE, (byState.get(order.state.TYPE) ?? 0) + 1);
  const lines: string[] = [
    ...gauge('tandem_orders', 'Orders in the controller state, by order state.', [...byState].map(([state, n]) => `tandem_orders{state="${state}"} ${n}`)),
    ...gauge('tandem_jobs_running', 'Job processes running now.', [`tandem_jobs_running ${f.runningJobs}`]),
    ...gauge('tandem_commits_pending', 'Appended batches not yet committed.', [`tandem_commits_pending ${f.pendingCommits}`]),
  ];
  const j = f.journal;
  if (j !== undefined) {
    lines.push(
      ...gauge('tandem_journal_last_event_id', 'The last EventId written to the journal.', [`tandem_journal_last_event_id ${j.lastEventId}`]),
      ...gauge('tandem_journal_committed_event_id', 'The last EventId that is durable.', [`tandem_journal_committed_event_id ${j.committedEventId}`]),
      ...gauge('tandem_journal_file_event_id', 'The fileEventId of the current journal file.', [`tandem_journal_file_event_id ${j.fileEventId}`]),
      ...gauge('tandem_journal_position_bytes', 'Bytes written to the current journal file.', [`tandem_journal_position_bytes ${j.positionBytes}`]),
    );
  }
  const c = f.cluster;
  if (c?.role === 'active') {
    lines.push(
      ...gauge('tandem_cluster_acked_event_id', 'The last EventId the passive has acknowledged (durable there).', [`tandem_cluster_acked_event_id ${c.ackedEventId}`]),
      ...gauge('tandem_cluster_batches_waiting_for_ack', 'Committed-here batches the passive has not acknowledged yet (the replication lag).', [
        `tandem_cluster_batches_waiting_for_ack ${c.batchesWaitingForAck}`,
      ]),
      ...gauge('tandem_cluster_events_waiting_for_ack', 'Events in those batches: the replication lag in events.', [`tandem_cluster_events_waiting_for_ack ${c.eventsWaitingForAck}`]),
      ...gauge('tandem_cluster_lag_bytes', "Durable journal bytes the passive has not acknowledged: the rest of its file and every newer file (-1: it has not said where its journal ends).", [
        `tandem_cluster_lag_bytes ${c.lagBytes}`,
      ]),
      ...gauge('tandem_cluster_heartbeat_age_seconds', 'Seconds since the last frame from the passive (-1: none yet).', [`tandem_cluster_heartbeat_age_seconds ${c.heartbeatAgeSeconds}`]),
    );
  } else if (c?.role === 'passive') {
    lines.push(
      ...gauge('tandem_cluster_acked_event_id', 'The last EventId this passive has durable and acknowledged.', [`tandem_cluster_acked_event_id ${c.ackedEventId}`]),
      ...gauge('tandem_cluster_heartbeat_age_seconds', 'Seconds since the last frame from the active (-1: none yet).', [`tandem_cluster_heartbeat_age_seconds ${c.heartbeatAgeSeconds}`]),
    );
  }
  return lines.join('\n') + '\n';
}
