import type { Epoch, NodeId } from '../common/index.js';
import type { WatchAsk } from './transport/index.js';

/** What a node asks before it leaves Coupled without its peer's word. */
export interface ConsentRequest {
  readonly ask: WatchAsk;
  /** The asker's epoch: consent holds only in it. */
  readonly epoch: Epoch;
  /** The node the asker declares lost. */
  readonly lostNodeId: NodeId;
}

/** The answer: granted, or refused with the reason (and the epoch the witness knows, which may fence the asker). */
export type WitnessVerdict =
  | { readonly granted: true; readonly by: string }
  | { readonly granted: false; readonly reason: string; readonly epoch?: Epoch; readonly activeId?: string | null };

/**
 * The arbiter a node asks (DESIGN §5): it grants at most one node the right to act
 * alone in each epoch. The built-in cluster watch is one implementation; an etcd
 * lease with a compare-and-swap on the epoch key is another that fits here.
 */
export interface Witness {
  /** Asks for consent; never throws for a refusal or an unreachable witness — that is a refused verdict. */
  consent(request: ConsentRequest, signal: AbortSignal): Promise<WitnessVerdict>;
  /** The witness can answer now (coupling needs one: without it a lost passive would stop the active for good). */
  isRegistered(): boolean;
  /** For the node's view: who the witness is and when it was last heard. */
  status(): WitnessStatus;
}

export interface WitnessStatus {
  readonly TYPE: string;
  readonly registered: boolean;
  readonly [key: string]: unknown;
}
