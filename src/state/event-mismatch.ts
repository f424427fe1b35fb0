import { AssertionError } from 'node:assert';

/**
 * An event that does not fit the state it is applied to. That is never bad user
 * input — the engine only writes fitting events — so it is an assertion: the journal
 * or the code is wrong, and going on would fold nonsense.
 */
export function eventMismatch(event: unknown, why: string): never {
  throw new AssertionError({ message: `event does not fit the state: ${why}: ${JSON.stringify(event)}`, actual: event });
}
