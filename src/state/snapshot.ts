import { z } from 'zod';
import { TandemError, asEpoch, asEventId } from '../common/index.js';
import { clusterStateSchema, failedAtSchema, nodeIdSchema } from './cluster-state.js';
import { emptyState, type ControllerState } from './controller-state.js';
import { orderSchema } from './order.js';
import { scheduleSchema } from './schedule.js';
import { workflowSchema } from './workflow.js';

/*
 * The state as a list of records, written at the head of each journal file. One
 * record per workflow version, schedule and order keeps records small, so the
 * journal can stream them; the meta record carries the scalars.
 */

const snapshotRecordSchema = z.discriminatedUnion('TYPE', [
  z.object({
    TYPE: z.literal('ControllerMetaSnapshot'),
    lastEventId: z.number().int().min(0),
    cluster: clusterStateSchema,
    epoch: z.number().int().min(0),
    // Absent in journals written before failover existed.
    lastFailover: z.object({ epoch: z.number().int().min(0).transform(asEpoch), lostNodeId: nodeIdSchema, failedAt: failedAtSchema }).exactOptional(),
  }),
  z.object({ TYPE: z.literal('WorkflowSnapshot'), workflow: workflowSchema }),
  z.object({ TYPE: z.literal('ScheduleSnapshot'), schedule: scheduleSchema, lastTick: z.number() }),
  z.object({ TYPE: z.literal('OrderSnapshot'), order: orderSchema }),
]);

export type SnapshotRecord = z.infer<typeof snapshotRecordSchema>;

/** The state as snapshot records (meta first), sharing the state's immutable values. */
export function toSnapshot(state: ControllerState): unknown[] {
  const records: unknown[] = [
    {
      TYPE: 'ControllerMetaSnapshot',
      lastEventId: state.lastEventId,
      cluster: state.cluster,
      epoch: state.epoch,
      ...(state.lastFailover === undefined ? {} : { lastFailover: state.lastFailover }),
    },
  ];
  for (const versions of state.workflows.values()) {
    for (const workflow of versions.values()) records.push({ TYPE: 'WorkflowSnapshot', workflow });
  }
  for (const { schedule, lastTick } of state.schedules.values()) records.push({ TYPE: 'ScheduleSnapshot', schedule, lastTick });
  for (const order of state.orders.values()) records.push({ TYPE: 'OrderSnapshot', order });
  return records;
}

/** Rebuilds the state from snapshot records; a bad record is a corrupt journal. */
export function fromSnapshot(records: readonly unknown[]): ControllerState {
  const state = emptyState();
  let metaSeen = false;
  records.forEach((raw, index) => {
    const record = parseRecord(raw, index);
    switch (record.TYPE) {
      case 'ControllerMetaSnapshot':
        if (metaSeen) corrupt(index, 'a second ControllerMetaSnapshot');
        metaSeen = true;
        state.lastEventId = asEventId(record.lastEventId);
        state.cluster = record.cluster;
        state.epoch = asEpoch(record.epoch);
        state.lastFailover = record.lastFailover;
        return;
      case 'WorkflowSnapshot': {
        const { workflow } = record;
        let versions = state.workflows.get(workflow.path);
        if (versions === undefined) state.workflows.set(workflow.path, (versions = new Map()));
        if (versions.has(workflow.versionId)) corrupt(index, `workflow ${workflow.path} version ${workflow.versionId} twice`);
        versions.set(workflow.versionId, workflow);
        return;
      }
      case 'ScheduleSnapshot':
        if (state.schedules.has(record.schedule.id)) corrupt(index, `schedule ${record.schedule.id} twice`);
        state.schedules.set(record.schedule.id, { schedule: record.schedule, lastTick: record.lastTick });
        return;
      case 'OrderSnapshot':
        if (state.orders.has(record.order.id)) corrupt(index, `order ${record.order.id} twice`);
        state.orders.set(record.order.id, record.order);
        return;
      default:
        return unreachable(record);
    }
  });
  if (!metaSeen) corrupt(records.length, 'no ControllerMetaSnapshot record');
  return state;
}

function parseRecord(raw: unknown, index: number): SnapshotRecord {
  const result = snapshotRecordSchema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  return corrupt(index, `${issue?.path.map(String).join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
}

function corrupt(index: number, problem: string): never {
  throw new TandemError('JournalCorrupt', `snapshot record ${index} is not valid: ${problem}`, { record: index, problem });
}

function unreachable(x: never): never {
  throw new Error(`unhandled snapshot record ${JSON.stringify(x)}`);
}
