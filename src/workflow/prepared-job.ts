import { AssertionError } from 'node:assert';
import { workflowOf, type ControllerState, type Job, type Order } from '../state/index.js';
import { parseDuration } from './duration.js';
import { locate } from './instruction-navigator.js';
import { jobEnv } from './order-env.js';

/** The job an order is to run now, ready for the executor (a JobSpec fits) and for `outcomeOf`. */
export interface PreparedJob {
  readonly orderId: string;
  readonly script: string;
  /** Resolved against the order's arguments. */
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  /** As written in the workflow, for messages. */
  readonly timeout?: string;
  readonly restartable: boolean;
  readonly returnCodeMeaning?: NonNullable<Job['returnCodeMeaning']>;
}

/**
 * The Execute job at the order's position. Called for an order that advanceOrder put
 * into Processing, where the job exists and its env resolves; anything else is a bug.
 */
export function jobOf(state: ControllerState, order: Order): PreparedJob {
  const workflow = workflowOf(state, order);
  const instruction = workflow === undefined ? undefined : locate(workflow, order.position).instruction;
  if (instruction?.TYPE !== 'Execute') {
    throw new AssertionError({ message: `order ${order.id} is not at an Execute instruction (position ${JSON.stringify(order.position)})` });
  }
  const { job } = instruction;
  const env = jobEnv(order, job);
  if (env.TYPE === 'Unresolved') throw new AssertionError({ message: `order ${order.id}: ${env.message}` });
  const timeoutMs = job.timeout === undefined ? undefined : parseDuration(job.timeout);
  return {
    orderId: order.id,
    script: job.script,
    env: env.env,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(job.timeout === undefined ? {} : { timeout: job.timeout }),
    restartable: job.restartable === true,
    ...(job.returnCodeMeaning === undefined ? {} : { returnCodeMeaning: job.returnCodeMeaning }),
  };
}
