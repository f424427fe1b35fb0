import type { Journal } from '../journal/index.js';
import type { ControllerState } from '../state/index.js';

export interface ControllerFigures {
  readonly state: ControllerState;
  readonly journal: Journal | undefined;
  readonly runningJobs: number;
  readonly pendingCommits: number;
  /** Present when the node is the active one of a pair. */
  readonly cluster?: { readonly ackedEventId: number; readonly waitingForAck: number; readonly heartbeatAgeSeconds: number };
}

/** The controller's own figures in Prometheus text format. */
export function renderControllerMetrics(f: ControllerFigures): string {
  const byState = new Map<string, number>();
  for (const order of f.state.orders.values()) byState.set(order.state.TYPE, (byState.get(order.state.TYPE) ?? 0) + 1);
  const lines: string[] = [
    '# HELP tandem_orders Orders in the controller state, by order state.',
    '# TYPE tandem_orders gauge',
    ...[...byState].map(([state, n]) => `tandem_orders{state="${state}"} ${n}`),
    '# HELP tandem_jobs_running Job processes running now.',
    '# TYPE tandem_jobs_running gauge',
    `tandem_jobs_running ${f.runningJobs}`,
    '# HELP tandem_commits_pending Appended batches not yet committed.',
    '# TYPE tandem_commits_pending gauge',
    `tandem_commits_pending ${f.pendingCommits}`,
  ];
  if (f.journal !== undefined) {
    const pos = f.journal.position();
    lines.push(
      '# HELP tandem_journal_last_event_id The last EventId appended to the journal.',
      '# TYPE tandem_journal_last_event_id gauge',
      `tandem_journal_last_event_id ${f.journal.lastEventId}`,
      '# HELP tandem_journal_committed_event_id The last EventId that is durable.',
      '# TYPE tandem_journal_committed_event_id gauge',
      `tandem_journal_committed_event_id ${f.journal.committedEventId}`,
      '# HELP tandem_journal_file_event_id The fileEventId of the current journal file.',
      '# TYPE tandem_journal_file_event_id gauge',
      `tandem_journal_file_event_id ${pos.fileEventId}`,
      '# HELP tandem_journal_position_bytes Bytes written to the current journal file.',
      '# TYPE tandem_journal_position_bytes gauge',
      `tandem_journal_position_bytes ${pos.written}`,
    );
  }
  if (f.cluster !== undefined) {
    lines.push(
      '# HELP tandem_cluster_acked_event_id The last EventId the passive has acknowledged (durable there).',
      '# TYPE tandem_cluster_acked_event_id gauge',
      `tandem_cluster_acked_event_id ${f.cluster.ackedEventId}`,
      '# HELP tandem_cluster_batches_waiting_for_ack Committed-here batches the passive has not acknowledged yet (the replication lag).',
      '# TYPE tandem_cluster_batches_waiting_for_ack gauge',
      `tandem_cluster_batches_waiting_for_ack ${f.cluster.waitingForAck}`,
      '# HELP tandem_cluster_heartbeat_age_seconds Seconds since the last frame from the passive (-1: none yet).',
      '# TYPE tandem_cluster_heartbeat_age_seconds gauge',
      `tandem_cluster_heartbeat_age_seconds ${f.cluster.heartbeatAgeSeconds}`,
    );
  }
  return lines.join('\n') + '\n';
}
