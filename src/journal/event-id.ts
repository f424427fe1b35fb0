import { asEventId, type EventId } from '../common/index.js';

/**
 * The EventId after `last` at wall time `nowMillis`: `max(now × 1000, last + 1)`.
 * Taking the maximum keeps ids strictly increasing when the wall clock steps back,
 * while ids still read as a time whenever the clock is sane.
 */
export function nextEventId(nowMillis: number, last: EventId): EventId {
  const fromClock = Math.floor(nowMillis) * 1000;
  const next = fromClock > last ? fromClock : last + 1;
  // Past 2^53 ids would stop being exact numbers and could collide; reaching it
  // means a broken clock, so it is a bug to stop on, not a condition to handle.
  if (next > Number.MAX_SAFE_INTEGER) {
    throw new RangeError(`EventId ${next} would exceed Number.MAX_SAFE_INTEGER (clock at ${nowMillis} ms)`);
  }
  return asEventId(next);
}
