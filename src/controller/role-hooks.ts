import type { Clock, Epoch, Logger, NodeId, TandemError } from '../common/index.js';
import type { ControllerConfig } from '../config/index.js';
import type { ClusterEndpoint, ClusterTiming, ConsentRequest, WitnessVerdict } from '../cluster/index.js';
import type { ClusterSetting, LastFailover } from '../state/index.js';
import type { ReadModel, ReadModelOptions } from '../readmodel/index.js';

/** Why an active node gives up its role. */
export type StepDown =
  /** It handed the role over on purpose; its journal is the new active's prefix. */
  | { readonly kind: 'SwitchedOver' }
  /** It learnt of a higher epoch: another node took over, and its own tail past the failover point must go. */
  | {
      readonly kind: 'Lost';
      readonly epoch: Epoch;
      readonly source: string;
      readonly setting?: ClusterSetting;
      readonly lastFailover?: LastFailover;
    };

/** Why a passive node takes the active role. */
export type TakeOver =
  | { readonly kind: 'SwitchedOver' }
  | { readonly kind: 'FailedOver'; readonly lostNodeId: NodeId };

/** What a node in either role needs from the node that owns it: consent, the licence, and role changes. */
export interface RoleHooks {
  readonly timing: ClusterTiming;
  /** Consent to leave Coupled without the peer: an operator's confirmation, else the cluster watch. Never throws. */
  consent(request: ConsentRequest, signal: AbortSignal): Promise<WitnessVerdict>;
  /** A cluster watch can answer: coupling needs one. */
  witnessRegistered(): boolean;
  /** May this node take authority automatically (failover, switchover)? The licence decides; giving authority up is never gated. */
  mayTakeAuthority(): { readonly ok: true } | { readonly ok: false; readonly error: TandemError };
  /** The role's cluster state or its claim to act changed (the watch is told at once). */
  viewChanged(): void;
  /** The owner closes this role and reopens the node as passive. Called at most once per role. */
  stepDown(reason: StepDown): void;
  /** The owner closes this role and reopens the node as active. Called at most once per role. */
  takeOver(reason: TakeOver): void;
}

/** What a role serves the other node; the watch stream belongs to the node that owns the roles. */
export type RoleEndpoint = Omit<ClusterEndpoint, 'watchFrames'>;

/** Why a node stops by itself: a ShutDown command, or a fault it cannot go on after. */
export type StopReason = { readonly kind: 'shutdown' } | { readonly kind: 'fatal'; readonly error: unknown };

/** What every role of a node, and the node itself, is opened with. */
export interface NodeOptions {
  readonly config: ControllerConfig;
  readonly dataDir: string;
  readonly nodeId: NodeId;
  readonly version: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Called once when the node must stop: a ShutDown command or a fatal error. */
  readonly onStop: (reason: StopReason) => void;
  /** How many recent events `GET /event` can serve without answering Torn. */
  readonly eventBufferSize?: number;
  /** Opens the read model; a seam for tests that hold its writes. */
  readonly openReadModel?: (options: ReadModelOptions) => Promise<ReadModel>;
}
