import { z } from 'zod';
import { asEpoch } from '../common/index.js';

/** A watch id as the nodes accept it in ClusterWatchAnswer (`js7.journal.cluster.watch.id`). */
export const WATCH_ID = /^[A-Za-z0-9._-]{1,100}$/;

const watchId = z.string().regex(WATCH_ID, 'a watch id is 1–100 characters of [A-Za-z0-9._-]');
const epoch = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).transform(asEpoch);
// As the watch stream's frames carry node ids.
const nodeId = z.string().min(1).max(100);

/**
 * What the watch must never forget (DESIGN §5), kept in its state file: its id,
 * and once taught, the epoch with its active node and the losses it has let
 * happen in which epoch. Everything else it knows (heartbeat times, an open
 * hold) is deliberately lost on a restart.
 */
export const watchMemorySchema = z.discriminatedUnion('TYPE', [
  /** No heartbeat of an active node has taught the watch yet: it refuses every loss. */
  z.strictObject({ TYPE: z.literal('Untaught'), watchId }),
  z.strictObject({
    TYPE: z.literal('Taught'),
    watchId,
    epoch,
    activeId: nodeId,
    /** The journal of the pair the watch serves: a node with another one belongs to a new pair. */
    journalId: z.string().min(1).max(100).exactOptional(),
    /** The active node of this epoch may have committed without its passive: FailedOver is refused in it. */
    passiveLostGrantedInEpoch: epoch.exactOptional(),
    /** The active node's heartbeat showed it alone (not Coupled) in this epoch, so a later Coupled one means the passive has caught up. */
    aloneSeenInEpoch: epoch.exactOptional(),
    failedOverGrantedInEpoch: epoch.exactOptional(),
  }),
]);

export type WatchMemory = Readonly<z.output<typeof watchMemorySchema>>;
export type TaughtMemory = Extract<WatchMemory, { readonly TYPE: 'Taught' }>;
