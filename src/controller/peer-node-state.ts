import { z } from 'zod';
import { TandemError, toProblem, type Clock, type Problem } from '../common/index.js';
import type { Transport } from '../cluster/index.js';

/**
 * How long a node waits for its peer's view. Short: an operator's status page asks
 * every second or two, and a peer that is gone must show as unreachable at once.
 */
export const peerNodeStateTimeoutMs = 2_000;

// The peer's answer is outside input: only its tag and node id are relied on, the rest is shown as it came.
const answerSchema = z.looseObject({ TYPE: z.literal('ClusterNodeState'), nodeId: z.string().max(200) });

export type PeerNodeState =
  | { readonly reachable: true; readonly nodeState: Readonly<Record<string, unknown>> }
  | { readonly reachable: false; readonly problem: Problem };

/**
 * Asks the peer at `uri` for its own view (`ClusterGetNodeState`) over the
 * cluster transport — mutual TLS and the cluster password, as every
 * node-to-node call. Never throws: a peer that does not answer in time, refuses
 * or answers something else is reported with the Problem that says so.
 */
export async function askPeerNodeState(transport: Transport, uri: string, clock: Clock, timeoutMs = peerNodeStateTimeoutMs): Promise<PeerNodeState> {
  const stop = new AbortController();
  const timer = clock.sleep(timeoutMs, stop.signal).then(
    () => stop.abort(new TandemError('ClusterPeerUnreachable', `The other node did not answer within ${timeoutMs} ms.`, { uri, timeoutMs })),
    () => undefined,
  );
  let peer: ReturnType<Transport['peer']> | undefined;
  try {
    peer = transport.peer(uri);
    const parsed = answerSchema.safeParse(await peer.command({ TYPE: 'ClusterGetNodeState' }, stop.signal));
    if (!parsed.success) {
      return unreachable(new TandemError('ClusterPeerUnreachable', 'The other node answered, but not with its node state.', { uri }));
    }
    return { reachable: true, nodeState: Object.fromEntries(Object.entries(parsed.data).filter(([key]) => key !== 'TYPE')) };
  } catch (err) {
    return unreachable(stop.signal.aborted ? stop.signal.reason : err);
  } finally {
    stop.abort();
    await timer;
    // A handle per ask: the transport keeps every open handle until it is closed.
    await peer?.close();
  }
}

function unreachable(err: unknown): PeerNodeState {
  return { reachable: false, problem: toProblem(err) };
}
