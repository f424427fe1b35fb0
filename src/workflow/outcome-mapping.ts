import { failed, succeeded, type Job, type Outcome } from '../state/index.js';

/** How a job process ended, as the executor reports it (a JobExit fits). */
export interface JobEnd {
  readonly returnCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  /** The controller killed it (cancel or shutdown). */
  readonly killed?: boolean;
  /** The job could not be started. */
  readonly error?: string;
}

/** Maps a process end to an Outcome, using the job's return-code meaning (default: only 0 succeeds). */
export function outcomeOf(end: JobEnd, job: Pick<Job, 'timeout' | 'returnCodeMeaning'>): Outcome {
  const rc = end.returnCode ?? undefined;
  if (end.error !== undefined) return failed(`the job could not be started: ${end.error}`);
  if (end.timedOut) return failed(`timed out after ${job.timeout ?? 'its timeout'}`, rc);
  if (rc === undefined) {
    const by = end.signal ?? 'an unknown cause';
    return failed(end.killed === true ? `killed by ${by} (stopped by the controller)` : `killed by ${by}`);
  }
  if (isSuccess(rc, job.returnCodeMeaning)) return succeeded(rc);
  return failed(`return code ${rc} means failure`, rc);
}

function isSuccess(rc: number, meaning: Job['returnCodeMeaning']): boolean {
  if (meaning === undefined) return rc === 0;
  return 'success' in meaning ? meaning.success.includes(rc) : !meaning.failure.includes(rc);
}
