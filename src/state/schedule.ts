import { z } from 'zod';
import type { Immutable } from './immutable.js';
import { argumentsSchema } from './order.js';

/** `#` is left out so that `<scheduleId>#<tick>` order ids split unambiguously. */
export const SCHEDULE_ID = /^[A-Za-z0-9_.:-]{1,150}$/;

export const scheduleSchema = z.object({
  id: z.string(),
  workflowPath: z.string(),
  cron: z.string(),
  arguments: argumentsSchema,
});

export type Schedule = Immutable<z.infer<typeof scheduleSchema>>;

export interface ScheduleState {
  readonly schedule: Schedule;
  /** The last tick fired, or the deploy time before the first firing (ms). */
  readonly lastTick: number;
}
