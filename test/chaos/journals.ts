import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { listJournal, readRecords } from '../../src/journal/index.js';
import type { NodeName } from './history.js';

/** A journaled event with where and when (in which epoch, under which active node) it was written. */
export interface EpochEvent {
  readonly eventId: number;
  /** Index of the event record in this node's journal: events of one record were one commit. */
  readonly record: number;
  /** The epoch in force once this event is applied. */
  readonly epoch: number;
  /** The node that may commit in that epoch, as the journal itself says. */
  readonly activeId: string;
  readonly event: { readonly TYPE: string; readonly [key: string]: unknown };
}

/** What the checkers need of one node's journal after a trial. */
export interface JournalView {
  readonly node: NodeName;
  /** Every `*.journal` file (not `*.cut-*`, `*.torn-*`), by name, with its bytes. */
  readonly files: ReadonlyMap<string, Buffer>;
  /** The state at the head of the oldest file still there: its epoch, active node and orders. */
  readonly base: { readonly epoch: number; readonly activeId: string; readonly orderIds: readonly string[] };
  readonly events: readonly EpochEvent[];
  /** Files a recovery kept after cutting a torn last record. */
  readonly tornFiles: readonly string[];
  /** Files a fencing cut kept after a failover. */
  readonly cutFiles: readonly string[];
}

type Tagged = { readonly TYPE: string; readonly [key: string]: unknown };

function isTagged(v: unknown): v is Tagged {
  return typeof v === 'object' && v !== null && typeof (v as { TYPE?: unknown }).TYPE === 'string';
}

/** Reads a (stopped) node's journal with the project's own reader, and folds the epoch through it (`epochEvents`). */
export async function readJournalView(node: NodeName, dataDir: string): Promise<JournalView> {
  const dir = join(dataDir, 'state');
  const names = (await readdir(dir)).sort();
  const files = new Map<string, Buffer>();
  for (const name of names) if (name.endsWith('.journal')) files.set(name, await readFile(join(dir, name)));
  const listing = await listJournal(dir);
  const first = listing.files[0];
  let epoch = 0;
  let activeId = 'Primary';
  const orderIds: string[] = [];
  const records: (readonly { readonly eventId: number; readonly event: unknown }[])[] = [];
  let base: JournalView['base'] | undefined;
  if (first !== undefined) {
    for await (const r of readRecords(dir, { fileEventId: first.fileEventId, position: 0 })) {
      if (r.kind === 'snapshot' && r.fileEventId === first.fileEventId && isTagged(r.body)) {
        const body = r.body;
        if (body.TYPE === 'ControllerMetaSnapshot') {
          epoch = Number(body['epoch']);
          const setting = (body['cluster'] as { setting?: { activeId?: string } } | undefined)?.setting;
          if (setting?.activeId !== undefined) activeId = setting.activeId;
        } else if (body.TYPE === 'OrderSnapshot') {
          orderIds.push(String((body['order'] as { id: unknown }).id));
        }
      } else if (r.kind === 'events') {
        base ??= { epoch, activeId, orderIds };
        records.push(r.body);
      }
    }
  }
  base ??= { epoch, activeId, orderIds };
  return {
    node,
    files,
    base,
    events: epochEvents(records, base),
    tornFiles: names.filter((n) => n.includes('.journal.torn-')),
    cutFiles: names.filter((n) => n.includes('.journal.cut-')),
  };
}

/**
 * The events of consecutive event records, each with the epoch and active node in force
 * once it is applied: the epoch rises by one at ClusterSwitchedOver and ClusterFailedOver,
 * and the active node is the one those events (or ClusterNodesAppointed) name.
 */
export function epochEvents(records: readonly (readonly { readonly eventId: number; readonly event: unknown }[])[], base: { readonly epoch: number; readonly activeId: string }): EpochEvent[] {
  let { epoch, activeId } = base;
  const events: EpochEvent[] = [];
  records.forEach((body, record) => {
    for (const { eventId, event } of body) {
      if (!isTagged(event)) continue;
      if (event.TYPE === 'ClusterNodesAppointed') activeId = String(event['activeId']);
      if (event.TYPE === 'ClusterSwitchedOver' || event.TYPE === 'ClusterFailedOver') {
        epoch += 1;
        activeId = String(event['activeId']);
      }
      events.push({ eventId, record, epoch, activeId, event });
    }
  });
  return events;
}
