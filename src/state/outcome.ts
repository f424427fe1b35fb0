import { z } from 'zod';
import type { Immutable } from './immutable.js';

const returnCode = z.number().int();

/** How a job run (or a fork, or a Fail instruction) ended. */
export const outcomeSchema = z.discriminatedUnion('TYPE', [
  z.object({ TYPE: z.literal('Succeeded'), returnCode }),
  z.object({ TYPE: z.literal('Failed'), returnCode: returnCode.exactOptional(), message: z.string() }),
  // The job's result is unknown (its controller died or was shut down while it ran).
  z.object({ TYPE: z.literal('Disrupted'), reason: z.string() }),
  z.object({ TYPE: z.literal('Cancelled') }),
]);

export type Outcome = Immutable<z.infer<typeof outcomeSchema>>;

export const succeeded = (rc = 0): Outcome => ({ TYPE: 'Succeeded', returnCode: rc });

export function failed(message: string, rc?: number): Outcome {
  return rc === undefined ? { TYPE: 'Failed', message } : { TYPE: 'Failed', returnCode: rc, message };
}
