import { z } from 'zod';
import { asEventId, asJournalPosition, asNodeId, type NodeId } from '../common/index.js';
import { eventMismatch } from './event-mismatch.js';
import type { ClusterEvent } from './events.js';
import type { Immutable } from './immutable.js';

/*
 * The cluster part of the controller state (JS7's ClusterState). It changes only
 * through journaled cluster events, so both nodes agree on it at every journal
 * position. `evolveCluster` is the one place that knows the legal transitions.
 */

/** Node ids as JS7 uses them (`Primary`, `Backup`); they are keys of JSON objects. */
export const NODE_ID = /^[A-Za-z0-9_-]{1,100}$/;

export const nodeIdSchema = z
  .string()
  .regex(NODE_ID, 'a node id is 1–100 characters of [A-Za-z0-9_-]')
  // Node ids become object keys, and `__proto__` does not survive being one.
  .refine((s) => s !== '__proto__', 'a node id cannot be __proto__')
  .transform(asNodeId);

/** An absolute http(s) URL; it is journaled, so it may carry no credentials. */
export const nodeUriSchema = z
  .string()
  .max(2000)
  .superRefine((s, ctx) => {
    const problem = uriProblem(s);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });

function uriProblem(s: string): string | undefined {
  if (!URL.canParse(s)) return 'not an absolute URL';
  const url = new URL(s);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'a node URI is an http:// or https:// URL';
  if (url.username !== '' || url.password !== '') return 'a node URI must not hold a user or password';
  if (url.search !== '' || url.hash !== '') return 'a node URI has no query or fragment';
  return undefined;
}

/** Exactly two nodes, as in JS7: the pair. */
export const idToUriSchema = z
  .unknown()
  // zod's record skips a `__proto__` key without a word; refuse it before, so no node is dropped silently.
  .superRefine((raw, ctx) => {
    if (typeof raw === 'object' && raw !== null && Object.hasOwn(raw, '__proto__')) {
      ctx.addIssue({ code: 'custom', path: ['__proto__'], message: 'a node id cannot be __proto__' });
    }
  })
  .pipe(
    z
      .record(nodeIdSchema, nodeUriSchema, {
        error: (issue) => (issue.code === 'invalid_key' ? 'a node id is 1–100 characters of [A-Za-z0-9_-]' : undefined),
      })
      .refine((r) => Object.keys(r).length === 2, 'name exactly two nodes'),
  );

/** The fields shared by the setting, ClusterNodesAppointed and ClusterAppointNodes. */
export const clusterSettingShape = { idToUri: idToUriSchema, activeId: nodeIdSchema };

/** Refinement for an object holding `idToUri` and `activeId`. */
export function activeIdIsANode(value: { readonly idToUri: Readonly<Record<string, string>>; readonly activeId: string }, ctx: z.RefinementCtx): void {
  if (!Object.hasOwn(value.idToUri, value.activeId)) {
    ctx.addIssue({ code: 'custom', path: ['activeId'], message: `the active node must be one of ${Object.keys(value.idToUri).join(', ')}` });
  }
}

export const clusterSettingSchema = z.object(clusterSettingShape).superRefine(activeIdIsANode);

/** Where the failed-over node's journal must be cut: the end of what the new active had. */
export const failedAtSchema = z.object({
  fileEventId: z.number().int().min(0).transform(asEventId),
  position: z.number().int().min(0).transform(asJournalPosition),
  eventId: z.number().int().min(0).transform(asEventId),
});

const withSetting = <T extends string>(type: T) => z.object({ TYPE: z.literal(type), setting: clusterSettingSchema });

export const clusterStateSchema = z.discriminatedUnion('TYPE', [
  z.object({ TYPE: z.literal('Empty') }),
  withSetting('NodesAppointed'),
  withSetting('PreparedToBeCoupled'),
  withSetting('Coupled'),
  withSetting('PassiveLost'),
  withSetting('ActiveShutDown'),
  withSetting('SwitchedOver'),
  z.object({ TYPE: z.literal('FailedOver'), setting: clusterSettingSchema, failedAt: failedAtSchema }),
]);

export type ClusterState = Immutable<z.infer<typeof clusterStateSchema>>;
export type ClusterStateType = ClusterState['TYPE'];
export type ClusterSetting = Immutable<z.infer<typeof clusterSettingSchema>>;
export type FailedAt = Immutable<z.infer<typeof failedAtSchema>>;
/** Every state but Empty: the nodes are appointed. */
export type AppointedClusterState = Exclude<ClusterState, { readonly TYPE: 'Empty' }>;
export type CoupledClusterState = Extract<ClusterState, { readonly TYPE: 'Coupled' }>;

/** The setting, once nodes are appointed. */
export function settingOf(cluster: ClusterState): ClusterSetting | undefined {
  return cluster.TYPE === 'Empty' ? undefined : cluster.setting;
}

/** Two appointments name the same nodes at the same URIs (which of them is active aside). */
export function sameNodes(a: ClusterSetting['idToUri'], b: ClusterSetting['idToUri']): boolean {
  const ids = Object.keys(a) as NodeId[];
  return ids.length === Object.keys(b).length && ids.every((id) => Object.hasOwn(b, id) && a[id] === b[id]);
}

/** The node that is active in this state; undefined while standalone. */
export function activeIdOf(cluster: ClusterState): NodeId | undefined {
  return settingOf(cluster)?.activeId;
}

/** The node that is (or should be) passive: the appointed node that is not active. */
export function passiveIdOf(cluster: ClusterState): NodeId | undefined {
  const setting = settingOf(cluster);
  return setting === undefined ? undefined : otherNode(setting, setting.activeId);
}

/** The pair is coupled: the passive holds every committed event. */
export function isCoupled(cluster: ClusterState): cluster is CoupledClusterState {
  return cluster.TYPE === 'Coupled';
}

