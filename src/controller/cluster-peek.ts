import { listJournal, readRecords } from '../journal/index.js';
import { applyEvent, fromSnapshot, isClusterEvent, parseEvent, type ControllerState } from '../state/index.js';

/** The cluster part of a journal's state, as far as deciding a node's role needs it. */
export type ClusterPeek = Pick<ControllerState, 'cluster' | 'epoch' | 'lastFailover'> & {
  /** The journal's last event is a SwitchedOver: this node wrote it, and nothing of the other node's followed it. */
  readonly endsWithSwitchedOver: boolean;
};

/**
 * Reads the newest journal file for its cluster state without opening the journal
 * (which would recover and write): the role a node starts in comes from its
 * journal, not only from its configuration (DESIGN §1). Undefined without a journal.
 */
export async function peekClusterState(stateDir: string): Promise<ClusterPeek | undefined> {
  const newest = (await listJournal(stateDir)).files.at(-1);
  if (newest === undefined) return undefined;
  let state: ControllerState | undefined;
  let lastType: string | undefined;
  for await (const record of readRecords(stateDir, { fileEventId: newest.fileEventId, position: 0 })) {
    switch (record.kind) {
      case 'header':
        break;
      case 'snapshot':
        // The meta record comes first and carries the cluster state; the rest is not needed here.
        state ??= fromSnapshot([record.body]);
        break;
      case 'events':
        for (const s of record.body) {
          const event = parseEvent(s.event);
          lastType = event.TYPE;
          if (state !== undefined && isClusterEvent(event)) applyEvent(state, { eventId: s.eventId, event });
        }
        break;
    }
  }
  return state === undefined ? undefined : { cluster: state.cluster, epoch: state.epoch, lastFailover: state.lastFailover, endsWithSwitchedOver: lastType === 'ClusterSwitchedOver' };
}
