import { z } from 'zod';
import { TandemError, asEpoch, type NodeId } from '../common/index.js';
import {
  activeIdIsANode,
  clusterSettingSchema,
  clusterSettingShape,
  failedAtSchema,
  nodeIdSchema,
  sameSetting,
  settingOf,
  type ControllerState,
} from '../state/index.js';
import type { Decision } from './command-decider.js';
import { commandSchemas, parseCommandWith, type CommandOf } from './commands.js';

/*
 * Cluster commands. Two families that never mix:
 * - user commands on POST /controller/api/command (ClusterAppointNodes, ClusterSwitchOver),
 *   parsed together with the business commands through the extended schema map;
 * - node-to-node commands on POST /controller/api/cluster/command, a union of their own,
 *   so a user can never send one through the command route and vice versa.
 */

const command = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) => z.strictObject({ TYPE: z.literal(type), ...shape });

/** The cluster commands a user (cockpit, CLI) sends. */
export const clusterCommandSchemas = {
  // DESIGN §8: {"TYPE":"ClusterAppointNodes","idToUri":{"Primary":"https://…","Backup":"https://…"},"activeId":"Primary"}
  ClusterAppointNodes: command('ClusterAppointNodes', clusterSettingShape).superRefine(activeIdIsANode),
  ClusterSwitchOver: command('ClusterSwitchOver', {}),
  // The operator is sure the node is gone: stands in for the watch's consent (and the licence) once, on this node.
  ConfirmClusterNodeLoss: command('ConfirmClusterNodeLoss', { lostNodeId: nodeIdSchema }),
} as const;

/** Every command POST /command accepts: the business commands and the cluster commands. */
export const controllerCommandSchemas = { ...commandSchemas, ...clusterCommandSchemas } as const;

export type ClusterCommand = CommandOf<typeof clusterCommandSchemas>;
export type ControllerCommand = CommandOf<typeof controllerCommandSchemas>;
export type ClusterAppointNodes = Extract<ClusterCommand, { TYPE: 'ClusterAppointNodes' }>;

/** Narrows a POST /command body, cluster commands included; throws like parseCommand. */
export function parseControllerCommand(body: unknown): ControllerCommand {
  return parseCommandWith(controllerCommandSchemas, body);
}

export function isClusterCommand(c: ControllerCommand): c is ClusterCommand {
  return Object.hasOwn(clusterCommandSchemas, c.TYPE);
}

/** A one-time secret of the coupling handshake; long enough to be unguessable, short enough to log a prefix. */
const token = z.string().regex(/^[A-Za-z0-9_-]{16,200}$/, 'a token is 16–200 characters of [A-Za-z0-9_-]');
/** Epochs cross the wire as numbers; they are exact integers like EventIds. */
const epoch = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).transform(asEpoch);
/** Milliseconds; bounded so that a wrong unit (µs, ns) is refused rather than obeyed for years. */
const durationMs = z.number().int().min(1, 'at least 1 ms').max(3_600_000, 'at most an hour (3600000 ms)');

/** The id a watch gives itself (in its state file); shown in logs and views. */
const watchId = z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'a watch id is 1–100 characters of [A-Za-z0-9._-]');

/** The commands one node sends the other on POST /cluster/command. */
export const clusterNodeCommandSchemas = {
  // Active → backup after ClusterAppointNodes: start replicating this journal.
  ClusterStartBackupNode: command('ClusterStartBackupNode', {
    setting: clusterSettingSchema,
    journalId: z.string().min(1).max(200),
    epoch,
    // The sender's last failover: a returning node that lost then knows where to cut its journal.
    lastFailover: z.object({ epoch, lostNodeId: nodeIdSchema, failedAt: failedAtSchema }).exactOptional(),
  }),
  // Passive → active: asks to couple; the active confirms by calling the passive's configured URI back.
  ClusterPrepareCoupling: command('ClusterPrepareCoupling', { activeId: nodeIdSchema, passiveId: nodeIdSchema, token }),
  // Active → passive, at the configured URI: proves the asker is the real backup.
  ClusterCouplingCallback: command('ClusterCouplingCallback', { token }),
  // Passive → active on an orderly shutdown, so the active may decouple without waiting for the timeout.
  ClusterPassiveDown: command('ClusterPassiveDown', { passiveId: nodeIdSchema }),
  // Passive → old active before a failover: do not become active for `duration` ms; a live active answers that it is active.
  ClusterInhibitActivation: command('ClusterInhibitActivation', { duration: durationMs, epoch }),
  // Watch → node: the answer to a consent Request (DESIGN §5). `epoch` and `activeId` are what the watch knows.
  ClusterWatchAnswer: command('ClusterWatchAnswer', {
    watchId,
    requestId: z.string().min(1).max(200),
    verdict: z.enum(['Hold', 'Granted', 'Refused']),
    holdMs: durationMs.exactOptional(),
    reason: z.string().max(2000).exactOptional(),
    epoch,
    activeId: nodeIdSchema.nullable(),
  }),
  // Watch → node, unasked: this node's heartbeat shows an older epoch than the watch knows.
  ClusterWatchEpoch: command('ClusterWatchEpoch', { watchId, epoch, activeId: nodeIdSchema }),
  // Node → peer, read-only: the peer's own view, for GET /cluster?return=ClusterNodeStates (the status page).
  ClusterGetNodeState: command('ClusterGetNodeState', {}),
} as const;

export type ClusterNodeCommand = CommandOf<typeof clusterNodeCommandSchemas>;
export type ClusterNodeCommandType = ClusterNodeCommand['TYPE'];

/** Narrows a POST /cluster/command body; throws UnknownCommand or InvalidRequest naming the JSON path. */
export function parseClusterNodeCommand(body: unknown): ClusterNodeCommand {
  return parseCommandWith(clusterNodeCommandSchemas, body);
}

/**
 * The events ClusterAppointNodes causes on the node `ownNodeId` — pure. The same
 * setting again is accepted without events, so a cockpit may register the pair on
 * every start; another setting once appointed is refused (also after a failover
 * moved the active role: the cockpit then sees the current setting in the Problem).
 */
export function decideAppointNodes(state: ControllerState, command: ClusterAppointNodes, ownNodeId: NodeId): Decision {
  const wanted = { idToUri: command.idToUri, activeId: command.activeId };
  const current = settingOf(state.cluster);
  if (current !== undefined) {
    if (sameSetting(current, wanted)) return { events: [], response: { TYPE: 'Accepted', duplicate: true } };
    throw new TandemError('ClusterAlreadyAppointed', `The cluster nodes are already appointed (${describe(current)}) in state ${state.cluster.TYPE}.`, {
      idToUri: current.idToUri,
      activeId: current.activeId,
      clusterState: state.cluster.TYPE,
    });
  }
  if (command.activeId !== ownNodeId) {
    throw new TandemError(
      'InvalidRequest',
      `$.activeId: this node is ${ownNodeId}, not ${command.activeId}; send ClusterAppointNodes to the active node.`,
      { path: '$.activeId', problem: 'not this node; send it to the active node', nodeId: ownNodeId },
    );
  }
  return { events: [{ TYPE: 'ClusterNodesAppointed', idToUri: wanted.idToUri, activeId: wanted.activeId }], response: { TYPE: 'Accepted' } };
}

function describe(setting: { readonly idToUri: Readonly<Record<string, string>>; readonly activeId: string }): string {
  const nodes = Object.entries(setting.idToUri).map(([id, uri]) => `${id}=${uri}`);
  return `${nodes.join(', ')}; active ${setting.activeId}`;
}
