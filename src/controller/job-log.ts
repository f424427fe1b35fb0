import { TandemError, type EventId } from '../common/index.js';
import type { JobLogEntry, ReadModel } from '../readmodel/index.js';

/**
 * An order's job output, read from the read model: also after the order left the
 * state (js7.controller.order-retention), since its output stays there. UnknownOrder
 * when the id is neither in the state nor in the read model.
 */
export async function jobLogOf(
  inState: boolean,
  readModel: ReadModel,
  orderId: string,
  after: EventId | undefined,
  limit: number,
): Promise<readonly JobLogEntry[]> {
  const entries = await readModel.jobLog(orderId, after === undefined ? { limit } : { after, limit });
  if (entries.length > 0 || inState) return entries;
  // An empty page past the end of a deleted order's output is still that order's.
  if (after !== undefined && (await readModel.jobLog(orderId, { limit: 1 })).length > 0) return entries;
  throw new TandemError('UnknownOrder', `No order has the id ${orderId}.`, { orderId });
}
