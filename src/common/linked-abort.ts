/** A signal that aborts with any of its parents or on `abort()`; `dispose()` detaches it from the parents. */
export interface LinkedAbort {
  readonly signal: AbortSignal;
  abort(reason?: unknown): void;
  /** Removes the listeners on the parents. Call it once the signal is no longer needed. */
  dispose(): void;
}

/**
 * What `AbortSignal.any` does, without its leak: on Node 20 every signal combined with a
 * long-lived parent stays reachable from that parent for the parent's life (measured: about
 * 30 bytes per call that gc never frees), and the hot paths combine one per commit.
 */
export function linkedAbort(...parents: readonly AbortSignal[]): LinkedAbort {
  const controller = new AbortController();
  const listeners: [AbortSignal, () => void][] = [];
  const dispose = (): void => {
    for (const [parent, listener] of listeners) parent.removeEventListener('abort', listener);
    listeners.length = 0;
  };
  for (const parent of parents) {
    if (parent.aborted) {
      controller.abort(parent.reason);
      break;
    }
    const listener = (): void => {
      controller.abort(parent.reason);
      dispose();
    };
    parent.addEventListener('abort', listener, { once: true });
    listeners.push([parent, listener]);
  }
  if (controller.signal.aborted) dispose();
  return {
    signal: controller.signal,
    abort: (reason?: unknown) => {
      controller.abort(reason);
      dispose();
    },
    dispose,
  };
}
