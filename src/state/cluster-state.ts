import { z } from 'zod';
import type { Immutable } from './immutable.js';

/**
 * The cluster part of the controller state. Only `Empty` (standalone) exists yet;
 * the cluster issue adds NodesAppointed, Coupled, FailedOver… as further members.
 */
export const clusterStateSchema = z.discriminatedUnion('TYPE', [z.object({ TYPE: z.literal('Empty') })]);

export type ClusterState = Immutable<z.infer<typeof clusterStateSchema>>;
