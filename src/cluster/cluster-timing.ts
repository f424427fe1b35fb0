/**
 * The cluster's timeouts, all derived from the two JS7 keys `heartbeat` (h) and
 * `heartbeat-timeout` (T). DESIGN §4 fixes their order so that in a network split
 * the healthy active decides first:
 *
 *   passive-lost (T) < watch-valid (T + h) < active-lost (T + 2h) < inhibit (T + 4h)
 *
 * - passive-lost: the active's silence bound on the acknowledgement stream before it
 *   asks the watch to let it go on alone;
 * - watch-valid: how long the watch counts a node as alive after its last heartbeat;
 * - active-lost: the passive's silence bound on the journal stream before it fails over;
 * - inhibit: how long a node told to inhibit itself stays passive.
 */
export interface ClusterTiming {
  readonly heartbeatMs: number;
  readonly passiveLostMs: number;
  readonly watchValidMs: number;
  readonly activeLostMs: number;
  readonly inhibitMs: number;
  /** How long a watch holds a consent between Ask and Commit. */
  readonly holdMs: number;
}

/** Derives the timeouts; throws a RangeError when the two keys cannot give a sound order (the config check reports it first). */
export function clusterTiming(heartbeatMs: number, heartbeatTimeoutMs: number): ClusterTiming {
  if (!(heartbeatMs > 0) || !(heartbeatTimeoutMs > heartbeatMs)) {
    throw new RangeError(`heartbeat-timeout (${heartbeatTimeoutMs} ms) must be longer than heartbeat (${heartbeatMs} ms)`);
  }
  const h = heartbeatMs;
  const t = heartbeatTimeoutMs;
  return { heartbeatMs: h, passiveLostMs: t, watchValidMs: t + h, activeLostMs: t + 2 * h, inhibitMs: t + 4 * h, holdMs: Math.max(2 * h, 500) };
}