/**
 * The commit rule (DESIGN §4), judged on the state *before* the commit: only in
 * Coupled does an event need the passive's acknowledgement. Leaving Coupled
 * (PassiveLost, FailedOver) is the cluster module's exception, taken with the
 * watch's consent; SwitchedOver still waits for the ack.
 */
export function requiresAck(cluster: ClusterState): boolean {
  return isCoupled(cluster);
}

/** The URI of `nodeId`'s partner; undefined while standalone or if `nodeId` is not appointed. */
export function peerUri(cluster: ClusterState, nodeId: NodeId): string | undefined {
  const setting = settingOf(cluster);
  if (setting === undefined || !Object.hasOwn(setting.idToUri, nodeId)) return undefined;
  const peer = otherNode(setting, nodeId);
  return peer === undefined ? undefined : setting.idToUri[peer];
}

/** True when the two settings name the same nodes at the same URIs with the same active node. */
export function sameSetting(a: ClusterSetting, b: ClusterSetting): boolean {
  return a.activeId === b.activeId && sameNodes(a.idToUri, b.idToUri);
}

function otherNode(setting: ClusterSetting, nodeId: NodeId): NodeId | undefined {
  const other = Object.keys(setting.idToUri).find((id) => id !== nodeId);
  return other === undefined ? undefined : asNodeId(other);
}

/** Cluster events that hand the active role to the other node, and so raise the epoch. */
export function raisesEpoch(event: ClusterEvent): boolean {
  return event.TYPE === 'ClusterSwitchedOver' || event.TYPE === 'ClusterFailedOver';
}

/**
 * How the cluster state changes under one cluster event (the cluster part of
 * `applyEvent`; the epoch is raised there). Returns a new state, never changes the
 * input. An event that does not fit is an assertion, as with order events.
 */
export function evolveCluster(cluster: ClusterState, event: ClusterEvent): ClusterState {
  switch (event.TYPE) {
    case 'ClusterNodesAppointed': {
      // Re-appointing the same setting is answered by the decider without an event.
      if (cluster.TYPE !== 'Empty') eventMismatch(event, `nodes are appointed already (${cluster.TYPE})`);
      const setting = { idToUri: event.idToUri, activeId: event.activeId };
      if (!Object.hasOwn(setting.idToUri, setting.activeId)) eventMismatch(event, 'the active node is not one of the nodes');
      return { TYPE: 'NodesAppointed', setting };
    }
    case 'ClusterCouplingPrepared': {
      // JS7: the active couples from NodesAppointed or any decoupled state it runs alone in.
      const c = expect(cluster, event, 'NodesAppointed', 'PassiveLost', 'SwitchedOver', 'FailedOver');
      expectActive(c, event, event.activeId);
      return { TYPE: 'PreparedToBeCoupled', setting: c.setting };
    }
    case 'ClusterCoupled': {
      const c = expect(cluster, event, 'PreparedToBeCoupled');
      expectActive(c, event, event.activeId);
      return { TYPE: 'Coupled', setting: c.setting };
    }
    case 'ClusterPassiveLost': {
      const c = expect(cluster, event, 'Coupled', 'PreparedToBeCoupled');
      if (event.id !== otherNode(c.setting, c.setting.activeId)) eventMismatch(event, `${event.id} is not the passive node`);
      return { TYPE: 'PassiveLost', setting: c.setting };
    }
    case 'ClusterActiveNodeShutDown': {
      const c = expect(cluster, event, 'NodesAppointed', 'PreparedToBeCoupled', 'Coupled', 'PassiveLost', 'SwitchedOver', 'FailedOver');
      return { TYPE: 'ActiveShutDown', setting: c.setting };
    }
    case 'ClusterActiveNodeRestarted': {
      // The active came back alone: it runs decoupled and must couple again.
      const c = expect(cluster, event, 'ActiveShutDown');
      return { TYPE: 'PassiveLost', setting: c.setting };
    }
    case 'ClusterSwitchedOver': {
      const c = expect(cluster, event, 'Coupled');
      expectPassive(c, event, event.activeId);
      return { TYPE: 'SwitchedOver', setting: { ...c.setting, activeId: event.activeId } };
    }
    case 'ClusterFailedOver': {
      const c = expect(cluster, event, 'Coupled');
      expectActive(c, event, event.lostNodeId);
      expectPassive(c, event, event.activeId);
      return { TYPE: 'FailedOver', setting: { ...c.setting, activeId: event.activeId }, failedAt: event.failedAt };
    }
    default:
      return unreachable(event);
  }
}

function expect<T extends ClusterStateType>(cluster: ClusterState, event: ClusterEvent, ...types: T[]): Extract<ClusterState, { TYPE: T }> {
  if (!isOneOf(cluster, types)) eventMismatch(event, `the cluster is ${cluster.TYPE}, not ${types.join(' or ')}`);
  return cluster;
}

function isOneOf<T extends ClusterStateType>(cluster: ClusterState, types: readonly T[]): cluster is Extract<ClusterState, { TYPE: T }> {
  return (types as readonly ClusterStateType[]).includes(cluster.TYPE);
}

function expectActive(cluster: AppointedClusterState, event: ClusterEvent, id: NodeId): void {
  if (id !== cluster.setting.activeId) eventMismatch(event, `${id} is not the active node ${cluster.setting.activeId}`);
}

function expectPassive(cluster: AppointedClusterState, event: ClusterEvent, id: NodeId): void {
  if (id !== otherNode(cluster.setting, cluster.setting.activeId)) eventMismatch(event, `${id} is not the passive node`);
}

function unreachable(x: never): never {
  throw new Error(`unhandled cluster event ${JSON.stringify(x)}`);
}
