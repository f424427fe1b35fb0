import type { Clock, EventId } from '../common/index.js';
import type { ControllerPort } from './controller-port.js';

/** Why a wait for events ended. */
export type WaitOutcome = 'event' | 'timeout' | 'aborted';

/**
 * Waits until an event after `after` is committed, `ms` pass, or `signal`
 * aborts, whichever comes first, and releases the loser's timer or waiter.
 */
export async function waitForEventOrTimeout(
  controller: ControllerPort,
  clock: Clock,
  after: EventId,
  ms: number,
  signal: AbortSignal,
): Promise<WaitOutcome> {
  if (signal.aborted) return 'aborted';
  if (ms <= 0) return 'timeout';
  const local = new AbortController();
  const onAbort = (): void => local.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    // Promise.race subscribes to both, so the loser's rejection on abort below is handled.
    return await Promise.race([
      controller.waitForEvent(after, local.signal).then((): WaitOutcome => 'event'),
      clock.sleep(ms, local.signal).then((): WaitOutcome => 'timeout'),
    ]);
  } catch (err) {
    if (local.signal.aborted) return 'aborted';
    throw err;
  } finally {
    signal.removeEventListener('abort', onAbort);
    local.abort();
  }
}
